/*
 * The command run from outside the repository, as a user runs it from a project of their own:
 * the worker threads must find tsx through gilsim's own dependencies (not the current folder),
 * and a scenario file that tsx would compile as CommonJS gets a message saying what to do.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = new URL('../../bin/gilsim.mjs', import.meta.url).pathname;
const SRC = new URL('../../src/', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'gilsim-elsewhere-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SCENARIO = `
import { defineScenario } from '${SRC}scenario/define.ts';
import type { Py } from '${SRC}runtime/types.ts';
export default defineScenario({
  name: 'elsewhere', description: 'one thread, from a folder outside the repository', params: {},
  programs: { work(py: Py) { py.compute(1000); return 7; } },
  threads: () => [{ name: 'w', program: 'work', args: [] }],
  results: (r) => ({ returned: (r.phase('main').values('work') as number[])[0]! }),
});
`;

function gilsim(cwd: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('gilsim run from another folder', () => {
  it('a built-in scenario runs with the current folder outside the repository', () => {
    const r = gilsim(dir, 'run', 'convoy', '--param', 'calls=20', '--quiet');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  });

  it('a user .mts scenario runs its thread on a worker', () => {
    writeFileSync(join(dir, 'mine.mts'), SCENARIO);
    const out = join(dir, 'mine.json');
    const r = gilsim(dir, 'run', './mine.mts', '--quiet', '--json', out);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  });

  it('a .ts scenario in a folder without "type": "module": exit 2 and how to fix it', () => {
    writeFileSync(join(dir, 'mine.ts'), SCENARIO);
    const r = gilsim(dir, 'run', './mine.ts', '--quiet');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/compiled as CommonJS.*name it \.mts/);
  });
});

/*
 * The commands in-process on the fake engine (no threads): what compare, sweep and run print
 * and write, and their exit codes. The real runtime is exercised in scenarios.test.ts.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Io } from '../../src/cli/commands.ts';
import { parseSize, parseThresholds } from '../../src/cli/flags.ts';
import { main } from '../../src/cli/main.ts';
import { resolveConfig } from '../../src/runtime/config.ts';
import { validateRunJson } from '../../src/report/json-shape.ts';
import { validateTrace } from '../../src/report/trace.ts';
import { fakeEngine, type FakeLog, type FakeScript } from './fixtures/fake-engine.ts';

const dir = mkdtempSync(join(tmpdir(), 'gilsim-cmd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function io(script: FakeScript = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const logs: FakeLog[] = [];
  const x: Io = {
    stdout: { write: (s: string) => out.push(s) },
    stderr: { isTTY: false, write: (s: string) => err.push(s) },
    cwd: dir,
    engine: async () => {
      const log: FakeLog = { started: [], closed: false };
      logs.push(log);
      const f = fakeEngine(script, log);
      return async (o) => f(o);
    },
  };
  return { io: x, out: () => out.join(''), err: () => err.join(''), logs };
}

const cpu: FakeScript = { value: (_p, args) => args[0], ms: () => 2 };

describe('compare', () => {
  it('runs once per profile (2.7, 3.11, 3.13t by default) and prints one table', async () => {
    const t = io(cpu);
    const code = await main(['compare', 'cpu-bound', '--param', 'n=100', '--json', 'cmp.json'], t.io);
    expect(code).toBe(0);
    const lines = t.out().split('\n');
    expect(lines[0]).toBe('gilsim compare cpu-bound --python 2.7,3.11,3.13t');
    expect(lines.find((l) => /^\s+2\.7\s+3\.11\s+3\.13t$/.test(l))).toBeDefined();
    expect(lines.find((l) => l.trim().startsWith('gil '))).toMatch(/legacy \/100\s+new 5ms\s+none$/);
    // each column shows its profile's refcounting, as the profile table (config.ts) says
    const kinds = ['2.7', '3.11', '3.13t'].map((p) => resolveConfig({ python: p as '2.7' }).refcount);
    expect(lines.find((l) => l.trim().startsWith('refcount'))).toMatch(new RegExp(`${kinds.join('\\s+')}$`));
    const doc = JSON.parse(readFileSync(join(dir, 'cmp.json'), 'utf8'));
    expect(doc.runs.map((r: { label: string }) => r.label)).toEqual(['2.7', '3.11', '3.13t']);
    for (const r of doc.runs) expect(validateRunJson(r)).toEqual([]);
    expect(doc.runs.map((r: { config: { gil: string } }) => r.config.gil)).toEqual(['legacy', 'new', 'none']);
  });

  it('varies --gil with the other flags fixed', async () => {
    const t = io(cpu);
    expect(await main(['compare', 'cpu-bound', '--gil', 'new,fifo', '--switch-interval', '2', '--threads', '3'], t.io)).toBe(0);
    expect(t.logs).toHaveLength(2);
    expect(t.logs.map((l) => [l.options!.config.gil, l.options!.config.switchIntervalMs])).toEqual([
      ['new', 2],
      ['fifo', 2],
    ]);
    expect(t.logs[0]!.started[1]).toHaveLength(3);
  });

  it('a bad value in a list is a usage error before anything runs', async () => {
    const t = io(cpu);
    expect(await main(['compare', 'cpu-bound', '--python', '3.11,4.0'], t.io)).toBe(2);
    expect(t.err()).toContain("--python: expected one of 2.7, 3.11, 3.13, 3.13t, got '4.0'");
    expect(t.logs).toHaveLength(0);
  });
});

describe('sweep', () => {
  it('one column per thread count', async () => {
    const t = io(cpu);
    expect(await main(['sweep', 'cpu-bound', '--threads', '1,2,4', '--param', 'n=100'], t.io)).toBe(0);
    expect(t.logs.map((l) => l.started[1]!.length)).toEqual([1, 2, 4]);
    expect(t.out()).toMatch(/threads=1\s+threads=2\s+threads=4/);
  });

  it('or over one --param list', async () => {
    const t = io(cpu);
    expect(await main(['sweep', 'cpu-bound', '--param', 'n=10,20'], t.io)).toBe(0);
    expect(t.logs.map((l) => l.started[0]![0]!.args)).toEqual([[10], [20]]);
  });
});

describe('run', () => {
  it('prints the report, writes JSON and a valid trace', async () => {
    const t = io({ value: (p) => (p === 'makeShared' ? { stop: 1 } : p === 'ioCalls' ? [5, 6, 7] : 0) });
    const code = await main(['run', 'convoy', '--json', 'c.json', '--trace', 'c.trace.json', '--seed', '9'], t.io);
    expect(code, t.err()).toBe(0);
    expect(t.out()).toContain('gilsim: convoy');
    expect(t.out()).toContain('Small block threshold = 512, in 32 size classes.');
    const doc = JSON.parse(readFileSync(join(dir, 'c.json'), 'utf8'));
    expect(validateRunJson(doc)).toEqual([]);
    expect(doc.config.seed).toBe(9);
    expect(validateTrace(JSON.parse(readFileSync(join(dir, 'c.trace.json'), 'utf8')))).toEqual([]);
  });

  it('--quiet prints nothing on stdout', async () => {
    const t = io(cpu);
    expect(await main(['run', 'cpu-bound', '--quiet', '--param', 'n=10'], t.io)).toBe(0);
    expect(t.out()).toBe('');
  });

  it('a thread that raises: exit 1, the thread named', async () => {
    const t = io({ raiseIn: 'count-1' });
    expect(await main(['run', 'cpu-bound', '--param', 'n=10'], t.io)).toBe(1);
    expect(t.err()).toContain("thread 'count-1' raised KeyError: boom");
    expect(t.out()).toContain("thread 'count-1' raised KeyError: boom");
  });

  it('an output directory that does not exist is caught before the run', async () => {
    const t = io(cpu);
    expect(await main(['run', 'cpu-bound', '--json', 'no/such/dir/x.json'], t.io)).toBe(2);
    expect(t.err()).toMatch(/--json: directory .*no\/such\/dir does not exist/);
    expect(t.logs).toHaveLength(0);
  });
});

describe('flag values', () => {
  it('sizes and thresholds', () => {
    expect(parseSize('256m')).toBe(256 * 2 ** 20);
    expect(parseSize('1g')).toBe(2 ** 30);
    expect(parseSize('1.5G')).toBe(1.5 * 2 ** 30);
    expect(parseSize('512MiB')).toBe(512 * 2 ** 20);
    expect(() => parseSize('1m')).toThrow(/--heap-max: 1m is too small/);
    expect(parseThresholds('700,10,10')).toEqual([700, 10, 10]);
    expect(parseThresholds('100/5/5')).toEqual([100, 5, 5]);
    expect(() => parseThresholds('1,2,x')).toThrow(/--gc-threshold/);
  });
});

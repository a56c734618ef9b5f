/*
 * Every built-in scenario under every profile, through the command (node bin/gilsim.mjs run ...
 * --json), with short parameters; each JSON result validated against the documented shape.
 * Then a convoy trace validated, and a scenario whose thread raises.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { validateRunJson } from '../../src/report/json-shape.ts';
import { validateTrace } from '../../src/report/trace.ts';
import { PYTHON_PROFILES } from '../../src/runtime/config.ts';
import { BUILTIN_SCENARIOS } from '../../src/scenario/registry.ts';

const BIN = new URL('../../bin/gilsim.mjs', import.meta.url).pathname;
const FIXTURE = new URL('./fixtures/raises.ts', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'gilsim-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Short parameters: enough work for every code path, little time. */
const SHORT: Record<(typeof BUILTIN_SCENARIOS)[number], string[]> = {
  'cpu-bound': ['n=20000', 'threads=2'],
  convoy: ['calls=10', 'threads=1'],
  latency: ['wakeups=3', 'intervalMs=2', 'threads=1'],
  'alloc-storm': ['threads=2', 'slots=100', 'rounds=2000'],
  'producer-consumer': ['batches=10', 'batch=20', 'maxsize=4'],
  'ref-cycles': ['threads=2', 'pairs=1000', 'live=200'],
  'refcount-contention': ['threads=2', 'ops=5000'],
  fragmentation: ['objects=5000', 'keepEvery=16'],
};

/** A command's budget: generous (2 shared cores), but a hang must fail, not stall the suite. */
const RUN_TIMEOUT_MS = 60_000;

function gilsim(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), RUN_TIMEOUT_MS);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

const paramFlags = (ps: string[]) => ps.flatMap((p) => ['--param', p]);

describe('every built-in scenario under every profile', () => {
  for (const scenario of BUILTIN_SCENARIOS) {
    it(scenario, { timeout: PYTHON_PROFILES.length * RUN_TIMEOUT_MS }, async () => {
      for (const python of PYTHON_PROFILES) {
        const file = join(dir, `${scenario}-${python}.json`);
        const r = await gilsim(['run', scenario, '--python', python, ...paramFlags(SHORT[scenario]), '--json', file, '--quiet']);
        const what = `${scenario} --python ${python}: ${r.err}`;
        expect(r.code, what).toBe(0);
        expect(r.out, what).toBe(''); // --quiet
        const doc = JSON.parse(readFileSync(file, 'utf8'));
        expect(validateRunJson(doc), what).toEqual([]);
        expect(doc.scenario).toBe(scenario);
        expect(doc.config.python).toBe(python);
        expect(doc.threads.length, what).toBeGreaterThan(0);
        expect(Object.keys(doc.results).length, what).toBeGreaterThan(0);
        for (const t of doc.threads) expect(t.bytecodes, `${what} ${t.name}`).toBeGreaterThan(0);
      }
    });
  }
});

describe('the convoy trace', () => {
  it('is valid: fields on every event, named tracks, no overlapping slices', { timeout: RUN_TIMEOUT_MS }, async () => {
    const file = join(dir, 'convoy.trace.json');
    const r = await gilsim(['run', 'convoy', '--param', 'calls=20', '--trace', file, '--quiet']);
    expect(r.code, r.err).toBe(0);
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    expect(validateTrace(doc)).toEqual([]);
    const ev = doc.traceEvents as { name: string; ph: string; args?: Record<string, unknown> }[];
    const tracks = ev.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => e.args!.name);
    expect(tracks).toEqual(expect.arrayContaining(['io-alone/io', 'io-loaded/io', 'io-loaded/cpu-0']));
    const slices = new Set(ev.filter((e) => e.ph === 'X').map((e) => e.name));
    expect([...slices]).toEqual(expect.arrayContaining(['running', 'waiting for GIL', 'blocked']));
    expect(ev.some((e) => e.ph === 'X' && e.name === 'blocked' && e.args?.reason === 'io')).toBe(true);
    const counters = new Set(ev.filter((e) => e.ph === 'C').map((e) => e.name));
    expect([...counters]).toEqual(expect.arrayContaining(['heap bytes in use', 'arenas', 'GIL waiters']));
  });
});

describe('a thread that raises', () => {
  it('exits 1 and names the thread', { timeout: RUN_TIMEOUT_MS }, async () => {
    const file = join(dir, 'raises.json');
    const r = await gilsim(['run', FIXTURE, '--json', file]);
    expect(r.code, r.err).toBe(1);
    expect(r.err).toContain("thread 'doomed' raised KeyError");
    expect(r.out).toContain("thread 'doomed' raised KeyError: 'missing-key'");
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    expect(doc.error).toMatchObject({ thread: 'doomed', type: 'KeyError' });
    expect(doc.error.stack).toContain('doom');
    // The GIL figures of a run that ended early cover the time until the failure: never negative.
    expect(doc.gil.switches).toBeGreaterThanOrEqual(0);
    expect(doc.gil.heldFraction).toBeGreaterThanOrEqual(0);
  });
});

import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/runtime/config.ts';
import { resolveParams } from '../../src/scenario/params.ts';
import { loadBuiltin } from '../../src/scenario/registry.ts';
import { countThreads, runScenario } from '../../src/scenario/runner.ts';
import { fakeEngine, type FakeLog, type FakeScript } from './fixtures/fake-engine.ts';

async function run(name: string, raw: Record<string, string>, script: FakeScript) {
  const loaded = await loadBuiltin(name);
  const log: FakeLog = { started: [], closed: false };
  const r = await runScenario({
    loaded,
    params: resolveParams(loaded.scenario.params, raw),
    config: resolveConfig({ python: '3.11' }),
    heapMaxBytes: 2 ** 28,
    seed: 7,
    heapSampleMs: 0,
    engine: fakeEngine(script, log),
  });
  return { r, log, loaded };
}

describe('runner', () => {
  it('runs the phases in order and derives the results from them', async () => {
    const { r, log } = await run('cpu-bound', { n: '1000', threads: '3' }, {
      value: (_p, args) => args[0],
      ms: (_p, args) => ((args[0] as number) > 500 ? 30 : 10),
    });
    expect(log.started.map((ph) => ph.map((t) => `${t.name}:${t.program}:${t.args.join(',')}`))).toEqual([
      ['count:countdown:1000'],
      // 1000 split over 3: the remainder goes to the first thread
      ['count-0:countdown:334', 'count-1:countdown:333', 'count-2:countdown:333'],
    ]);
    expect(log.started[0]![0]!.moduleUrl).toMatch(/scenarios\/cpu-bound\.ts$/);
    expect(log.started[0]![0]!.fn).toBe('default.programs.countdown');
    // one warm-up thread per worker the widest phase needs, before anything else
    expect(log.warmups!.map((w) => w.map((t) => t.fn))).toEqual([['default.warmup', 'default.warmup', 'default.warmup']]);
    expect(log.closed).toBe(true);
    expect(r.error).toBeUndefined();
    expect(r.phases.map((p) => p.name)).toEqual(['sequential', 'threaded']);
    expect(r.results.sequentialMs).toBeGreaterThanOrEqual(29);
    expect(r.results.slowdown).toBeCloseTo((r.results.threadedMs as number) / (r.results.sequentialMs as number), 2);
    // per thread: the counters of its slot (after the 3 warm-up slots), the phase it ran in
    expect(r.threads.map((t) => [t.phase, t.name, t.bytecodes])).toEqual([
      ['sequential', 'count', 4000],
      ['threaded', 'count-0', 5000],
      ['threaded', 'count-1', 6000],
      ['threaded', 'count-2', 7000],
    ]);
    // a phase lasts from its first program's start to its last one's end
    expect(r.phases[0]!.wallMs).toBeCloseTo(30, 5);
    // GIL: differences over the phases; fractions of the measured time
    expect(r.gil.switches).toBe(40);
    expect(r.phases[1]!.gil.switches).toBe(30);
    expect(r.gil.heldFraction).toBeGreaterThan(0);
    expect(r.gil.heldFraction).toBeLessThanOrEqual(1);
    // tracks named phase/thread, timestamps relative to the run's start
    expect(r.timeline.tracks.map((t) => t.name)).toEqual(['sequential/count', 'threaded/count-0', 'threaded/count-1', 'threaded/count-2']);
    expect(r.timeline.tracks[0]!.events[0]!.t).toBeGreaterThanOrEqual(0);
    expect(r.timeline.tracks[0]!.events[0]!.t).toBeLessThan(r.wallMs);
    // the heap and the collector as measured after the last phase
    expect(r.heap.arenasCurrent).toBe(3);
    expect(r.gc.generations).toHaveLength(3);
    expect(r.gc.pauses).toMatchObject({ count: 2, totalMs: 3, maxMs: 2, p50Ms: 1, p99Ms: 2 });
  });

  it('runs setup first and hands what it returned to the phases, then teardown', async () => {
    const { r, log } = await run('convoy', { calls: '5', threads: '2' }, {
      value: (p) => (p === 'makeShared' ? { stop: 4242 } : p === 'ioCalls' ? [10, 20, 30, 40, 50] : 0),
    });
    expect(log.started.map((ph) => ph.map((t) => t.name))).toEqual([['makeShared'], ['io'], ['io', 'cpu-0', 'cpu-1'], ['dropShared']]);
    expect(log.started[0]![0]!.args).toEqual([{ calls: 5, ioMs: 0, threads: 2 }]);
    expect(log.started[2]![0]!.args).toEqual([5, 0, { stop: 4242 }]);
    expect(log.started[2]![1]!.args).toEqual([{ stop: 4242 }]);
    expect(log.started[3]![0]!.args).toEqual([{ stop: 4242 }]);
    expect(r.results).toMatchObject({ callP50Us: 30, callP99Us: 50 });
    expect(r.phases.map((p) => p.name)).toEqual(['io-alone', 'io-loaded']);
    // setup and teardown are not phases and not in the thread table
    expect(r.threads.map((t) => t.name)).toEqual(['io', 'io', 'cpu-0', 'cpu-1']);
  });

  it('sizes the thread table from the plan, before setup has run', async () => {
    const convoy = (await loadBuiltin('convoy')).scenario;
    // setup + teardown + io-alone (1) + io-loaded (1 + 3)
    expect(countThreads(convoy, resolveParams(convoy.params, { threads: '3' }), 1)).toBe(7);
    const latency = (await loadBuiltin('latency')).scenario;
    // setup + teardown + phases bg0..bg2 with 1, 2, 3 threads
    expect(countThreads(latency, resolveParams(latency.params, {}), 1)).toBe(8);
    const { log } = await run('convoy', { threads: '3' }, { value: (p) => (p === 'makeShared' ? { stop: 1 } : [1]) });
    // the run's threads, the warm-up (as wide as the widest phase) and two spare
    expect(log.options!.maxThreads).toBe(7 + 4 + 2);
    expect(log.warmups![0]).toHaveLength(4);
  });

  it('a thread that raises ends the run: the error names it, later phases do not run', async () => {
    const { r, log } = await run('cpu-bound', { n: '100' }, { raiseIn: 'count' });
    expect(log.started).toHaveLength(1);
    expect(r.error).toEqual({ thread: 'count', type: 'KeyError', message: 'boom', stack: 'KeyError: boom\n    at countdown (scenario.ts:1:1)' });
    expect(r.results).toEqual({});
    expect(log.closed).toBe(true);
    expect(log.verified ?? 0).toBe(0); // a failed run is not verified (threads were aborted)
  });

  it('verifies the heap once, after the last phase; an unsound heap fails the run, quoting the problems', async () => {
    const ok = await run('cpu-bound', { n: '100' }, {});
    expect(ok.log.verified).toBe(1);
    expect(ok.r.error).toBeUndefined();
    const problems = Array.from({ length: 7 }, (_, i) => `problem ${i}`);
    const bad = await run('cpu-bound', { n: '100' }, { heapProblems: problems });
    expect(bad.log.verified).toBe(1);
    expect(bad.r.error?.thread).toBe('(heap)');
    expect(bad.r.error?.type).toBe('HeapCorruption');
    expect(bad.r.error?.message).toBe(
      'the heap is unsound after the run: problem 0; problem 1; problem 2; problem 3; problem 4 (and 2 more)',
    );
    // the measured results are still there: the run ran, then its heap was found unsound
    expect(bad.r.results.slowdown).toBeGreaterThan(0);
    expect(bad.log.closed).toBe(true);
  });
});

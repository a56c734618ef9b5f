/*
 * The collector with threads: stop-the-world without a GIL, the triggering thread under a GIL.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readGcStats } from '../../src/gc/stats.ts';
import { Coordinator } from '../../src/host/coordinator.ts';
import { WorkerPool } from '../../src/host/pool.ts';
import { Runtime } from '../../src/runtime/runtime.ts';
import type { CycleStats } from './programs.ts';

const PROGRAMS = new URL('./programs.ts', import.meta.url).href;
const THREADS = 4;

let pool: WorkerPool | null = null;
const sharedPool = (): WorkerPool => (pool ??= new WorkerPool({ workers: THREADS }));
afterAll(async () => {
  await pool?.destroy();
  pool = null;
});

/** Run THREADS `cycles` programs for `ms` each; return the runtime, its py and the outcomes. */
async function stress(python: '3.13t' | '3.11', ms: number) {
  const rt = Runtime.create({ python, maxThreads: 8, traceEvents: 4096, deadlockMs: 20_000, maxHeapBytes: 512 * 2 ** 20 });
  const py = rt.mainThread();
  // what the programs intern (attribute names) and the shared class exist before the baseline
  const cls = py.newClass('Node');
  const warm = py.instance(cls);
  for (const name of ['owner', 'peer', 'junk']) py.setattr(warm, name, py.None);
  py.decref(warm);
  py.gc.collect();
  const baseline = rt.heap.liveBlockCount();
  const co = new Coordinator(rt.threads, 'runtime', { pool: sharedPool() });
  try {
    const outs = await co.runThreads(
      Array.from({ length: THREADS }, (_, i) => ({ module: PROGRAMS, fn: 'cycles', args: [ms, i + 1, cls], name: `cycler-${i}` })),
    );
    return { rt, py, cls, baseline, stats: outs.map((o) => o.value as CycleStats), slots: outs.map((o) => o.slot) };
  } finally {
    await co.close();
  }
}

describe('free-threaded collection (no GIL): stop the world', () => {
  it('4 threads building and dropping cycles for 10 s: nothing live freed, heap sound, nothing left', async () => {
    const { rt, py, cls, baseline, stats, slots } = await stress('3.13t', 10_000);
    // every thread ran its checks on live data to the end (a freed live object raises in there)
    for (const s of stats) {
      expect(s.cyclesMade).toBeGreaterThan(1000);
      expect(s.checks).toBeGreaterThan(1000);
    }
    expect(rt.verifyHeap()).toEqual([]);
    const gc = readGcStats(rt.mem, rt.layout);
    // automatic (scheduled) and asked-for collections ran, stopping the world each time
    expect(gc.collections).toBeGreaterThan(THREADS);
    expect(gc.stopTheWorld).toBe(gc.collections);
    expect(gc.generations.reduce((n, g) => n + g.collected, 0)).toBeGreaterThan(0);
    expect(gc.pausesMs.length).toBe(gc.collections);
    // the parked threads accounted their time; the collectors drew gc slices
    const metrics = slots.map((s) => rt.threads.threadMetrics(s));
    expect(metrics.some((m) => m.parks > 0 && m.parkedMs > 0)).toBe(true);
    const kinds = slots.flatMap((s) => rt.threads.timeline(s).events.map((e) => e.kind));
    expect(kinds).toContain('gc_begin');
    expect(kinds).toContain('gc_end');
    expect(kinds).toContain('park_begin');
    // everything dropped: one full collection leaves exactly the blocks of before
    py.gc.collect();
    expect(rt.verifyHeap()).toEqual([]);
    expect(rt.heap.liveBlockCount()).toBe(baseline);
    py.decref(cls);
  }, 120_000);
});

describe('collection under a GIL', () => {
  it('runs in the triggering thread, never stopping the world', async () => {
    const { rt, py, cls, baseline, stats } = await stress('3.11', 1_500);
    for (const s of stats) expect(s.checks).toBeGreaterThan(100);
    const gc = readGcStats(rt.mem, rt.layout);
    expect(gc.collections).toBeGreaterThan(THREADS);
    expect(gc.stopTheWorld).toBe(0);
    expect(rt.threads.gilMetrics().stopTheWorldPauses).toBe(0);
    py.gc.collect();
    expect(rt.verifyHeap()).toEqual([]);
    expect(rt.heap.liveBlockCount()).toBe(baseline);
    py.decref(cls);
  }, 60_000);
});

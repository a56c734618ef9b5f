/*
 * The free-threaded mode under load: 4 Python threads for 10 s of random object operations on
 * shared containers (no GIL: thread heaps, biased refcounts, critical sections, QSBR), with
 * objects made by one thread dying on another, garbage cycles and stop-the-world collections.
 * Afterwards, everything dropped and collected: no block is left beyond the baseline, the heap
 * and the objects verify, and a counter updated under a threading.Lock lost no update.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Coordinator } from '../../src/host/coordinator.ts';
import { brcStats } from '../../src/objects/brc.ts';
import type { StressStats, StressWorld } from './programs.ts';
import { destroyPool, ftRuntime, PROGRAMS, sharedPool } from './helpers.ts';

afterAll(destroyPool);

const THREADS = 4;
const RUN_MS = 10_000;

describe('free-threaded stress', () => {
  it(`${THREADS} threads for ${RUN_MS / 1000} s: nothing lost, nothing leaked, the heap verifies`, async () => {
    const { rt, py } = ftRuntime({ maxThreads: 8, traceEvents: 1024, deadlockMs: 30_000, maxHeapBytes: 512 * 2 ** 20 });
    // what the programs intern (attribute names), the classes and the gc garbage list exist first
    const nodeClass = py.newClass('Node');
    const slotClass = py.newClass('Slot', { slots: ['a', 'b'] });
    const warm = py.instance(nodeClass);
    for (const name of ['owner', 'peer', 'n']) py.setattr(warm, name, py.None);
    py.decref(warm);
    py.gc.collect();
    const baseline = rt.heap.liveBlockCount();
    const before = brcStats(rt.space);

    const world: StressWorld = {
      lists: Array.from({ length: 4 }, () => py.list()),
      dict: py.dict(),
      set: py.set(),
      queue: py.queue.Queue(64),
      lock: py.threading.Lock(),
      counter: py.instance(nodeClass),
      nodeClass,
      slotClass,
      shared: py.instance(nodeClass),
    };
    const zero = py.int(0);
    py.setattr(world.counter, 'n', zero);
    py.decref(zero);

    const co = new Coordinator(rt.threads, 'runtime', { pool: sharedPool(THREADS) });
    let stats: StressStats[];
    try {
      const outs = await co.runThreads(
        Array.from({ length: THREADS }, (_, i) => ({ module: PROGRAMS, fn: 'stress', args: [RUN_MS, i + 1, world], name: `stress-${i}` })),
      );
      stats = outs.map((o) => o.value as StressStats);
    } finally {
      await co.close();
    }

    // every thread did every kind of operation, objects crossed threads, collections ran
    for (const s of stats) expect(s.kinds.every((k) => k > 0)).toBe(true);
    const b = brcStats(rt.space);
    expect(b.queued - before.queued).toBeGreaterThan(0); // non-owners dropped last references
    expect(b.merged + b.orphaned - before.merged - before.orphaned).toBeGreaterThan(0);
    expect(stats.reduce((n, s) => n + s.collections, 0)).toBeGreaterThan(0);
    // the counter: read, add, write under the Lock, a poll in between; no update lost
    const total = stats.reduce((n, s) => n + s.increments, 0);
    expect(total).toBeGreaterThan(1000);
    const n = py.getattr(world.counter, 'n');
    expect(py.toJS(n)).toBe(total);
    py.decref(n);
    expect(rt.verifyHeap()).toEqual([]);

    // drop everything the run made, collect the cycles, let the deferred frees happen
    for (const l of world.lists) py.decref(l);
    for (const o of [world.dict, world.set, world.queue, world.lock, world.counter, world.shared]) py.decref(o);
    py.gc.collect();
    py.gc.collect();
    py.compute(20_000); // polls: quiescent points, queued refcounts merged
    expect(rt.space.unraisableLog).toEqual([]);
    expect(rt.verifyHeap()).toEqual([]);
    expect(rt.heap.liveBlockCount()).toBe(baseline);
    py.decref(nodeClass);
    py.decref(slotClass);
  }, 120_000);
});

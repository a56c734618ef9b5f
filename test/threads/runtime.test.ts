/*
 * Threads over the full runtime: Python objects cross threads through a Queue, the main thread
 * holds the GIL, the heap lock protects the allocator without a GIL.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Coordinator } from '../../src/host/coordinator.ts';
import { G_LAST_HOLDER, G_LOCKED } from '../../src/gil/block.ts';
import { Runtime } from '../../src/runtime/runtime.ts';
import { destroyPool, sharedPool } from './helpers.ts';

afterAll(destroyPool);

const PY_PROGRAMS = new URL('./py-programs.ts', import.meta.url).href;

describe('threads over the full runtime', () => {
  it('the main thread takes the GIL; threading objects are real Python objects', async () => {
    const rt = Runtime.create({ python: '3.11', maxThreads: 8, traceEvents: 1024 });
    const py = rt.mainThread();
    const main = rt.threads.current!;
    expect(rt.threads.block.load(G_LOCKED)).toBe(1);
    expect(rt.threads.block.load(G_LAST_HOLDER)).toBe(main.slot);
    expect(rt.threads.nameOf(main.slot)).toBe('MainThread');
    const l = py.threading.Lock();
    expect(py.typeName(l)).toBe('lock');
    expect(py.sys.getrefcount(l)).toBe(2);
    const q = py.queue.Queue();
    expect(py.typeName(q)).toBe('Queue');
    expect(py.gc.is_tracked(q)).toBe(true);
    expect(() => py.threading.acquire(q)).toThrow(/expected a lock object, got 'Queue'/);
    expect(() => py.threading.start(PY_PROGRAMS, 'churn', [1])).toThrow(/needs the thread host/);
    py.decref(l);
    py.decref(q);
    expect(rt.verifyHeap()).toEqual([]);
  });

  it('Queue passes Python objects between threads with correct reference counts', async () => {
    const rt = Runtime.create({ python: '3.11', maxThreads: 8, traceEvents: 1024, deadlockMs: 5_000 });
    const py = rt.mainThread();
    const co = new Coordinator(rt.threads, 'runtime', { pool: sharedPool() });
    try {
      const q = py.queue.Queue(16);
      const shared = py.object();
      const base = py.sys.getrefcount(shared);
      const n = 500;
      const [, c] = await co.runThreads([
        { module: PY_PROGRAMS, fn: 'produceInts', args: [q, n, shared], name: 'producer' },
        { module: PY_PROGRAMS, fn: 'consumeInts', args: [q, shared], name: 'consumer' },
      ]);
      expect(c!.value).toBe((1000 * n * (n - 1)) / 2);
      expect(py.sys.getrefcount(shared)).toBe(base);
      expect(py.queue.qsize(q)).toBe(0);
      // the queue blocked the producer when full (maxsize 16): it waited outside the GIL
      const producer = rt.threads.threadMetrics(rt.threads.slots().find((s) => rt.threads.nameOf(s) === 'producer')!);
      expect(producer.blocked.queue.count).toBeGreaterThan(0);
      py.decref(q);
      py.decref(shared);
      expect(rt.verifyHeap()).toEqual([]);
    } finally {
      await co.close();
    }
  });

  it('without a GIL, threads allocating at once keep the heap sound (the heap lock)', async () => {
    const rt = Runtime.create({ python: '3.13t', maxThreads: 8, traceEvents: 1024 });
    expect(rt.threads.policy.name).toBe('none');
    const py = rt.mainThread();
    const co = new Coordinator(rt.threads, 'runtime', { pool: sharedPool() });
    try {
      const [ea, eb] = [py.threading.Event(), py.threading.Event()];
      const outs = await co.runThreads([
        { module: PY_PROGRAMS, fn: 'churn', args: [10_000, ea, eb], name: 'a' },
        { module: PY_PROGRAMS, fn: 'churn', args: [10_000, eb, ea], name: 'b' },
      ]);
      expect(outs.map((o) => o.value)).toEqual([200_000, 200_000]);
      py.decref(ea);
      py.decref(eb);
      expect(rt.verifyHeap()).toEqual([]);
    } finally {
      await co.close();
    }
  });

  it('a thread started from the main thread runs while the main thread waits asynchronously', async () => {
    const rt = Runtime.create({ python: '3.11', maxThreads: 8, traceEvents: 1024 });
    const py = rt.mainThread();
    const co = new Coordinator(rt.threads, 'runtime', { pool: sharedPool() });
    try {
      const t = py.threading.start(PY_PROGRAMS, 'churn', [100], { name: 'bg' });
      const o = await co.joinAsync(t.ident);
      expect(o?.value).toBe(2000);
      expect(py.threading.join(t)).toBe(true);
      // the main thread gave the GIL up while it awaited, and has it back
      expect(rt.threads.current!.attached).toBe(true);
      expect(rt.threads.threadMetrics(rt.threads.current!.slot).voluntaryReleases).toBeGreaterThanOrEqual(1);
    } finally {
      await co.close();
    }
  });
});

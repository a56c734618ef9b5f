import { afterAll, describe, expect, it } from 'vitest';
import { DeadlockError, ThreadError } from '../../src/errors.ts';
import { EVENT_TYPE } from '../../src/runtime/threading/event.ts';
import { LOCK_TYPE } from '../../src/runtime/threading/lock.ts';
import { QUEUE_TYPE } from '../../src/runtime/threading/queue.ts';
import { WorkerPool } from '../../src/host/pool.ts';
import { Coordinator } from '../../src/host/coordinator.ts';
import { BareRuntime } from '../../src/runtime/threading/bare.ts';
import { destroyPool, harness, PROGRAMS } from './helpers.ts';

afterAll(destroyPool);

describe('Python threads on workers', () => {
  it('runs a thread and joinAsync returns its value and name', async () => {
    const h = harness();
    try {
      const slot = h.co.spawn({ module: PROGRAMS, fn: 'sleeper', args: [5], name: 'sleepy' });
      const o = await h.co.joinAsync(slot);
      expect(o?.ok).toBe(true);
      expect(o?.value).toBe('sleepy');
      expect(h.rt.threads.threadMetrics(slot).status).toBe('done');
      expect(h.rt.threads.threadMetrics(slot).blocked.sleep.count).toBe(1);
      const snap = h.co.inspect();
      expect(snap.threads.map((t) => t.name)).toEqual(['sleepy']);
      expect(snap.gil.policy).toBe('new');
    } finally {
      await h.close();
    }
  });

  it('the main thread can join synchronously a thread it started (posted at once)', async () => {
    const h = harness();
    try {
      const main = h.rt.threads.register('MainThread');
      const py = h.rt.py(main, h.rt.threads.localStarter);
      const t = py.threading.start(PROGRAMS, 'sleeper', [10], { name: 'sync-joined' });
      // blocks this JS thread (its event loop does not run) until the worker ends the thread
      expect(py.threading.join(t, 10_000)).toBe(true);
      expect(h.rt.threads.threadMetrics(t.ident).status).toBe('done');
      expect(h.rt.threads.threadMetrics(main.slot).blocked.join.count).toBe(1);
      await h.co.settleAll();
    } finally {
      await h.close();
    }
  });

  it('a thread starts another from its worker and join returns', async () => {
    const h = harness();
    try {
      const [o] = await h.co.runThreads([{ module: PROGRAMS, fn: 'parent', args: [PROGRAMS, 20], name: 'parent' }]);
      expect(o!.value).toEqual({ joined: true, child: 'child' });
      const slots = h.rt.threads.slots();
      expect(slots.map((s) => h.rt.threads.nameOf(s))).toEqual(['parent', 'child']);
      expect(h.rt.threads.threadMetrics(slots[1]!).parent).toBe(slots[0]);
      expect(h.rt.threads.threadMetrics(slots[0]!).blocked.join.count).toBe(1);
    } finally {
      await h.close();
    }
  });

  it('a throwing thread ends the run with a ThreadError naming it, within 5 s', async () => {
    const h = harness();
    try {
      const [stop] = h.words(1);
      const t0 = performance.now();
      const run = h.co.runThreads([
        { module: PROGRAMS, fn: 'cpuUntil', args: [stop], name: 'busy' },
        { module: PROGRAMS, fn: 'raiser', args: [10_000], name: 'bad' },
      ]);
      const err = await run.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ThreadError);
      const te = err as ThreadError;
      expect(te.threadName).toBe('bad');
      expect(te.message).toContain("thread 'bad' raised: KeyError: boom");
      expect(te.threadStack).toContain('raiser');
      expect(performance.now() - t0).toBeLessThan(5_000);
      const busy = h.co.outcomes().find((o) => o.name === 'busy')!;
      expect(busy.error?.type).toBe('AbortError');
      expect(h.rt.threads.threadMetrics(busy.slot).status).toBe('aborted');
    } finally {
      await h.close();
    }
  });

  it('two Locks taken in opposite order are reported as a deadlock naming threads and locks', async () => {
    const h = harness({ deadlockMs: 1_000 });
    try {
      const [barrier] = h.words(1);
      const a = h.rt.natives.create(LOCK_TYPE);
      const b = h.rt.natives.create(LOCK_TYPE);
      const err = await h.co
        .runThreads([
          { module: PROGRAMS, fn: 'lockPair', args: [barrier, a, b], name: 'ab' },
          { module: PROGRAMS, fn: 'lockPair', args: [barrier, b, a], name: 'ba' },
        ])
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DeadlockError);
      const msg = (err as Error).message;
      expect(msg).toMatch(/^deadlock: /);
      expect(msg).toContain(`thread 'ab' waits for lock 0x${b.toString(16)}, held by thread 'ba'`);
      expect(msg).toContain(`thread 'ba' waits for lock 0x${a.toString(16)}, held by thread 'ab'`);
    } finally {
      await h.close();
    }
  });

  it('a wait nothing can end is reported after the limit, not hung', async () => {
    const h = harness({ deadlockMs: 300 });
    try {
      const ev = h.rt.natives.create(EVENT_TYPE);
      const err = await h.co.runThreads([{ module: PROGRAMS, fn: 'waitForever', args: [ev], name: 'waiter' }]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DeadlockError);
      expect((err as Error).message).toContain("thread 'waiter' blocked for");
      expect((err as Error).message).toContain(`thread 'waiter' waits for event 0x${ev.toString(16)}`);
    } finally {
      await h.close();
    }
  });

  it('Queue passes references between threads with correct counts', async () => {
    const h = harness();
    try {
      const n = 1000;
      const q = h.rt.natives.create(QUEUE_TYPE);
      const item = h.rt.natives.create(LOCK_TYPE);
      const stop = h.rt.natives.create(EVENT_TYPE);
      expect(h.rt.natives.refcount(item)).toBe(1);
      const [, c] = await h.co.runThreads([
        { module: PROGRAMS, fn: 'producer', args: [q, item, n, stop], name: 'producer' },
        { module: PROGRAMS, fn: 'consumer', args: [q, stop], name: 'consumer' },
      ]);
      expect(c!.value).toBe(n);
      // every put took a reference and every get handed it to the consumer, who dropped it
      expect(h.rt.natives.refcount(item)).toBe(1);
      expect(h.rt.natives.refcount(stop)).toBe(1);
      h.rt.natives.decref(q);
      h.rt.natives.decref(item);
      h.rt.natives.decref(stop);
      expect(h.rt.heap.verifyHeap()).toEqual([]);
    } finally {
      await h.close();
    }
  });

  it('a coordinator with its own pool grows it as threads need and shuts it down without leaks', async () => {
    const rt = BareRuntime.create({ deadlockMs: 2_000 });
    const co = new Coordinator(rt.threads, 'bare', { workers: 1 });
    const [barrier] = [rt.heap.malloc(16)];
    rt.mem.i32[barrier >> 2] = 0;
    const outs = await co.runThreads([1, 2, 3].map((i) => ({ module: PROGRAMS, fn: 'cpu', args: [barrier, 3, 1000], name: `t${i}` })));
    expect(outs.every((o) => o.ok)).toBe(true);
    expect(co.pool.workers).toBeGreaterThanOrEqual(3);
    const pool: WorkerPool = co.pool;
    await co.close();
    expect(pool.workers).toBe(0);
  });
});

/*
 * The GIL policies with real threads on workers (bare runtime: heap + threads, no objects).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { LOCK_TYPE } from '../../src/runtime/threading/lock.ts';
import type { ThreadOutcome } from '../../src/host/types.ts';
import { destroyPool, harness, PROGRAMS, until, type Harness } from '../threads/helpers.ts';

afterAll(destroyPool);

const STEPS = 1_000_000;

/**
 * Run program `fn` as thread 'io' while a CPU-bound thread holds on to the GIL; then stop the CPU
 * thread and let both end. Returns both thread slots and the io thread's outcome.
 */
async function ioBesideCpu(h: Harness, fn: string, args: unknown[]): Promise<{ busy: number; io: number; outcome: ThreadOutcome | null }> {
  const [stop] = h.words(1);
  const busy = h.co.spawn({ module: PROGRAMS, fn: 'cpuUntil', args: [stop], name: 'cpu' });
  await until(() => h.rt.threads.threadMetrics(busy).bytecodes > 0, 'the CPU thread to run');
  const io = h.co.spawn({ module: PROGRAMS, fn, args, name: 'io' });
  const outcome = await h.co.joinAsync(io);
  Atomics.store(h.rt.mem.i32, stop! >> 2, 1);
  await h.co.settleAll();
  return { busy, io, outcome };
}

describe.each(['new', 'legacy', 'fifo'] as const)('under the %s GIL', (gil) => {
  it(`two threads doing ${STEPS} read-increment-write steps on a plain word lose no update`, async () => {
    const h = harness({ gil, switchIntervalMs: 1 });
    try {
      const [barrier, counter] = h.words(2);
      const [a, b] = await h.co.runThreads([
        { module: PROGRAMS, fn: 'count', args: [barrier, 2, counter, STEPS], name: 'a' },
        { module: PROGRAMS, fn: 'count', args: [barrier, 2, counter, STEPS], name: 'b' },
      ]);
      expect(h.rt.mem.i32[counter! >> 2]).toBe(2 * STEPS);
      // the GIL really changed hands while both counted (otherwise the test proves nothing)
      const ma = h.rt.threads.threadMetrics(a!.slot);
      const mb = h.rt.threads.threadMetrics(b!.slot);
      expect(ma.forcedDrops + mb.forcedDrops).toBeGreaterThan(0);
      expect(h.rt.threads.gilMetrics().switchNumber).toBeGreaterThan(2);
    } finally {
      await h.close();
    }
  });
});

describe('under the new GIL', () => {
  it('a poll between the read and the write lets a switch land there: updates can be lost', async () => {
    // CPython's `x += 1` is several bytecodes; the GIL protects bytecodes, not statements.
    const h = harness({ gil: 'new', switchIntervalMs: 1 });
    try {
      const [barrier, counter] = h.words(2);
      await h.co.runThreads([
        { module: PROGRAMS, fn: 'countSplit', args: [barrier, 2, counter, STEPS], name: 'a' },
        { module: PROGRAMS, fn: 'countSplit', args: [barrier, 2, counter, STEPS], name: 'b' },
      ]);
      expect(h.rt.mem.i32[counter! >> 2]).toBeLessThan(2 * STEPS);
    } finally {
      await h.close();
    }
  });

  it('a drop request is honoured within the interval plus a margin, and switch_number grows', async () => {
    const intervalMs = 5;
    const marginMs = 100;
    const h = harness({ gil: 'new', switchIntervalMs: intervalMs });
    try {
      const [barrier] = h.words(1);
      const [a, b] = await h.co.runThreads([
        { module: PROGRAMS, fn: 'cpu', args: [barrier, 2, 20_000_000], name: 'a' },
        { module: PROGRAMS, fn: 'cpu', args: [barrier, 2, 20_000_000], name: 'b' },
      ]);
      const g = h.rt.threads.gilMetrics();
      expect(g.switchNumber).toBeGreaterThan(4);
      expect(g.dropRequests).toBeGreaterThan(2);
      for (const [waiter, holder] of [
        [a!, b!],
        [b!, a!],
      ] as const) {
        const w = h.rt.threads.timeline(waiter.slot).events;
        const hd = h.rt.threads.timeline(holder.slot).events;
        const requests = w.filter((e) => e.kind === 'drop_request' && e.arg === holder.slot);
        expect(requests.length).toBeGreaterThan(0);
        for (const r of requests) {
          // the holder's next drop after the request: honouring it (reason 1), or ending (3)
          const drop = hd.find((e) => e.kind === 'drop' && e.t >= r.t);
          expect(drop, 'holder dropped after the request').toBeDefined();
          expect([1, 3]).toContain(drop!.arg);
          expect(drop!.t - r.t).toBeLessThan(marginMs);
        }
        // each contended take waited one interval for the request, then the handoff
        const begins = w.filter((e) => e.kind === 'wait_begin');
        const ends = w.filter((e) => e.kind === 'wait_end');
        const waits = begins.map((e, i) => ends[i]!.t - e.t);
        expect(Math.max(...waits)).toBeLessThan(intervalMs + marginMs);
      }
      const ma = h.rt.threads.threadMetrics(a!.slot);
      expect(ma.dropRequestsHonoured).toBeGreaterThan(0);
      expect(ma.forcedDrops).toBe(ma.dropRequestsHonoured);
      expect(ma.bytecodes).toBeGreaterThanOrEqual(20_000_000);
      expect(ma.acquisitions).toBe(ma.contendedAcquisitions + (ma.acquisitions - ma.contendedAcquisitions));
    } finally {
      await h.close();
    }
  });

  it('shows the convoy effect: an I/O thread that loses the GIL waits a whole interval to get it back', async () => {
    // As in CPython (bpo-7946). An I/O call that completes at once usually re-takes the GIL before
    // the waiting CPU thread wakes (its timed wait restarts at every signal, so it never asks for
    // a drop); but now and then the CPU thread wins that race, and the I/O thread must then wait a
    // whole interval before it may ask for the GIL back.
    const intervalMs = 5;
    const h = harness({ gil: 'new', switchIntervalMs: intervalMs });
    try {
      const { io, outcome: o } = await ioBesideCpu(h, 'ioFor', [60 * intervalMs]);
      expect(o?.ok).toBe(true);
      const m = h.rt.threads.threadMetrics(io);
      expect(m.blocked.io.count).toBe(o!.value);
      expect(m.voluntaryReleases).toBeGreaterThanOrEqual(m.blocked.io.count);
      expect(m.dropRequestsMade).toBeGreaterThan(0);
      expect(m.waitMaxUs).toBeGreaterThanOrEqual(intervalMs * 1000);
    } finally {
      await h.close();
    }
  });

  it('an I/O call that really blocks always hands the GIL over: every retake waits an interval', async () => {
    const intervalMs = 5;
    const h = harness({ gil: 'new', switchIntervalMs: intervalMs });
    try {
      const { busy, io } = await ioBesideCpu(h, 'ioCalls', [10, 1]);
      const m = h.rt.threads.threadMetrics(io);
      expect(m.blocked.io.count).toBe(10);
      // the CPU thread took the GIL during each 1 ms call; coming back costs a full interval
      expect(m.contendedAcquisitions).toBeGreaterThanOrEqual(10);
      expect(m.waitP50Us).toBeGreaterThanOrEqual(intervalMs * 1000 * 0.75);
      expect(h.rt.threads.threadMetrics(busy).dropRequestsHonoured).toBeGreaterThanOrEqual(10);
    } finally {
      await h.close();
    }
  });
});

describe('under the legacy GIL', () => {
  it('releases and re-takes every check interval ticks', async () => {
    const h = harness({ gil: 'legacy', checkInterval: 100 });
    try {
      const [barrier] = h.words(1);
      const [a] = await h.co.runThreads([{ module: PROGRAMS, fn: 'cpu', args: [barrier, 0, 1_000_000], name: 'a' }]);
      const m = h.rt.threads.threadMetrics(a!.slot);
      const expected = m.bytecodes / 100;
      expect(m.forcedDrops).toBeGreaterThan(expected * 0.95);
      expect(m.forcedDrops).toBeLessThanOrEqual(expected + 2);
      expect(m.dropRequestsHonoured).toBe(0);
    } finally {
      await h.close();
    }
  });
});

describe('under the fifo GIL', () => {
  it('a thread that releases the GIL goes behind the waiting thread: no barging back in', async () => {
    // Under the new GIL an I/O call that completes at once usually takes the GIL straight back
    // (the waiting CPU thread has not woken yet). With tickets it cannot: the waiter's ticket is
    // older, so every return from I/O waits a whole interval behind the CPU thread.
    const intervalMs = 5;
    for (const gil of ['fifo', 'new'] as const) {
      const h = harness({ gil, switchIntervalMs: intervalMs });
      try {
        const { io } = await ioBesideCpu(h, 'ioCalls', [10, 0]);
        const m = h.rt.threads.threadMetrics(io);
        const longWaits = h.rt.threads
          .timeline(io)
          .events.filter((e) => e.kind === 'wait_begin' || e.kind === 'wait_end')
          .reduce<number[]>((acc, e, i, a) => (e.kind === 'wait_end' && i > 0 ? [...acc, e.t - a[i - 1]!.t] : acc), [])
          .filter((ms) => ms >= intervalMs * 0.75).length;
        if (gil === 'fifo') {
          // the first take plus one per I/O call, each behind the CPU thread for an interval
          expect(m.contendedAcquisitions).toBe(11);
          expect(longWaits).toBe(11);
        } else {
          expect(longWaits).toBeLessThan(11);
        }
      } finally {
        await h.close();
      }
    }
  });
});

describe('with no GIL', () => {
  it('the same read-increment-write loses updates: deterministically with one interleaving', async () => {
    const h = harness({ gil: 'none' });
    try {
      const [counter, flag] = h.words(2);
      await h.co.runThreads([
        { module: PROGRAMS, fn: 'lostUpdate', args: [counter, flag, 0], name: 'a' },
        { module: PROGRAMS, fn: 'lostUpdate', args: [counter, flag, 1], name: 'b' },
      ]);
      expect(h.rt.mem.i32[counter! >> 2]).toBe(1);
    } finally {
      await h.close();
    }
  });

  it(`and in ${STEPS} free-running steps per thread`, async () => {
    const h = harness({ gil: 'none' });
    try {
      const [barrier, counter] = h.words(2);
      await h.co.runThreads([
        { module: PROGRAMS, fn: 'count', args: [barrier, 2, counter, STEPS], name: 'a' },
        { module: PROGRAMS, fn: 'count', args: [barrier, 2, counter, STEPS], name: 'b' },
      ]);
      expect(h.rt.mem.i32[counter! >> 2]).toBeLessThan(2 * STEPS);
    } finally {
      await h.close();
    }
  });

  it('a threading.Lock around the step loses none', async () => {
    const steps = 100_000;
    const h = harness({ gil: 'none' });
    try {
      const [barrier, counter] = h.words(2);
      const lock = h.rt.natives.create(LOCK_TYPE);
      await h.co.runThreads([
        { module: PROGRAMS, fn: 'countLocked', args: [barrier, 2, counter, steps, lock], name: 'a' },
        { module: PROGRAMS, fn: 'countLocked', args: [barrier, 2, counter, steps, lock], name: 'b' },
      ]);
      expect(h.rt.mem.i32[counter! >> 2]).toBe(2 * steps);
    } finally {
      await h.close();
    }
  });
});

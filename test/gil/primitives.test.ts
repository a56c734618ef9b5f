/*
 * The primitives and the thread state, on one JS thread (no workers).
 */
import { describe, expect, it } from 'vitest';
import { AbortError, PyRuntimeError, QueueEmpty, QueueFull, ValueError } from '../../src/errors.ts';
import { G_LAST_HOLDER, G_LOCKED, G_NEXT_TICKET, G_NOW_SERVING, G_SWITCH_NUMBER } from '../../src/gil/block.ts';
import { Cond } from '../../src/gil/cond.ts';
import { CONTENDED, LOCKED, Mutex, UNLOCKED } from '../../src/gil/mutex.ts';
import { POLICIES } from '../../src/gil/policy.ts';
import type { WaitGuard } from '../../src/gil/wait.ts';
import { GIL_POLICIES } from '../../src/runtime/config.ts';
import { ATTACHED, DETACHED, FIRST_FREE_BREAKER_BIT, T_ATTACH, slotWord } from '../../src/runtime/threadstate.ts';
import { BareRuntime } from '../../src/runtime/threading/bare.ts';
import { HIST_BUCKETS, histBounds, histIndex, histPercentile } from '../../src/runtime/threading/histogram.ts';

const noStart = { start: () => { throw new Error('no thread host in this test'); } };

function mainThread(opts: Parameters<typeof BareRuntime.create>[0] = {}) {
  const rt = BareRuntime.create({ workPerBytecode: 4, ...opts });
  const ts = rt.threads.register('MainThread');
  return { rt, ts, py: rt.py(ts, noStart) };
}

describe('futex mutex', () => {
  it('goes 0 -> 1 -> 0 uncontended, times out when held, and unlocks a contended word to 0', () => {
    const i32 = new Int32Array(new SharedArrayBuffer(64));
    const m = new Mutex(i32, 3);
    expect(m.tryLock()).toBe(true);
    expect(i32[3]).toBe(LOCKED);
    expect(m.tryLock()).toBe(false);
    const t0 = performance.now();
    expect(m.lockTimed(20)).toBe(false);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(19);
    // the timed-out locker left the word CONTENDED: unlock must reset it and notify
    expect(i32[3]).toBe(CONTENDED);
    m.unlock();
    expect(i32[3]).toBe(UNLOCKED);
    expect(m.lockTimed(20)).toBe(true);
    m.unlock();
  });

  it('a guarded lock gives up when the guard says stop', () => {
    const i32 = new Int32Array(new SharedArrayBuffer(64));
    const m = new Mutex(i32, 0);
    m.lock();
    let asked = 0;
    const guard: WaitGuard = { shouldStop: () => ++asked >= 2, raise: () => { throw new Error('stop'); } };
    expect(m.lockTimed(Infinity, guard)).toBe(false);
    expect(asked).toBe(2);
  });
});

describe('condition variable', () => {
  it('a timed wait with no signal times out and holds the mutex again', () => {
    const i32 = new Int32Array(new SharedArrayBuffer(64));
    const m = new Mutex(i32, 0);
    const c = new Cond(i32, 1);
    m.lock();
    expect(c.wait(m, 15)).toBe('timeout');
    expect(m.locked()).toBe(true);
    c.signal();
    expect(i32[1]).toBe(1);
    m.unlock();
  });
});

describe('wait histogram', () => {
  it('has quarter-octave buckets from 1 µs and interpolates percentiles', () => {
    expect(histIndex(0)).toBe(0);
    expect(histIndex(0.999)).toBe(0);
    expect(histIndex(1)).toBe(1);
    expect(histIndex(1.25)).toBe(2);
    expect(histIndex(2)).toBe(5);
    expect(histIndex(1e12)).toBe(HIST_BUCKETS - 1);
    for (const us of [1, 3, 17, 1000, 5000, 123456]) {
      const [lo, hi] = histBounds(histIndex(us));
      expect(us).toBeGreaterThanOrEqual(lo);
      expect(us).toBeLessThan(hi);
    }
    const counts = new Array(HIST_BUCKETS).fill(0);
    for (let us = 1; us <= 1000; us++) counts[histIndex(us)]++;
    expect(histPercentile(counts, 0.5)).toBeGreaterThan(500 / 1.19);
    expect(histPercentile(counts, 0.5)).toBeLessThan(500 * 1.19);
    expect(histPercentile(counts, 0.99, 1000)).toBeLessThanOrEqual(1000);
    expect(histPercentile(new Array(HIST_BUCKETS).fill(0), 0.5)).toBe(0);
  });
});

describe('policies behind one interface', () => {
  it('every configured policy name has a factory', () => {
    for (const name of GIL_POLICIES) expect(typeof POLICIES[name]).toBe('function');
  });

  it('new: take sets locked and counts a switch only for a new holder', () => {
    const { rt, ts } = mainThread({ gil: 'new' });
    const b = rt.threads.block;
    expect(b.load(G_LOCKED)).toBe(1);
    expect(b.load(G_LAST_HOLDER)).toBe(ts.slot);
    expect(b.load(G_SWITCH_NUMBER)).toBe(1);
    ts.detach('voluntary');
    expect(b.load(G_LOCKED)).toBe(0);
    ts.attach();
    expect(b.load(G_SWITCH_NUMBER)).toBe(1);
    expect(rt.threads.threadMetrics(ts.slot).acquisitions).toBe(2);
    expect(rt.threads.threadMetrics(ts.slot).voluntaryReleases).toBe(1);
  });

  it('fifo: each take draws a ticket, each drop serves the next', () => {
    const { rt, ts } = mainThread({ gil: 'fifo' });
    const b = rt.threads.block;
    expect([b.load(G_NEXT_TICKET), b.load(G_NOW_SERVING)]).toEqual([1, 0]);
    ts.detach('voluntary');
    ts.attach();
    expect([b.load(G_NEXT_TICKET), b.load(G_NOW_SERVING)]).toEqual([2, 1]);
  });

  it('none: no lock; a heap lock for the allocator; attach states still switch', () => {
    const { rt, ts } = mainThread({ gil: 'none' });
    expect(rt.threads.policy.exclusive).toBe(false);
    expect(rt.threads.policy.heapLock).not.toBeNull();
    expect(rt.threads.block.load(G_LOCKED)).toBe(0);
    const a = slotWord(rt.layout, ts.slot, T_ATTACH);
    expect(rt.threads.i32[a]).toBe(ATTACHED);
    ts.detach('voluntary');
    expect(rt.threads.i32[a]).toBe(DETACHED);
    ts.attach();
    expect(rt.config.refcount).toBe('atomic');
  });

  it('legacy: releases and re-takes every check interval ticks, counted in tick()', () => {
    const { rt, ts, py } = mainThread({ gil: 'legacy', checkInterval: 100 });
    for (let i = 0; i < 1000; i++) py.tick();
    const m = rt.threads.threadMetrics(ts.slot);
    expect(m.forcedDrops).toBe(10);
    expect(m.acquisitions).toBe(11);
    py.sys.setcheckinterval(10);
    expect(py.sys.getcheckinterval()).toBe(10);
    for (let i = 0; i < 1000; i++) py.tick();
    expect(rt.threads.threadMetrics(ts.slot).forcedDrops).toBe(10 + 100);
  });
});

describe('thread state and eval breaker', () => {
  it('counts bytecodes; a scheduled GC runs its hook at the next poll', () => {
    const { rt, ts, py } = mainThread();
    const seen: number[] = [];
    rt.threads.hooks.gcScheduled = (t) => seen.push(t.slot);
    py.compute(800);
    ts.scheduleGc();
    expect(seen).toEqual([]);
    py.tick();
    expect(seen).toEqual([ts.slot]);
    py.tick();
    expect(seen).toEqual([ts.slot]);
    ts.flush();
    expect(rt.threads.threadMetrics(ts.slot).bytecodes).toBe(802);
  });

  it('ABORT makes the next poll raise AbortError naming the failed thread', () => {
    const { rt, ts, py } = mainThread();
    const other = rt.threads.claimSlot('worker-1');
    rt.threads.abortAll(other);
    expect(() => py.tick()).toThrow(AbortError);
    expect(() => py.tick()).toThrow(/thread 'worker-1' failed/);
    expect(rt.threads.failedSlot()).toBe(other);
    // a later failure does not replace the first
    rt.threads.abortAll(ts.slot);
    expect(rt.threads.failedSlot()).toBe(other);
  });

  it('sys.setswitchinterval takes seconds, rejects <= 0', () => {
    const { py } = mainThread();
    expect(py.sys.getswitchinterval()).toBe(0.005);
    py.sys.setswitchinterval(0.001);
    expect(py.sys.getswitchinterval()).toBe(0.001);
    expect(() => py.sys.setswitchinterval(0)).toThrow(ValueError);
  });

  it('the timeline ring keeps the newest events and counts the overwritten ones', () => {
    const { rt, ts, py } = mainThread({ traceEvents: 8 });
    for (let i = 0; i < 10; i++) py.io(0);
    const tl = rt.threads.timeline(ts.slot);
    expect(tl.events).toHaveLength(8);
    expect(tl.dropped).toBeGreaterThan(0);
    expect(tl.events.map((e) => e.kind).slice(-4)).toEqual(['drop', 'blocked_begin', 'blocked_end', 'take']);
    for (let i = 1; i < tl.events.length; i++) expect(tl.events[i]!.t).toBeGreaterThanOrEqual(tl.events[i - 1]!.t);
  });

  it('stop-the-world with no other thread returns at once and counts a pause', () => {
    const { rt, ts } = mainThread({ gil: 'none' });
    rt.threads.stopTheWorld(ts);
    expect(rt.threads.stopRequested()).toBe(true);
    rt.threads.startTheWorld(ts);
    expect(rt.threads.stopRequested()).toBe(false);
    expect(rt.threads.gilMetrics().stopTheWorldPauses).toBe(1);
  });
});

describe('threading objects on one thread', () => {
  it('Lock: acquire, non-blocking failure, timed failure, release of an unlocked lock', () => {
    const { py } = mainThread();
    const l = py.threading.Lock();
    expect(py.threading.acquire(l)).toBe(true);
    expect(py.threading.locked(l)).toBe(true);
    expect(py.threading.acquire(l, false)).toBe(false);
    expect(py.threading.acquire(l, true, 10)).toBe(false);
    py.threading.release(l);
    expect(() => py.threading.release(l)).toThrow(PyRuntimeError);
  });

  it('RLock: re-entrant for its owner', () => {
    const { py } = mainThread();
    const r = py.threading.RLock();
    expect(py.threading.acquire(r)).toBe(true);
    expect(py.threading.acquire(r)).toBe(true);
    py.threading.release(r);
    expect(py.threading.locked(r)).toBe(true);
    py.threading.release(r);
    expect(py.threading.locked(r)).toBe(false);
    expect(() => py.threading.release(r)).toThrow(/un-acquired/);
  });

  it('Event and Condition: timed waits return false; notify needs the lock', () => {
    const { py } = mainThread();
    const ev = py.threading.Event();
    expect(py.threading.wait(ev, 5)).toBe(false);
    py.threading.set(ev);
    expect(py.threading.wait(ev)).toBe(true);
    expect(py.threading.is_set(ev)).toBe(true);
    const c = py.threading.Condition();
    expect(() => py.threading.notify(c)).toThrow(/un-acquired/);
    const lock = py.threading.Lock();
    const c2 = py.threading.Condition(lock);
    expect(py.refcount(lock)).toBe(2);
    py.threading.acquire(lock);
    expect(py.threading.wait(c2, 5)).toBe(false);
    expect(py.threading.locked(lock)).toBe(true);
    py.threading.release(lock);
    py.decref(c2);
    expect(py.refcount(lock)).toBe(1);
  });

  it('Queue: FIFO across ring growth and wrap-around, maxsize, Empty/Full, references', () => {
    const { rt, py } = mainThread();
    const item = py.threading.Lock();
    const q = py.queue.Queue();
    const got: number[] = [];
    const items = Array.from({ length: 50 }, () => py.threading.Event());
    for (let i = 0; i < 50; i++) {
      py.queue.put(q, items[i]!);
      if (i % 3 === 0) got.push(py.queue.get(q));
    }
    while (!py.queue.empty(q)) got.push(py.queue.get(q));
    expect(got).toEqual(items);
    expect(() => py.queue.get(q, false)).toThrow(QueueEmpty);
    expect(() => py.queue.get(q, true, 5)).toThrow(QueueEmpty);
    for (const o of got) {
      expect(py.refcount(o)).toBe(2);
      py.decref(o);
      py.decref(o);
    }
    const small = py.queue.Queue(2);
    py.queue.put(small, item);
    py.queue.put(small, item);
    expect(py.queue.full(small)).toBe(true);
    expect(() => py.queue.put(small, item, false)).toThrow(QueueFull);
    expect(() => py.queue.put(small, item, true, 5)).toThrow(QueueFull);
    expect(py.refcount(item)).toBe(3);
    py.decref(small);
    expect(py.refcount(item)).toBe(1);
    py.decref(q);
    py.decref(item);
    expect(rt.heap.verifyHeap()).toEqual([]);
  });
});

describe('Python code that runs on after a failed blocking call', () => {
  it('takes the GIL back at its next py call', () => {
    const { rt, ts, py } = mainThread({ deadlockMs: 50 });
    const ev = py.threading.Event();
    // nothing can set the event: the watchdog ends the wait, the thread is left detached
    expect(() => py.threading.wait(ev)).toThrow(/no thread can wake it/);
    expect(ts.attached).toBe(false);
    py.tick();
    expect(ts.attached).toBe(true);
    expect(rt.threads.block.load(G_LOCKED)).toBe(1);
    py.compute(100);
    expect(ts.attached).toBe(true);
  });
});

describe('eval breaker bits for later parts', () => {
  it('a bit from FIRST_FREE_BREAKER_BIT up reaches the breaker hook at the next poll', () => {
    const { rt, ts, py } = mainThread();
    const seen: number[] = [];
    rt.threads.hooks.breaker = (t, bits) => {
      seen.push(bits);
      t.clearRequest(bits);
    };
    ts.request(FIRST_FREE_BREAKER_BIT << 1);
    py.tick();
    py.tick();
    expect(seen).toEqual([FIRST_FREE_BREAKER_BIT << 1]);
  });
});

describe('stop-the-world watchdog', () => {
  it('a thread that stays attached without polling makes the stop fail clearly, not hang', () => {
    const { rt, ts } = mainThread({ gil: 'none', deadlockMs: 50 });
    const other = rt.threads.bind(rt.threads.claimSlot('idle-attached'));
    other.start();
    rt.threads.current = ts;
    expect(() => rt.threads.stopTheWorld(ts)).toThrow(/could not stop the world in 50 ms: thread 'idle-attached' never reached a safe point/);
    expect(rt.threads.stopRequested()).toBe(false);
  });
});

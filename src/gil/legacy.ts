/*
 * The old GIL: CPython 2.7, 3.0 and 3.1.
 *
 * A plain lock: a mutex, a `locked` flag and a condition the waiters sleep on. No timed wait, no
 * drop request, no handoff. Instead the running thread counts ticks (roughly bytecodes) and every
 * `sys.setcheckinterval` ticks (default 100) it releases the lock and at once asks for it back.
 *
 * On one core that gives the others a turn, because the release wakes a waiter and the OS may
 * switch to it. On several cores it usually does not: the releasing thread is still running and
 * re-takes the lock within nanoseconds, while the woken waiter is still being scheduled; the
 * waiter finds the lock taken and sleeps again. That battle is why two CPU-bound threads on
 * 2.7 ran slower than the same work done sequentially (David Beazley, "Inside the Python GIL").
 *
 * Release, as in 2.7's thread_pthread.h: lock the mutex, clear `locked`, unlock, then signal.
 * `last_holder` and `switch_number` are kept only for the report (2.7 had no such counters).
 */

import { G_CHECK_INTERVAL, G_COND, G_LAST_HOLDER, G_LOCKED, G_MUTEX, G_SWITCH_NUMBER, type GilBlock } from './block.ts';
import { Cond } from './cond.ts';
import { Mutex } from './mutex.ts';
import type { DropReason, GilHost, GilPolicy } from './policy.ts';
import { WaitStats } from './stats.ts';
import type { WaitGuard } from './wait.ts';

class LegacyGil implements GilPolicy {
  readonly name = 'legacy' as const;
  readonly exclusive = true;
  readonly heapLock = null;
  private readonly host: GilHost;
  private readonly b: GilBlock;
  private readonly i32: Int32Array;
  private readonly locked: number;
  private readonly mutex: Mutex;
  private readonly cond: Cond;
  private readonly stats: WaitStats;

  constructor(host: GilHost) {
    const b = host.block;
    this.host = host;
    this.b = b;
    this.i32 = b.i32;
    this.locked = b.word(G_LOCKED);
    this.mutex = new Mutex(this.i32, b.word(G_MUTEX));
    this.cond = new Cond(this.i32, b.word(G_COND));
    this.stats = new WaitStats(b, host.clock);
  }

  take(slot: number, guard: WaitGuard): boolean {
    const { i32, b } = this;
    this.mutex.lock();
    const waited = Atomics.load(i32, this.locked) !== 0;
    if (waited) this.waitForLock(guard);
    Atomics.store(i32, this.locked, 1);
    if (b.load(G_LAST_HOLDER) !== slot) {
      b.store(G_LAST_HOLDER, slot);
      Atomics.add(i32, b.word(G_SWITCH_NUMBER), 1);
    }
    this.mutex.unlock();
    return waited;
  }

  private waitForLock(guard: WaitGuard): void {
    const since = this.host.clock();
    this.stats.begin();
    try {
      while (Atomics.load(this.i32, this.locked) !== 0) {
        if (this.cond.wait(this.mutex, Infinity, guard, since) === 'stopped') {
          this.mutex.unlock();
          guard.raise();
        }
      }
    } finally {
      this.stats.end();
    }
  }

  drop(_slot: number, _reason: DropReason, _guard: WaitGuard): void {
    this.mutex.lock();
    Atomics.store(this.i32, this.locked, 0);
    this.mutex.unlock();
    this.cond.signal();
  }

  checkInterval(): number {
    return this.b.load(G_CHECK_INTERVAL);
  }
}

export function legacyGil(host: GilHost): GilPolicy {
  return new LegacyGil(host);
}

/*
 * A futex-style mutex over one Int32 word of the buffer.
 *
 * The word holds one of three values (the classic design from Drepper's "Futexes Are Tricky"):
 *
 *     UNLOCKED 0    nobody holds it
 *     LOCKED   1    held, nobody waiting: unlock is one atomic subtraction, no notify
 *     CONTENDED 2   held, and somebody may be asleep on the word: unlock must notify
 *
 * Fast path: lock is one compareExchange 0 -> 1, unlock one subtraction 1 -> 0. Slow path: a
 * locker first spins a little (SPIN_LIMIT looks at the word, a few microseconds: the critical
 * sections these mutexes guard are shorter than a futex sleep and wake, as glibc's adaptive
 * mutexes assume), then swaps in CONTENDED and sleeps on the word until it swaps out UNLOCKED. Sleeping is
 * sliced (WAIT_SLICE_MS) so that a timed lock can give up at its deadline and a guarded lock can
 * give up when the run aborts.
 *
 * This is the mutex CPython's GIL is built from (MUTEX_T over a pthread mutex, which glibc
 * implements exactly this way), and the one threading.Lock and the free-threaded heap lock use.
 */

import { now } from './clock.ts';
import { NO_GUARD, WAIT_SLICE_MS, type WaitGuard } from './wait.ts';

export const UNLOCKED = 0;
export const LOCKED = 1;
export const CONTENDED = 2;

/**
 * Internal mutexes (the GIL's own, the heap lock) are held for a few instructions. A waiter that
 * has not got one after this long has found a bug (or a thread killed inside a critical section).
 */
export const INTERNAL_MUTEX_LIMIT_MS = 30_000;

/** Looks at a locked word before sleeping on it. */
export const SPIN_LIMIT = 200;

export class Mutex {
  readonly i32: Int32Array;
  readonly index: number;

  constructor(i32: Int32Array, index: number) {
    this.i32 = i32;
    this.index = index;
  }

  tryLock(): boolean {
    return Atomics.compareExchange(this.i32, this.index, UNLOCKED, LOCKED) === UNLOCKED;
  }

  /** Lock for a short critical section; never gives up (but never waits unboundedly either). */
  lock(): void {
    if (Atomics.compareExchange(this.i32, this.index, UNLOCKED, LOCKED) !== UNLOCKED) this.lockInternalSlow();
  }

  unlock(): void {
    if (Atomics.sub(this.i32, this.index, 1) !== LOCKED) {
      Atomics.store(this.i32, this.index, UNLOCKED);
      Atomics.notify(this.i32, this.index, 1);
    }
  }

  /**
   * Lock with a timeout and a guard. Returns true when locked, false when the time ran out or the
   * guard said stop (the caller then asks the guard to raise).
   */
  lockTimed(timeoutMs: number, guard: WaitGuard = NO_GUARD, since = now()): boolean {
    if (this.tryLock()) return true;
    return this.lockSlow(since + timeoutMs, guard, since);
  }

  locked(): boolean {
    return Atomics.load(this.i32, this.index) !== UNLOCKED;
  }

  private lockInternalSlow(): void {
    const since = now();
    if (!this.lockSlow(since + INTERNAL_MUTEX_LIMIT_MS, NO_GUARD, since)) {
      throw new Error(`internal mutex at word ${this.index} not released within ${INTERNAL_MUTEX_LIMIT_MS} ms`);
    }
  }

  private lockSlow(deadline: number, guard: WaitGuard, since: number): boolean {
    const { i32, index } = this;
    for (let spin = 0; spin < SPIN_LIMIT; spin++) {
      if (Atomics.load(i32, index) === UNLOCKED && Atomics.compareExchange(i32, index, UNLOCKED, LOCKED) === UNLOCKED) {
        return true;
      }
    }
    let c = Atomics.load(i32, index);
    if (c !== CONTENDED) c = Atomics.exchange(i32, index, CONTENDED);
    while (c !== UNLOCKED) {
      const left = deadline - now();
      if (left <= 0) return false;
      Atomics.wait(i32, index, CONTENDED, Math.min(left, WAIT_SLICE_MS));
      if (guard.shouldStop(since)) return false;
      c = Atomics.exchange(i32, index, CONTENDED);
    }
    return true;
  }
}

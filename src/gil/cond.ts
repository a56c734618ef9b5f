/*
 * A condition variable over one Int32 "sequence" word of the buffer.
 *
 * A waiter reads the sequence, releases its mutex, and sleeps while the word still holds what it
 * read; a signaller bumps the word and wakes one sleeper (broadcast: all). A signal that lands
 * between the waiter's read and its sleep changes the word, so the sleep returns at once: no
 * wakeup is ever lost. Wakeups may be spurious (as with pthread_cond_wait), so every caller waits
 * in a loop on its own predicate, exactly as CPython's GIL code does.
 *
 * The timed wait is what the new GIL is made of: COND_TIMED_WAIT(cond, mutex, interval) tells its
 * caller whether the whole interval elapsed without a signal.
 */

import { now } from './clock.ts';
import type { Mutex } from './mutex.ts';
import { NO_GUARD, WAIT_SLICE_MS, type WaitGuard } from './wait.ts';

/** 'signaled' covers spurious wakeups too; 'stopped' means the guard asked to give up. */
export type CondOutcome = 'signaled' | 'timeout' | 'stopped';

export class Cond {
  readonly i32: Int32Array;
  readonly index: number;

  constructor(i32: Int32Array, index: number) {
    this.i32 = i32;
    this.index = index;
  }

  /**
   * Wait for a signal for at most `timeoutMs`. `m` is held on entry and again on return, whatever
   * the outcome. The guard is consulted between slices, with `m` released.
   */
  wait(m: Mutex, timeoutMs: number, guard: WaitGuard = NO_GUARD, since = now()): CondOutcome {
    const { i32, index } = this;
    const seq = Atomics.load(i32, index);
    m.unlock();
    const deadline = now() + timeoutMs;
    let outcome: CondOutcome;
    for (;;) {
      const left = deadline - now();
      if (left <= 0) {
        outcome = 'timeout';
        break;
      }
      if (Atomics.wait(i32, index, seq, Math.min(left, WAIT_SLICE_MS)) !== 'timed-out') {
        outcome = 'signaled';
        break;
      }
      if (guard.shouldStop(since)) {
        outcome = 'stopped';
        break;
      }
    }
    m.lock();
    return outcome;
  }

  /** Wake one waiter (no FIFO: whichever the kernel picks). */
  signal(): void {
    Atomics.add(this.i32, this.index, 1);
    Atomics.notify(this.i32, this.index, 1);
  }

  broadcast(): void {
    Atomics.add(this.i32, this.index, 1);
    Atomics.notify(this.i32, this.index);
  }
}

/*
 * The arena lock: what the free-threaded mode takes around the allocator's shared parts.
 * =======================================================================================
 *
 * Under a GIL the whole allocator is serialised by the GIL and nothing here runs. In the
 * free-threaded mode (thread-heap.ts) each thread allocates blocks from pools it owns without any
 * lock; only the parts every thread shares are taken under this lock, briefly:
 *
 *   - taking an empty pool for a thread (usable_arenas, nfp2lasta, the arena objects, and new
 *     arenas: arena.ts) and giving an empty pool back to its arena;
 *   - the raw allocator (raw.ts) and the slot space (segments.ts): every malloc, free and realloc
 *     of 0 or more than 512 bytes;
 *   - the pools of the shared rings (owner 0: pools a GIL-mode handle filled before the threads
 *     got their own heaps), which an unbound thread heap allocates from and frees into.
 *
 * It is a futex-style mutex in one word (S_ARENA_LOCK, on a cache line of its own): 0 free,
 * 1 taken, 2 taken with waiters (Drepper's "Futexes Are Tricky", mutex 2). A taker that finds it
 * taken spins a little (the holder does a few dozen memory operations), then marks it contended
 * and sleeps in Atomics.wait with a timeout; the releaser wakes one sleeper if the word said 2.
 * Every wait is bounded: past LOCK_DEADLINE_MS of trying, the taker throws DeadlockError (a
 * thread died holding it, or the allocator is broken) instead of hanging.
 *
 * Never call anything that may take the lock while holding it (it is not recursive) and never
 * wait for anything else while holding it.
 */

import { DeadlockError } from '../errors.ts';

const UNLOCKED = 0;
const LOCKED = 1;
const CONTENDED = 2;
/** compareExchange attempts before sleeping */
const SPINS = 64;
/** one sleep in Atomics.wait */
const WAIT_MS = 1;
/** total time a taker tries before calling it a deadlock */
export const LOCK_DEADLINE_MS = 10_000;

export class ArenaLock {
  /** Int32 index of the lock word */
  private declare readonly word: number;
  /** Int32 index of the contention counter (written under the lock) */
  private declare readonly contendedWord: number;

  constructor(
    private readonly i32: Int32Array,
    lockOffset: number,
    contendedOffset: number,
    /** how long lock() tries before throwing DeadlockError */
    private readonly deadlineMs = LOCK_DEADLINE_MS,
  ) {
    this.word = lockOffset >> 2;
    this.contendedWord = contendedOffset >> 2;
  }

  lock(): void {
    if (Atomics.compareExchange(this.i32, this.word, UNLOCKED, LOCKED) !== UNLOCKED) this.lockSlow();
  }

  unlock(): void {
    if (Atomics.exchange(this.i32, this.word, UNLOCKED) === CONTENDED) Atomics.notify(this.i32, this.word, 1);
  }

  /** True when some thread holds the lock (for assertions and the verifier). */
  isLocked(): boolean {
    return Atomics.load(this.i32, this.word) !== UNLOCKED;
  }

  private lockSlow(): void {
    const i32 = this.i32;
    const w = this.word;
    for (let i = 0; i < SPINS; i++) {
      if (Atomics.load(i32, w) === UNLOCKED && Atomics.compareExchange(i32, w, UNLOCKED, LOCKED) === UNLOCKED) {
        this.countContended();
        return;
      }
    }
    const deadline = performance.now() + this.deadlineMs;
    while (Atomics.exchange(i32, w, CONTENDED) !== UNLOCKED) {
      Atomics.wait(i32, w, CONTENDED, WAIT_MS);
      if (performance.now() > deadline) {
        throw new DeadlockError(`the heap's arena lock was not released within ${this.deadlineMs} ms`);
      }
    }
    this.countContended();
  }

  private countContended(): void {
    this.i32[this.contendedWord]++;
  }
}

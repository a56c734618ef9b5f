/*
 * Per-object locks and critical sections: containers without a global lock.
 * =========================================================================
 *
 * Without a GIL two threads may append to one list at the same moment. CPython 3.13t gives every
 * object a one-byte mutex (ob_mutex) and wraps each container operation in a CRITICAL SECTION
 * (Include/internal/pycore_critical_section.h): Py_BEGIN_CRITICAL_SECTION(op) locks op's mutex,
 * Py_BEGIN_CRITICAL_SECTION2(a, b) locks two objects in a fixed (address) order so two threads
 * working on the same pair cannot deadlock.
 *
 * Our mutex lives in the upper bits of the GC header's flags word (header.ts: gc_flags), so every
 * container has one and nothing else moves. The collector's own bits stay where they are (it
 * writes them only while the world is stopped, when no thread holds an object lock):
 *
 *     gc_flags   bits 0-2    FINALIZED, COLLECTING, UNREACHABLE (the collector's)
 *                bits 3-7    the young ring the object is tracked in (gc-lists.ts)
 *                bit  8      OB_LOCKED     held
 *                bit  9      OB_HAS_PARKED somebody sleeps on the word: unlock must notify
 *                bits 10-31  the version, bumped by every unlock
 *
 * Lock: one compareExchange setting OB_LOCKED; when held, spin a little (the sections are a few
 * hundred instructions), then set OB_HAS_PARKED and Atomics.wait on the word, in bounded slices,
 * up to OB_LOCK_LIMIT_MS (a lock held that long is a bug: DeadlockError). Unlock: clear both bits,
 * add one version, notify if somebody parked.
 *
 * The version makes the lock a sequence lock too: a reader that may not take the lock (a lock-free
 * list read, list.ts listGetItemRef) notes the word, reads, and checks the word again: same word,
 * not locked, means no mutation ran in between.
 *
 * Rules kept by the callers (py.ts, PyImplFT):
 *   - a section never polls the eval breaker, never blocks, never runs Python code: objects whose
 *     count reaches zero inside it are deallocated after it ends (ObjectSpace.deferDeallocs), so
 *     a finalizer cannot run while a container lock is held; a thread holding a lock therefore
 *     never parks for a stop-the-world, and a waiter never waits for a parked thread;
 *   - nested sections lock in a fixed order (an instance before its class, two containers by
 *     address);
 *   - under a GIL none of this runs: the runtime chooses PyImpl or PyImplFT when it is created.
 */

import { DeadlockError } from '../errors.ts';

/*
 * Hot-path constants, repeated here as literals on purpose (see objects/space.ts);
 * test/objects/mirrors.test.ts checks every copy against its definition.
 */
const GC_HEAD_BYTES = 16;
const GC_FLAGS = 12;
export const MIRRORS = { GC_HEAD_BYTES, GC_FLAGS };

export const OB_LOCKED = 1 << 8;
export const OB_HAS_PARKED = 1 << 9;
export const OB_VERSION_ONE = 1 << 10;
const LOCK_BITS = OB_LOCKED | OB_HAS_PARKED;
/** looks at a held word before sleeping on it */
const OB_SPINS = 200;
/** one sleep slice, ms */
const OB_WAIT_SLICE_MS = 5;
/** a lock held longer than this is a bug, not contention */
export const OB_LOCK_LIMIT_MS = 30_000;

/** Word index of o's lock (o must be a GC object: it has a GC header). */
export function lockWord(o: number): number {
  return (o - GC_HEAD_BYTES + GC_FLAGS) >> 2;
}

/** Lock o (Py_BEGIN_CRITICAL_SECTION). */
export function obLock(i32: Int32Array, o: number): void {
  lockAt(i32, (o - GC_HEAD_BYTES + GC_FLAGS) >> 2);
}

/** Unlock o (Py_END_CRITICAL_SECTION): a new version; wake a sleeper if any. */
export function obUnlock(i32: Int32Array, o: number): void {
  unlockAt(i32, (o - GC_HEAD_BYTES + GC_FLAGS) >> 2);
}

/** The same mutex over any word (the weakref list locks, brc.ts). */
export function lockAt(i32: Int32Array, w: number): void {
  const v = Atomics.load(i32, w);
  if ((v & OB_LOCKED) === 0 && Atomics.compareExchange(i32, w, v, v | OB_LOCKED) === v) return;
  lockSlow(i32, w);
}

export function unlockAt(i32: Int32Array, w: number): void {
  let v = Atomics.load(i32, w);
  for (;;) {
    const next = ((v & ~LOCK_BITS) + OB_VERSION_ONE) | 0;
    const seen = Atomics.compareExchange(i32, w, v, next);
    if (seen === v) break;
    v = seen;
  }
  if ((v & OB_HAS_PARKED) !== 0) Atomics.notify(i32, w);
}

/** Lock two objects in address order (Py_BEGIN_CRITICAL_SECTION2); one lock if they are the same. */
export function obLock2(i32: Int32Array, a: number, b: number): void {
  if (a === b) return obLock(i32, a);
  obLock(i32, a < b ? a : b);
  obLock(i32, a < b ? b : a);
}

export function obUnlock2(i32: Int32Array, a: number, b: number): void {
  if (a === b) return obUnlock(i32, a);
  obUnlock(i32, a < b ? b : a);
  obUnlock(i32, a < b ? a : b);
}

/** Is o locked now (by anyone)? */
export function obIsLocked(i32: Int32Array, o: number): boolean {
  return (Atomics.load(i32, lockWord(o)) & OB_LOCKED) !== 0;
}

/** The sequence word for a lock-free read: odd-free check is `(v & OB_LOCKED) === 0`. */
export function obVersion(i32: Int32Array, o: number): number {
  return Atomics.load(i32, (o - GC_HEAD_BYTES + GC_FLAGS) >> 2) & ~(OB_HAS_PARKED | 7);
}

function lockSlow(i32: Int32Array, w: number): void {
  for (let spin = 0; spin < OB_SPINS; spin++) {
    const v = Atomics.load(i32, w);
    if ((v & OB_LOCKED) === 0 && Atomics.compareExchange(i32, w, v, v | OB_LOCKED) === v) return;
  }
  const since = performance.now();
  for (;;) {
    const v = Atomics.load(i32, w);
    if ((v & OB_LOCKED) === 0) {
      if (Atomics.compareExchange(i32, w, v, v | OB_LOCKED) === v) return;
      continue;
    }
    const parked = v | OB_HAS_PARKED;
    if (v !== parked && Atomics.compareExchange(i32, w, v, parked) !== v) continue;
    Atomics.wait(i32, w, parked, OB_WAIT_SLICE_MS);
    if (performance.now() - since > OB_LOCK_LIMIT_MS) {
      throw new DeadlockError(`object lock at word ${w} held for more than ${OB_LOCK_LIMIT_MS} ms`);
    }
  }
}

/*
 * threading.Lock and threading.RLock (CPython's _thread.lock and _thread.RLock).
 *
 * A lock is a futex mutex (src/gil/mutex.ts) in the object's state, plus the owner's slot (for
 * RLock's re-entry and the watchdog's report) and, for RLock, the recursion count. Acquiring an
 * unlocked lock is one compareExchange with the GIL held. Waiting for a locked one releases the
 * GIL first, exactly as CPython's lock.acquire does (Py_BEGIN_ALLOW_THREADS around the futex
 * wait), so the holder can run and release it.
 */

import { PyRuntimeError } from '../../errors.ts';
import { Mutex, UNLOCKED, LOCKED } from '../../gil/mutex.ts';
import type { ThreadState } from '../threadstate.ts';
import type { PyObject } from '../types.ts';
import { LOCK_COUNT, LOCK_FUTEX, LOCK_OWNER, LOCK_STATE_BYTES } from './lockword.ts';
import type { NativeType } from './natives.ts';

export const LOCK_TYPE: NativeType = { name: 'lock', stateBytes: LOCK_STATE_BYTES };
export const RLOCK_TYPE: NativeType = { name: 'RLock', stateBytes: LOCK_STATE_BYTES };

/** A negative or missing timeout means "wait for ever" (still in bounded slices). */
export const deadlineOf = (now: number, timeoutMs: number | undefined): number =>
  timeoutMs === undefined || timeoutMs < 0 ? Infinity : now + timeoutMs;

/** lock.acquire(blocking, timeout). `state`: the lock's state offset, `handle`: the object. */
export function lockAcquire(ts: ThreadState, handle: PyObject, state: number, blocking = true, timeoutMs?: number): boolean {
  const i32 = ts.sys.mem.i32;
  const w = state >> 2;
  if (Atomics.compareExchange(i32, w + LOCK_FUTEX, UNLOCKED, LOCKED) === UNLOCKED) {
    Atomics.store(i32, w + LOCK_OWNER, ts.slot + 1);
    return true;
  }
  if (!blocking || timeoutMs === 0) return false;
  const m = new Mutex(i32, w + LOCK_FUTEX);
  const since = ts.sys.clock();
  const deadline = deadlineOf(since, timeoutMs);
  const got = ts.blocking('lock', handle, state, deadline, () => {
    const ok = m.lockTimed(deadline - since, ts, since);
    if (!ok && ts.stopPending()) ts.raise();
    return ok;
  });
  if (got) Atomics.store(i32, w + LOCK_OWNER, ts.slot + 1);
  return got;
}

/** lock.release(): any thread may release a Lock; an unlocked one raises RuntimeError. */
export function lockRelease(ts: ThreadState, state: number): void {
  const i32 = ts.sys.mem.i32;
  const w = state >> 2;
  if (Atomics.load(i32, w + LOCK_FUTEX) === UNLOCKED) throw new PyRuntimeError('release unlocked lock');
  Atomics.store(i32, w + LOCK_OWNER, 0);
  new Mutex(i32, w + LOCK_FUTEX).unlock();
}

export function lockLocked(ts: ThreadState, state: number): boolean {
  return Atomics.load(ts.sys.mem.i32, (state >> 2) + LOCK_FUTEX) !== UNLOCKED;
}

/** RLock.acquire: re-entry by the owner only counts. */
export function rlockAcquire(ts: ThreadState, handle: PyObject, state: number, blocking = true, timeoutMs?: number): boolean {
  const i32 = ts.sys.mem.i32;
  const w = state >> 2;
  if (Atomics.load(i32, w + LOCK_OWNER) === ts.slot + 1) {
    i32[w + LOCK_COUNT] = i32[w + LOCK_COUNT]! + 1;
    return true;
  }
  if (!lockAcquire(ts, handle, state, blocking, timeoutMs)) return false;
  i32[w + LOCK_COUNT] = 1;
  return true;
}

export function rlockRelease(ts: ThreadState, state: number): void {
  const i32 = ts.sys.mem.i32;
  const w = state >> 2;
  if (Atomics.load(i32, w + LOCK_OWNER) !== ts.slot + 1) throw new PyRuntimeError('cannot release un-acquired lock');
  const n = i32[w + LOCK_COUNT]! - 1;
  i32[w + LOCK_COUNT] = n;
  if (n === 0) lockRelease(ts, state);
}

export function rlockOwned(ts: ThreadState, state: number): boolean {
  return Atomics.load(ts.sys.mem.i32, (state >> 2) + LOCK_OWNER) === ts.slot + 1;
}

/** Condition.wait's _release_save: release an RLock whatever its depth; returns the depth. */
export function rlockReleaseAll(ts: ThreadState, state: number): number {
  const i32 = ts.sys.mem.i32;
  const w = state >> 2;
  if (Atomics.load(i32, w + LOCK_OWNER) !== ts.slot + 1) throw new PyRuntimeError('cannot release un-acquired lock');
  const n = i32[w + LOCK_COUNT]!;
  i32[w + LOCK_COUNT] = 1;
  rlockRelease(ts, state);
  return n;
}

/** Condition.wait's _acquire_restore. */
export function rlockAcquireRestore(ts: ThreadState, handle: PyObject, state: number, depth: number): void {
  rlockAcquire(ts, handle, state);
  ts.sys.mem.i32[(state >> 2) + LOCK_COUNT] = depth;
}

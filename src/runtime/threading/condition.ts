/*
 * threading.Condition: a lock plus a FIFO queue of waiting threads.
 *
 * As in CPython's threading.py, each waiter has a private wakeup it sleeps on (here the wake word
 * of its own thread slot) and the condition keeps the waiters in arrival order (here a list
 * linked through the waiters' slots, head and tail in the condition's state). notify(n) takes the
 * first n off the list and sets their wake words; a waiter that times out takes itself off. The
 * list is only touched with the condition's lock held, so it needs no lock of its own.
 *
 *   word 0  lock     the underlying Lock or RLock (a reference the condition owns)
 *   word 1  is_rlock 1 if the lock is an RLock
 *   word 2  head     first waiter's slot + 1, 0 when empty
 *   word 3  tail     last waiter's slot + 1
 */

import { PyRuntimeError } from '../../errors.ts';
import { waitWhile } from '../../gil/wait.ts';
import { T_COND_NEXT, T_WAKE, slotWord, type ThreadState } from '../threadstate.ts';
import type { PyObject } from '../types.ts';
import {
  LOCK_TYPE,
  RLOCK_TYPE,
  deadlineOf,
  lockAcquire,
  lockLocked,
  lockRelease,
  rlockAcquireRestore,
  rlockOwned,
  rlockReleaseAll,
} from './lock.ts';
import type { NativeObjects, NativeType } from './natives.ts';

const C_LOCK = 0;
const C_IS_RLOCK = 1;
const C_HEAD = 2;
const C_TAIL = 3;

export const CONDITION_TYPE: NativeType = {
  name: 'Condition',
  stateBytes: 16,
  traverse(_n: NativeObjects, i32: Int32Array, state: number, visit: (o: PyObject) => void) {
    const lock = i32[(state >> 2) + C_LOCK]!;
    if (lock !== 0) visit(lock);
  },
  clear(n: NativeObjects, i32: Int32Array, state: number) {
    const lock = i32[(state >> 2) + C_LOCK]!;
    i32[(state >> 2) + C_LOCK] = 0;
    if (lock !== 0) n.decref(lock);
  },
  dealloc(n: NativeObjects, i32: Int32Array, state: number) {
    CONDITION_TYPE.clear!(n, i32, state);
  },
};

/** Fill a new Condition's state: `lock` is a Lock or RLock the condition takes a reference to. */
export function conditionInit(natives: NativeObjects, i32: Int32Array, state: number, lock: PyObject, isRlock: boolean): void {
  natives.incref(lock);
  i32[(state >> 2) + C_LOCK] = lock;
  i32[(state >> 2) + C_IS_RLOCK] = isRlock ? 1 : 0;
}

interface Parts {
  i32: Int32Array;
  w: number;
  lock: PyObject;
  lockState: number;
  rlock: boolean;
}

function parts(ts: ThreadState, natives: NativeObjects, state: number): Parts {
  const i32 = ts.sys.mem.i32;
  const w = state >> 2;
  const lock = i32[w + C_LOCK]!;
  if (lock === 0) throw new PyRuntimeError('the condition was cleared');
  const rlock = i32[w + C_IS_RLOCK] === 1;
  return { i32, w, lock, rlock, lockState: natives.state(lock, rlock ? RLOCK_TYPE : LOCK_TYPE) };
}

function owned(ts: ThreadState, p: Parts): boolean {
  return p.rlock ? rlockOwned(ts, p.lockState) : lockLocked(ts, p.lockState);
}

/** Condition.wait(timeout): the lock must be held; returns false if the timeout passed. */
export function conditionWait(ts: ThreadState, natives: NativeObjects, handle: PyObject, state: number, timeoutMs?: number): boolean {
  const p = parts(ts, natives, state);
  if (!owned(ts, p)) throw new PyRuntimeError('cannot wait on un-acquired lock');
  const i32 = p.i32;
  const wake = slotWord(ts.sys.layout, ts.slot, T_WAKE);
  Atomics.store(i32, wake, 0);
  enqueue(ts, p);
  const depth = p.rlock ? rlockReleaseAll(ts, p.lockState) : (lockRelease(ts, p.lockState), 1);
  const clock = ts.sys.clock;
  const since = clock();
  const deadline = deadlineOf(since, timeoutMs);
  // If the wait raises (abort, deadlock) the lock stays released: the run is ending anyway.
  let notified = ts.blocking('cond', handle, 0, deadline, () => {
    for (;;) {
      if (Atomics.load(i32, wake) !== 0) return true;
      const r = waitWhile(i32, wake, 0, deadline - clock(), ts, since, clock);
      if (r === 'stopped') ts.raise();
      if (r === 'timeout') return Atomics.load(i32, wake) !== 0;
    }
  });
  if (p.rlock) rlockAcquireRestore(ts, p.lock, p.lockState, depth);
  else lockAcquire(ts, p.lock, p.lockState);
  if (!notified) notified = !remove(ts, p, ts.slot);
  return notified;
}

/** notify(n): wake the first n waiters. The lock must be held. */
export function conditionNotify(ts: ThreadState, natives: NativeObjects, state: number, n = 1): void {
  const p = parts(ts, natives, state);
  if (!owned(ts, p)) throw new PyRuntimeError('cannot notify on un-acquired lock');
  const i32 = p.i32;
  const layout = ts.sys.layout;
  for (let k = 0; k < n; k++) {
    const head = i32[p.w + C_HEAD]!;
    if (head === 0) break;
    const slot = head - 1;
    const next = i32[slotWord(layout, slot, T_COND_NEXT)]!;
    i32[p.w + C_HEAD] = next;
    if (next === 0) i32[p.w + C_TAIL] = 0;
    i32[slotWord(layout, slot, T_COND_NEXT)] = 0;
    const wake = slotWord(layout, slot, T_WAKE);
    Atomics.store(i32, wake, 1);
    Atomics.notify(i32, wake);
  }
}

function enqueue(ts: ThreadState, p: Parts): void {
  const { i32, w } = p;
  const layout = ts.sys.layout;
  i32[slotWord(layout, ts.slot, T_COND_NEXT)] = 0;
  const tail = i32[w + C_TAIL]!;
  if (tail === 0) i32[w + C_HEAD] = ts.slot + 1;
  else i32[slotWord(layout, tail - 1, T_COND_NEXT)] = ts.slot + 1;
  i32[w + C_TAIL] = ts.slot + 1;
}

/** Take `slot` off the waiter list; false if it was not there (a notify took it). */
function remove(ts: ThreadState, p: Parts, slot: number): boolean {
  const { i32, w } = p;
  const layout = ts.sys.layout;
  let prev = 0;
  let cur = i32[w + C_HEAD]!;
  while (cur !== 0 && cur !== slot + 1) {
    prev = cur;
    cur = i32[slotWord(layout, cur - 1, T_COND_NEXT)]!;
  }
  if (cur === 0) return false;
  const next = i32[slotWord(layout, slot, T_COND_NEXT)]!;
  if (prev === 0) i32[w + C_HEAD] = next;
  else i32[slotWord(layout, prev - 1, T_COND_NEXT)] = next;
  if (i32[w + C_TAIL] === slot + 1) i32[w + C_TAIL] = prev;
  i32[slotWord(layout, slot, T_COND_NEXT)] = 0;
  return true;
}

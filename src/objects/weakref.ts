/*
 * weakref.ref: a reference that does not count, cleared when the referent dies.
 * ============================================================================
 *
 *     gc header | header | wr_object | wr_callback | hash | wr_prev | wr_next | (vectorcall)
 *                                                                           (64 + 16 B = 80)
 *
 * A weakrefable object (instances with a __dict__, classes, sets, slot classes that list
 * '__weakref__') has a weakref list head at a fixed offset (its type's tp_weaklistoffset); the
 * weakrefs to it form a doubly linked list through wr_prev / wr_next. The basic ref (no callback)
 * is kept first and shared: `weakref.ref(x) is weakref.ref(x)`, as CPython.
 *
 * When the referent dies, every weakref is cleared (wr_object = None) and unlinked; then each
 * still-alive weakref that has a callback gets it called, exactly once, with the weakref. The
 * callback is a JS function kept in the creating thread's table (space.weakCallbacks), keyed by
 * the weakref's offset; wr_callback is non-zero while it is pending: the ident of that thread
 * (brc.ts), so that a referent dying on another thread has the call routed there (pending.ts).
 * Weakrefs are tracked containers.
 *
 * Free-threaded: each referent's list is changed under one of WEAKREF_LOCKS striped locks
 * (CPython's WEAKREF_LIST_LOCK); ref() takes its reference with tryIncref, so a referent dying on
 * another thread reads as None.
 */

import { GilsimError, PyTypeError } from '../errors.ts';
import { WEAKREF_LOCKS, weakrefLockWord } from './brc.ts';
import { lockAt, unlockAt } from './critical.ts';
import { OBJECT_HEAD_BYTES } from './header.ts';
import { K_INSTANCE, K_SET, K_TYPE, K_WEAKREF, T_WEAKLIST, T_WEAKLISTOFFSET } from './kinds.ts';
import { SO_WEAKREFLIST } from './set.ts';
import { CALL_WEAKREF, callName, OWNER_EXITED, pushCall } from './pending.ts';
import type { ObjectSpace, Visit } from './space.ts';

export const WR_OBJECT = OBJECT_HEAD_BYTES;
export const WR_CALLBACK = OBJECT_HEAD_BYTES + 8;
export const WR_HASH = OBJECT_HEAD_BYTES + 16;
export const WR_PREV = OBJECT_HEAD_BYTES + 24;
export const WR_NEXT = OBJECT_HEAD_BYTES + 32;
export const WEAKREF_BYTES = OBJECT_HEAD_BYTES + 48;

export type WeakCallback = (py: never, ref: number) => void;

const f = (o: number, field: number): number => (o + field) >> 2;

export function weakrefSizeof(): number {
  return WEAKREF_BYTES;
}

/** Offset of o's weakref list head inside o, or 0 when o cannot be weakly referenced. */
export function weaklistOffset(s: ObjectSpace, o: number): number {
  switch (s.kindOf(o)) {
    case K_INSTANCE:
      return s.i32[(s.typeOf(o) + T_WEAKLISTOFFSET) >> 2]!;
    case K_SET:
      return SO_WEAKREFLIST;
    case K_TYPE:
      return T_WEAKLIST;
    default:
      return 0;
  }
}

/** weakref.ref(o, callback): a new reference. */
export function newWeakref(s: ObjectSpace, o: number, callback?: WeakCallback): number {
  const off = weaklistOffset(s, o);
  if (off === 0) throw new PyTypeError(`cannot create weak reference to '${s.typeName(o)}' object`);
  if (s.ft) return newWeakrefLocked(s, o, off, callback);
  const head = s.i32[f(o, off)]!;
  const basic = head !== 0 && s.i32[f(head, WR_CALLBACK)] === 0 ? head : 0;
  if (callback === undefined && basic !== 0) {
    s.incref(basic);
    return basic;
  }
  const r = allocWeakref(s, o, callback);
  linkWeakref(s, o, off, r, callback !== undefined);
  s.gcl.track(r);
  return r;
}

/**
 * Free-threaded: the weakref list of o is changed under its striped lock (weakrefLock), and o is
 * marked as maybe weakly referenced (biased refcounting: a deref from another thread may then
 * try-incref it through the shared count). The new ref is allocated before the lock is taken (an
 * allocation may start a collection, which must never happen while a lock is held).
 */
function newWeakrefLocked(s: ObjectSpace, o: number, off: number, callback: WeakCallback | undefined): number {
  s.rc.setMaybeWeakref(o);
  s.markShared(o); // ref() reads it without a lock: its memory must go back through QSBR
  const r = allocWeakref(s, o, callback);
  const lw = weakrefLock(s, o);
  let basic = 0;
  lockAt(s.i32, lw);
  s.syncIfGrown();
  try {
    const head = s.i32[f(o, off)]!;
    // a basic ref being deallocated (count 0, not unlinked yet) cannot be handed out
    if (callback === undefined && head !== 0 && s.i32[f(head, WR_CALLBACK)] === 0 && s.rc.tryIncref(head)) basic = head;
    else linkWeakref(s, o, off, r, callback !== undefined);
  } finally {
    unlockAt(s.i32, lw);
  }
  if (basic !== 0) {
    s.freeGC(r);
    return basic;
  }
  s.gcl.track(r);
  return r;
}

function allocWeakref(s: ObjectSpace, o: number, callback: WeakCallback | undefined): number {
  const r = s.allocGC(WEAKREF_BYTES, s.staticType(K_WEAKREF));
  s.u8.fill(0, r + WR_OBJECT, r + WEAKREF_BYTES);
  s.i32[f(r, WR_OBJECT)] = o;
  s.i32[f(r, WR_HASH)] = -1;
  if (callback !== undefined) {
    // the pending mark is the ident of the thread whose table holds the callback (1: no ident)
    s.i32[f(r, WR_CALLBACK)] = s.ident !== 0 ? s.ident : 1;
    s.weakCallbacks.set(r, callback);
  }
  return r;
}

/** Put r in o's list: a basic ref first; a callback ref after the basic one, if there is one. */
function linkWeakref(s: ObjectSpace, o: number, off: number, r: number, withCallback: boolean): void {
  const headWord = f(o, off);
  const head = s.i32[headWord]!;
  const basic = head !== 0 && s.i32[f(head, WR_CALLBACK)] === 0 ? head : 0;
  if (!withCallback || basic === 0) {
    s.i32[f(r, WR_NEXT)] = head;
    if (head !== 0) s.i32[f(head, WR_PREV)] = r;
    s.i32[headWord] = r;
  } else {
    const next = s.i32[f(basic, WR_NEXT)]!;
    s.i32[f(r, WR_PREV)] = basic;
    s.i32[f(r, WR_NEXT)] = next;
    if (next !== 0) s.i32[f(next, WR_PREV)] = r;
    s.i32[f(basic, WR_NEXT)] = r;
  }
}

/** The striped lock of o's weakref list (CPython's WEAKREF_LIST_LOCK). */
export function weakrefLock(s: ObjectSpace, o: number): number {
  return weakrefLockWord(s, (o >>> 4) % WEAKREF_LOCKS);
}

/**
 * ref(): a new reference to the referent, or None when it is dead or dying. tryIncref refuses a
 * dying referent (another thread may be deallocating it right now; its memory is not reused
 * before this thread's next quiescent point, so reading its header is safe).
 */
export function weakrefDeref(s: ObjectSpace, r: number): number {
  const o = Atomics.load(s.i32, f(r, WR_OBJECT));
  if (o >= s.viewBytes) s.sync(); // made by a thread that grew the buffer since our last look
  if (o === s.None || !s.rc.tryIncref(o)) return s.None;
  return o;
}

/** The weakrefs to o, head first (for the collector's handle_weakrefs). */
export function weakrefsOf(s: ObjectSpace, o: number): number[] {
  const off = weaklistOffset(s, o);
  const out: number[] = [];
  if (off === 0) return out;
  for (let r = s.i32[f(o, off)]!; r !== 0; r = s.i32[f(r, WR_NEXT)]!) out.push(r);
  return out;
}

/** _PyWeakref_ClearRef: unlink r from its referent and point it at None; the callback stays. */
export function clearWeakref(s: ObjectSpace, r: number): void {
  const o = s.i32[f(r, WR_OBJECT)]!;
  if (o === s.None) return;
  if (s.ft) return clearWeakrefLocked(s, r, o);
  unlinkWeakref(s, r, o);
}

function unlinkWeakref(s: ObjectSpace, r: number, o: number): void {
  const prev = s.i32[f(r, WR_PREV)]!;
  const next = s.i32[f(r, WR_NEXT)]!;
  if (prev !== 0) s.i32[f(prev, WR_NEXT)] = next;
  else s.i32[f(o, weaklistOffset(s, o))] = next;
  if (next !== 0) s.i32[f(next, WR_PREV)] = prev;
  s.i32[f(r, WR_PREV)] = 0;
  s.i32[f(r, WR_NEXT)] = 0;
  Atomics.store(s.i32, f(r, WR_OBJECT), s.None);
}

/** Free-threaded: under the referent's stripe lock, if r still points at it. */
function clearWeakrefLocked(s: ObjectSpace, r: number, o: number): void {
  const lw = weakrefLock(s, o);
  lockAt(s.i32, lw);
  s.syncIfGrown();
  try {
    if (s.i32[f(r, WR_OBJECT)] === o) unlinkWeakref(s, r, o);
  } finally {
    unlockAt(s.i32, lw);
  }
}

/** Take r's pending callback (so it can run only once). */
export function takeWeakrefCallback(s: ObjectSpace, r: number): WeakCallback | undefined {
  if (s.i32[f(r, WR_CALLBACK)] === 0) return undefined;
  s.i32[f(r, WR_CALLBACK)] = 0;
  const cb = s.weakCallbacks.get(r);
  s.weakCallbacks.delete(r);
  return cb;
}

/**
 * Run r's callback if it still has one (the caller holds a reference to r). When this thread's
 * table does not have it, the call goes to the thread that registered it (pending.ts); if that
 * thread has exited, the unraisable hook says so.
 */
export function runWeakrefCallback(s: ObjectSpace, r: number): void {
  const owner = s.i32[f(r, WR_CALLBACK)]!;
  if (owner === 0) return;
  if (!s.weakCallbacks.has(r) && owner !== s.ident) {
    s.i32[f(r, WR_CALLBACK)] = 0;
    if (!pushCall(s, owner, CALL_WEAKREF, r)) s.unraisable(new GilsimError(OWNER_EXITED), callName(s, CALL_WEAKREF, r));
    return;
  }
  runWeakrefCallbackHere(s, r);
}

/** Run r's callback from this thread's table (a routed call lands here too). */
export function runWeakrefCallbackHere(s: ObjectSpace, r: number): void {
  s.i32[f(r, WR_CALLBACK)] = 0;
  const cb = s.weakCallbacks.get(r);
  s.weakCallbacks.delete(r);
  if (cb === undefined) return;
  try {
    cb(s.py as never, r);
  } catch (err) {
    s.unraisable(err, `weakref callback ${String(cb.name || '<anonymous>')}`);
  }
}

/**
 * PyObject_ClearWeakRefs: o is dying. Clear every weakref to it, then call the callbacks of
 * those still alive, each exactly once (outside the stripe lock, free-threaded).
 */
export function clearWeakrefs(s: ObjectSpace, o: number, off: number): void {
  const headWord = f(o, off);
  if (s.i32[headWord] === 0) return;
  const withCallback: number[] = [];
  const lw = s.ft ? weakrefLock(s, o) : 0;
  if (lw !== 0) {
    lockAt(s.i32, lw);
    s.syncIfGrown();
  }
  try {
    while (s.i32[headWord] !== 0) {
      const r = s.i32[headWord]!;
      unlinkWeakref(s, r, o);
      // a weakref being deallocated (count 0) by another thread keeps its callback to itself
      if (s.i32[f(r, WR_CALLBACK)] !== 0 && s.rc.tryIncref(r)) withCallback.push(r);
    }
  } finally {
    if (lw !== 0) unlockAt(s.i32, lw);
  }
  for (const r of withCallback) {
    runWeakrefCallback(s, r);
    s.decref(r);
  }
}

export function weakrefTraverse<A>(_s: ObjectSpace, _r: number, _visit: Visit<A>, _arg: A): void {
  // the referent is not a reference; the callback is a JS function, not an object
}

/** tp_clear: clear the ref and drop its callback. */
export function weakrefClear(s: ObjectSpace, r: number): void {
  clearWeakref(s, r);
  takeWeakrefCallback(s, r);
}

export function weakrefDealloc(s: ObjectSpace, r: number): void {
  s.gcl.untrack(r);
  weakrefClear(s, r);
  s.freeGC(r);
}

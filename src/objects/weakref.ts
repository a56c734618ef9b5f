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
 * the weakref's offset; wr_callback is 1 while it is pending. Weakrefs are tracked containers.
 */

import { PyTypeError } from '../errors.ts';
import { OBJECT_HEAD_BYTES } from './header.ts';
import { K_INSTANCE, K_SET, K_TYPE, K_WEAKREF, T_WEAKLIST, T_WEAKLISTOFFSET } from './kinds.ts';
import { SO_WEAKREFLIST } from './set.ts';
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
  const headWord = f(o, off);
  const head = s.i32[headWord]!;
  const basic = head !== 0 && s.i32[f(head, WR_CALLBACK)] === 0 ? head : 0;
  if (callback === undefined && basic !== 0) {
    s.incref(basic);
    return basic;
  }
  const r = s.allocGC(WEAKREF_BYTES, s.staticType(K_WEAKREF));
  s.u8.fill(0, r + WR_OBJECT, r + WEAKREF_BYTES);
  s.i32[f(r, WR_OBJECT)] = o;
  s.i32[f(r, WR_HASH)] = -1;
  if (callback !== undefined) {
    s.i32[f(r, WR_CALLBACK)] = 1;
    s.weakCallbacks.set(r, callback);
  }
  if (callback === undefined || basic === 0) {
    // at the head (a basic ref must be first; a callback ref goes first when there is no basic one)
    s.i32[f(r, WR_NEXT)] = head;
    if (head !== 0) s.i32[f(head, WR_PREV)] = r;
    s.i32[headWord] = r;
  } else {
    // after the basic ref
    const next = s.i32[f(basic, WR_NEXT)]!;
    s.i32[f(r, WR_PREV)] = basic;
    s.i32[f(r, WR_NEXT)] = next;
    if (next !== 0) s.i32[f(next, WR_PREV)] = r;
    s.i32[f(basic, WR_NEXT)] = r;
  }
  s.gcl.track(r);
  return r;
}

/** ref(): a new reference to the referent, or None when it is dead or dying. */
export function weakrefDeref(s: ObjectSpace, r: number): number {
  const o = s.i32[f(r, WR_OBJECT)]!;
  if (o === s.None || !(s.refcount(o) > 0)) return s.None;
  s.incref(o);
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
  const prev = s.i32[f(r, WR_PREV)]!;
  const next = s.i32[f(r, WR_NEXT)]!;
  if (prev !== 0) s.i32[f(prev, WR_NEXT)] = next;
  else s.i32[f(o, weaklistOffset(s, o))] = next;
  if (next !== 0) s.i32[f(next, WR_PREV)] = prev;
  s.i32[f(r, WR_PREV)] = 0;
  s.i32[f(r, WR_NEXT)] = 0;
  s.i32[f(r, WR_OBJECT)] = s.None;
}

/** Take r's pending callback (so it can run only once). */
export function takeWeakrefCallback(s: ObjectSpace, r: number): WeakCallback | undefined {
  if (s.i32[f(r, WR_CALLBACK)] === 0) return undefined;
  s.i32[f(r, WR_CALLBACK)] = 0;
  const cb = s.weakCallbacks.get(r);
  s.weakCallbacks.delete(r);
  return cb;
}

/** Run r's callback if it still has one (the caller holds a reference to r). */
export function runWeakrefCallback(s: ObjectSpace, r: number): void {
  const cb = takeWeakrefCallback(s, r);
  if (cb === undefined) return;
  try {
    cb(s.py as never, r);
  } catch (err) {
    s.unraisable(err, `weakref callback ${String(cb.name || '<anonymous>')}`);
  }
}

/**
 * PyObject_ClearWeakRefs: o is dying. Clear every weakref to it, then call the callbacks of
 * those still alive, each exactly once.
 */
export function clearWeakrefs(s: ObjectSpace, o: number, off: number): void {
  const headWord = f(o, off);
  if (s.i32[headWord] === 0) return;
  const withCallback: number[] = [];
  while (s.i32[headWord] !== 0) {
    const r = s.i32[headWord]!;
    clearWeakref(s, r);
    if (s.i32[f(r, WR_CALLBACK)] !== 0 && s.refcount(r) > 0) {
      s.incref(r);
      withCallback.push(r);
    }
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

/*
 * tuple: a fixed-size array of references stored inline. getsizeof(()) == 40, + 8 per item
 * (the 16-byte GC header included: tuples are containers).
 *
 *     gc header (16 B) | header (16 B) | ob_size | ob_item[0] ... ob_item[n-1]   (8 B each)
 *
 * Tuples are tracked when created (except the static empty tuple, untracked like CPython's
 * singleton); as in CPython 3.11 the collector may untrack a tuple whose items can never be
 * part of a cycle (`maybeUntrackTuple`, _PyTuple_MaybeUntrack).
 */

import { GC_HEAD_BYTES, PTR, VAR_HEAD_BYTES, W_SIZE } from './header.ts';
import { K_TUPLE } from './kinds.ts';
import type { ObjectSpace, Visit } from './space.ts';

const ITEMS = VAR_HEAD_BYTES;
const W_ITEMS = ITEMS >> 2;
const WORDS_PER_ITEM = PTR >> 2;

export function tupleBytes(n: number): number {
  return VAR_HEAD_BYTES + PTR * n;
}

export function tupleSizeof(s: ObjectSpace, o: number): number {
  return tupleBytes(tupleLength(s, o));
}

export function tupleLength(s: ObjectSpace, o: number): number {
  return s.i32[(o >> 2) + W_SIZE]!;
}

export function tupleItem(s: ObjectSpace, o: number, i: number): number {
  return s.i32[(o >> 2) + W_ITEMS + i * WORDS_PER_ITEM]!;
}

/** A new tuple holding new references to items (the empty tuple is the static singleton). */
export function newTuple(s: ObjectSpace, items: readonly number[]): number {
  const n = items.length;
  if (n === 0) return s.st.emptyTuple;
  const o = s.allocGC(tupleBytes(n), s.staticType(K_TUPLE));
  const w = o >> 2;
  const i32 = s.i32;
  i32[w + W_SIZE] = n;
  i32[w + W_SIZE + 1] = 0;
  for (let i = 0; i < n; i++) {
    const it = items[i]!;
    s.incref(it);
    i32[w + W_ITEMS + i * WORDS_PER_ITEM] = it;
    i32[w + W_ITEMS + i * WORDS_PER_ITEM + 1] = 0;
  }
  s.gcl.track(o);
  return o;
}

export function writeEmptyTuple(s: ObjectSpace, o: number): void {
  const g = (o - GC_HEAD_BYTES) >> 2;
  for (let i = 0; i < GC_HEAD_BYTES >> 2; i++) s.i32[g + i] = 0;
  s.initStatic(o, s.staticType(K_TUPLE));
  s.i32[(o >> 2) + W_SIZE] = 0;
  s.i32[(o >> 2) + W_SIZE + 1] = 0;
}

export function tupleTraverse<A>(s: ObjectSpace, o: number, visit: Visit<A>, arg: A): void {
  const n = tupleLength(s, o);
  for (let i = 0; i < n; i++) {
    const it = tupleItem(s, o, i);
    if (it !== 0) visit(it, arg);
  }
}

export function tupleClear(s: ObjectSpace, o: number): void {
  const n = tupleLength(s, o);
  const w = o >> 2;
  for (let i = 0; i < n; i++) {
    const at = w + W_ITEMS + i * WORDS_PER_ITEM;
    const it = s.i32[at]!;
    s.i32[at] = 0;
    s.xdecref(it);
  }
}

export function tupleDealloc(s: ObjectSpace, o: number): void {
  s.gcl.untrack(o);
  tupleClear(s, o);
  s.freeGC(o);
}

/**
 * _PyTuple_MaybeUntrack: untrack a tuple none of whose items may ever be tracked (atoms and
 * untracked tuples). The collector calls it while it walks a generation.
 */
export function maybeUntrackTuple(s: ObjectSpace, o: number): void {
  const n = tupleLength(s, o);
  for (let i = 0; i < n; i++) {
    const it = tupleItem(s, o, i);
    if (it !== 0 && mayBeTracked(s, it)) return;
  }
  s.gcl.untrack(o);
}

/** _PyObject_GC_MAY_BE_TRACKED: a GC object that is not an untracked tuple. */
export function mayBeTracked(s: ObjectSpace, o: number): boolean {
  if (!s.isGC(o)) return false;
  if (s.kindOf(o) === K_TUPLE) return s.gcl.isTracked(o);
  return true;
}

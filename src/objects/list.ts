/*
 * list: a resizable array of references, the items in a separate block from the heap.
 * getsizeof([]) == 56, + 8 per ALLOCATED slot (the GC header included).
 *
 *     gc header (16 B) | header (16 B) | ob_size | ob_item (block of allocated * 8 B) | allocated
 *
 * Growth follows CPython 3.11's list_resize: when the size leaves [allocated / 2, allocated],
 * the new capacity is (newsize + newsize / 8 + 6) & ~3, or (newsize + 3) & ~3 when the jump is
 * large; so appends give capacities 4, 8, 16, 24, 32, 40, 52, ... A list built from n items at
 * once gets (n + 1) & ~1 slots (list_preallocate_exact), as `list(t)` in 3.11.
 *
 * Free-threaded reads (listGetItemRef, CPython 3.13t's list_get_item_ref): an item is read
 * without the list's lock, the lock word used as a sequence lock (critical.ts): note the version,
 * read size, item block and item, check the version again; only then take the reference with
 * tryIncref, which refuses an item that died meanwhile (its memory is still the dead object: frees
 * go through QSBR). Any doubt, and the read is redone under the lock. Only a shared list's items
 * (and a thread's own lists') are read that way: listTouch marks a list shared, with its items,
 * the first time a thread other than its owner uses it.
 */

import { IndexError } from '../errors.ts';
import { obLock, obUnlock, obVersion } from './critical.ts';
import { PTR, VAR_HEAD_BYTES } from './header.ts';
import { K_LIST } from './kinds.ts';
import type { ObjectSpace, Visit } from './space.ts';

export const L_ITEM = VAR_HEAD_BYTES;
export const L_ALLOCATED = VAR_HEAD_BYTES + PTR;
export const LIST_BYTES = VAR_HEAD_BYTES + 2 * PTR;
const W_ITEM = L_ITEM >> 2;
const W_ALLOCATED = L_ALLOCATED >> 2;
const WPI = PTR >> 2;
/*
 * Hot-path constants, repeated here as literals on purpose (see objects/space.ts);
 * test/objects/mirrors.test.ts checks every copy against its definition.
 */
const W_SIZE = 4;
const W_TID = 1;
const OB_SHARED = 1 << 31;
const TID_MASK = ~OB_SHARED;
const OB_LOCKED = 1 << 8;
export const MIRRORS = { W_SIZE, W_TID, OB_SHARED, TID_MASK, OB_LOCKED };

export function listSizeof(s: ObjectSpace, o: number): number {
  return LIST_BYTES + PTR * listAllocated(s, o);
}

export function listLength(s: ObjectSpace, o: number): number {
  return s.i32[(o >> 2) + W_SIZE]!;
}

export function listAllocated(s: ObjectSpace, o: number): number {
  return s.i32[(o >> 2) + W_ALLOCATED]!;
}

/** word index of item i */
function itemWord(s: ObjectSpace, o: number, i: number): number {
  return (s.i32[(o >> 2) + W_ITEM]! >> 2) + i * WPI;
}

export function listItem(s: ObjectSpace, o: number, i: number): number {
  return s.i32[itemWord(s, o, i)]!;
}

/** A new list holding new references to items. */
export function newList(s: ObjectSpace, items: readonly number[]): number {
  const o = s.allocGC(LIST_BYTES, s.staticType(K_LIST));
  const w = o >> 2;
  const n = items.length;
  const cap = n === 0 ? 0 : (n + 1) & ~1;
  const block = cap === 0 ? 0 : s.mallocRaw(cap * PTR);
  const i32 = s.i32; // after the allocations: they may have grown the views
  i32[w + W_SIZE] = n;
  i32[w + W_SIZE + 1] = 0;
  i32[w + W_ITEM] = block;
  i32[w + W_ITEM + 1] = 0;
  i32[w + W_ALLOCATED] = cap;
  i32[w + W_ALLOCATED + 1] = 0;
  for (let i = 0; i < n; i++) {
    const it = items[i]!;
    s.incref(it);
    i32[(block >> 2) + i * WPI] = it;
  }
  s.gcl.track(o);
  return o;
}

/** CPython 3.11's list_resize: make room for newsize items (the size field is set too). */
export function listResize(s: ObjectSpace, o: number, newsize: number): void {
  const w = o >> 2;
  const i32 = s.i32;
  const allocated = i32[w + W_ALLOCATED]!;
  if (allocated >= newsize && newsize >= allocated >> 1) {
    i32[w + W_SIZE] = newsize;
    return;
  }
  let newAllocated = (newsize + (newsize >> 3) + 6) & ~3;
  if (newsize - i32[w + W_SIZE]! > newAllocated - newsize) newAllocated = (newsize + 3) & ~3;
  if (newsize === 0) newAllocated = 0;
  const old = i32[w + W_ITEM]!;
  let block = 0;
  if (newAllocated === 0) s.freeRaw(old);
  else block = s.reallocRaw(old, newAllocated * PTR);
  i32[w + W_ITEM] = block;
  i32[w + W_ALLOCATED] = newAllocated;
  i32[w + W_SIZE] = newsize;
}

export function listAppend(s: ObjectSpace, o: number, item: number): void {
  const n = listLength(s, o);
  const w = o >> 2;
  if (n < s.i32[w + W_ALLOCATED]!) s.i32[w + W_SIZE] = n + 1;
  else listResize(s, o, n + 1);
  s.incref(item);
  s.i32[itemWord(s, o, n)] = item;
}

/** Normalise a Python index (negative from the end); throws IndexError when out of range. */
export function listIndex(s: ObjectSpace, o: number, i: number, what: string): number {
  const n = listLength(s, o);
  const j = i < 0 ? i + n : i;
  if (j < 0 || j >= n) throw new IndexError(`${what} index out of range`);
  return j;
}

/** list.pop(i): a new reference (the list's own, handed over). */
export function listPop(s: ObjectSpace, o: number, i: number): number {
  const n = listLength(s, o);
  if (n === 0) throw new IndexError('pop from empty list');
  const j = i < 0 ? i + n : i;
  if (j < 0 || j >= n) throw new IndexError('pop index out of range');
  const base = itemWord(s, o, 0);
  const item = s.i32[base + j * WPI]!;
  for (let k = j; k < n - 1; k++) s.i32[base + k * WPI] = s.i32[base + (k + 1) * WPI]!;
  listResize(s, o, n - 1);
  return item;
}

/** listGetItemRef could not trust its lock-free read: redo it under the lock (never an item). */
export const LIST_READ_RETRY = 0;

/**
 * list[i] (a Python index: negative counts from the end) as a new reference, without the list's
 * lock; LIST_READ_RETRY when the read cannot be trusted (a writer ran, the index is out of range,
 * the item is dying): the caller then reads under the lock (listGetItemLocked), which also raises
 * the IndexError.
 */
export function listGetItemRef(s: ObjectSpace, o: number, i: number): number {
  const i32 = s.i32;
  const v = obVersion(i32, o);
  if ((v & OB_LOCKED) !== 0) return LIST_READ_RETRY;
  const w = o >> 2;
  const n = i32[w + W_SIZE]!;
  const j = i < 0 ? i + n : i;
  if (!(j >= 0 && j < n)) return LIST_READ_RETRY;
  const item = i32[(i32[w + W_ITEM]! >> 2) + j * WPI];
  // (an item or block past this thread's views reads as undefined: the locked path syncs first)
  if (obVersion(i32, o) !== v || !(item! > 0) || item! >= s.viewBytes) return LIST_READ_RETRY;
  return s.rc.tryIncref(item!) ? item! : LIST_READ_RETRY;
}

/**
 * Free-threaded, with o locked: the calling thread is about to use list o. A thread other than
 * its owner makes it shared (OB_SHARED, header.ts): its items, now and later, may be read by
 * others without the lock, so they are marked too (their memory will go back through QSBR).
 * Returns whether o is shared (items stored into it must then be marked).
 */
export function listTouch(s: ObjectSpace, o: number): boolean {
  const tid = s.i32[(o >> 2) + W_TID]!;
  if ((tid & OB_SHARED) !== 0) return true;
  if ((tid & TID_MASK) === s.ident) return false;
  s.markShared(o);
  const n = listLength(s, o);
  if (n > 0) {
    const base = itemWord(s, o, 0);
    for (let i = 0; i < n; i++) s.markShared(s.i32[base + i * WPI]!);
  }
  return true;
}

/** Can this thread read o's items without the lock (o is shared, or this thread owns it)? */
export function listReadableLockFree(s: ObjectSpace, o: number): boolean {
  const tid = s.i32[(o >> 2) + W_TID]!;
  return (tid & OB_SHARED) !== 0 || (tid & TID_MASK) === s.ident;
}

/** list[i] under the list's lock (the fallback of listGetItemRef): a new reference. */
export function listGetItemLocked(s: ObjectSpace, o: number, i: number): number {
  obLock(s.i32, o);
  s.syncIfGrown();
  try {
    listTouch(s, o);
    const j = listIndex(s, o, i, 'list');
    const item = s.i32[itemWord(s, o, j)]!;
    s.incref(item);
    return item;
  } finally {
    obUnlock(s.i32, o);
  }
}

export function listSetItem(s: ObjectSpace, o: number, i: number, item: number): void {
  const j = listIndex(s, o, i, 'list assignment');
  const at = itemWord(s, o, j);
  const old = s.i32[at]!;
  s.incref(item);
  s.i32[at] = item;
  s.decref(old);
}

export function listDelItem(s: ObjectSpace, o: number, i: number): void {
  const j = listIndex(s, o, i, 'list assignment');
  s.decref(listPop(s, o, j));
}

export function listTraverse<A>(s: ObjectSpace, o: number, visit: Visit<A>, arg: A): void {
  const n = listLength(s, o);
  if (n === 0) return;
  const base = itemWord(s, o, 0);
  for (let i = 0; i < n; i++) {
    const it = s.i32[base + i * WPI]!;
    if (it !== 0) visit(it, arg);
  }
}

/** tp_clear (list.clear()): drop every item and the item block. */
export function listClear(s: ObjectSpace, o: number): void {
  const w = o >> 2;
  const n = listLength(s, o);
  const block = s.i32[w + W_ITEM]!;
  s.i32[w + W_SIZE] = 0;
  s.i32[w + W_ITEM] = 0;
  s.i32[w + W_ALLOCATED] = 0;
  for (let i = 0; i < n; i++) s.xdecref(s.i32[(block >> 2) + i * WPI]!);
  s.freeRaw(block);
}

export function listDealloc(s: ObjectSpace, o: number): void {
  s.gcl.untrack(o);
  listClear(s, o);
  s.freeGC(o);
}

/*
 * set: CPython 3.11's open-addressing hash set, in the heap.
 * =========================================================
 *
 *     gc header | header | fill | used | mask | table | hash | finger |
 *     smalltable[8] (key, hash: 16 B each) | weakreflist                    (200 + 16 B)
 *
 * A small set keeps its entries in the inline `smalltable` (getsizeof(set()) == 216); when
 * fill * 5 >= mask * 3 the table is rebuilt for used * 4 (used * 2 past 50,000) rounded up to a
 * power of two, in a separate block: 5 items -> 32 slots (728 B), 19 -> 128, 77 -> 512, as
 * CPython. Probing is CPython's: up to LINEAR_PROBES neighbours, then perturbation. A removed
 * entry becomes a DUMMY (key -1, hash -1) until the next rebuild. Sets are tracked on creation.
 */

import { OBJECT_HEAD_BYTES } from './header.ts';
import { hashOf, objectsEqual } from './hash.ts';
import { K_SET } from './kinds.ts';
import type { ObjectSpace, Visit } from './space.ts';

export const SO_FILL = OBJECT_HEAD_BYTES;
export const SO_USED = OBJECT_HEAD_BYTES + 8;
export const SO_MASK = OBJECT_HEAD_BYTES + 16;
export const SO_TABLE = OBJECT_HEAD_BYTES + 24;
export const SO_HASH = OBJECT_HEAD_BYTES + 32;
export const SO_FINGER = OBJECT_HEAD_BYTES + 40;
export const SO_SMALLTABLE = OBJECT_HEAD_BYTES + 48;
export const PySet_MINSIZE = 8;
const ENTRY = 16;
export const SO_WEAKREFLIST = SO_SMALLTABLE + PySet_MINSIZE * ENTRY;
export const SET_BYTES = SO_WEAKREFLIST + 8;
const LINEAR_PROBES = 9;
const PERTURB_SHIFT = 5;
const DUMMY = -1;

const w = (o: number, field: number): number => (o + field) >> 2;

export function setLength(s: ObjectSpace, o: number): number {
  return s.i32[w(o, SO_USED)]!;
}
function mask(s: ObjectSpace, o: number): number {
  return s.i32[w(o, SO_MASK)]!;
}
function table(s: ObjectSpace, o: number): number {
  return s.i32[w(o, SO_TABLE)]!;
}

export function setSizeof(s: ObjectSpace, o: number): number {
  const t = table(s, o);
  return SET_BYTES + (t !== o + SO_SMALLTABLE ? (mask(s, o) + 1) * ENTRY : 0);
}

export function newSet(s: ObjectSpace): number {
  const o = s.allocGC(SET_BYTES, s.staticType(K_SET));
  s.u8.fill(0, o + SO_FILL, o + SET_BYTES);
  s.i32[w(o, SO_MASK)] = PySet_MINSIZE - 1;
  s.i32[w(o, SO_TABLE)] = o + SO_SMALLTABLE;
  s.i32[w(o, SO_HASH)] = -1;
  s.gcl.track(o);
  return o;
}

/** Entry offset holding key, or -1. */
function findEntry(s: ObjectSpace, o: number, key: number, hash: number): number {
  const m = mask(s, o);
  const t = table(s, o);
  const i32 = s.i32;
  let i = hash & m;
  let perturb = hash >>> 0;
  for (;;) {
    let e = t + i * ENTRY;
    let probes = i + LINEAR_PROBES <= m ? LINEAR_PROBES : 0;
    for (;;) {
      const k = i32[e >> 2]!;
      if (k === 0) return -1;
      if (k === key) return e;
      if (i32[(e + 8) >> 2] === hash && k !== DUMMY && objectsEqual(s, k, key)) return e;
      if (probes-- === 0) break;
      e += ENTRY;
    }
    perturb >>>= PERTURB_SHIFT;
    i = (i * 5 + 1 + perturb) & m;
  }
}

/** set_insert_clean: place key in a table known to hold neither it nor dummies. */
function insertClean(s: ObjectSpace, t: number, m: number, key: number, hash: number): void {
  const i32 = s.i32;
  let i = hash & m;
  let perturb = hash >>> 0;
  for (;;) {
    let e = t + i * ENTRY;
    let probes = i + LINEAR_PROBES <= m ? LINEAR_PROBES : 0;
    for (;;) {
      if (i32[e >> 2] === 0) {
        i32[e >> 2] = key;
        i32[(e + 8) >> 2] = hash;
        return;
      }
      if (probes-- === 0) break;
      e += ENTRY;
    }
    perturb >>>= PERTURB_SHIFT;
    i = (i * 5 + 1 + perturb) & m;
  }
}

function tableResize(s: ObjectSpace, o: number, minused: number): void {
  let newsize = PySet_MINSIZE;
  while (newsize <= minused) newsize <<= 1;
  const oldTable = table(s, o);
  const oldMask = mask(s, o);
  const small = o + SO_SMALLTABLE;
  // copy the old entries out first: the new table may be the smalltable itself
  const live: number[] = [];
  for (let i = 0; i <= oldMask; i++) {
    const e = oldTable + i * ENTRY;
    const k = s.i32[e >> 2]!;
    if (k !== 0 && k !== DUMMY) live.push(k, s.i32[(e + 8) >> 2]!);
  }
  const t = newsize === PySet_MINSIZE ? small : s.mallocRaw(newsize * ENTRY);
  s.u8.fill(0, t, t + newsize * ENTRY);
  for (let j = 0; j < live.length; j += 2) insertClean(s, t, newsize - 1, live[j]!, live[j + 1]!);
  s.i32[w(o, SO_TABLE)] = t;
  s.i32[w(o, SO_MASK)] = newsize - 1;
  s.i32[w(o, SO_FILL)] = live.length >> 1;
  if (oldTable !== small && oldTable !== t) s.freeRaw(oldTable);
}

/** set.add(key): takes a new reference when the key is new. */
export function setAdd(s: ObjectSpace, o: number, key: number): void {
  const hash = hashOf(s, key);
  if (findEntry(s, o, key, hash) >= 0) return;
  const m = mask(s, o);
  s.incref(key);
  insertClean(s, table(s, o), m, key, hash);
  const fill = s.i32[w(o, SO_FILL)]! + 1;
  const used = s.i32[w(o, SO_USED)]! + 1;
  s.i32[w(o, SO_FILL)] = fill;
  s.i32[w(o, SO_USED)] = used;
  if (fill * 5 < m * 3) return;
  tableResize(s, o, used > 50000 ? used * 2 : used * 4);
}

export function setContains(s: ObjectSpace, o: number, key: number): boolean {
  return findEntry(s, o, key, hashOf(s, key)) >= 0;
}

/** set.discard(key): true when it was there. */
export function setDiscard(s: ObjectSpace, o: number, key: number): boolean {
  const e = findEntry(s, o, key, hashOf(s, key));
  if (e < 0) return false;
  const k = s.i32[e >> 2]!;
  s.i32[e >> 2] = DUMMY;
  s.i32[(e + 8) >> 2] = -1;
  s.i32[w(o, SO_USED)]!--;
  s.decref(k);
  return true;
}

export function setForEach(s: ObjectSpace, o: number, fn: (key: number) => void): void {
  const t = table(s, o);
  const m = mask(s, o);
  for (let i = 0; i <= m; i++) {
    const k = s.i32[(t + i * ENTRY) >> 2]!;
    if (k !== 0 && k !== DUMMY) fn(k);
  }
}

export function setTraverse<A>(s: ObjectSpace, o: number, visit: Visit<A>, arg: A): void {
  setForEach(s, o, (k) => visit(k, arg));
}

/** tp_clear / set.clear(): back to an empty smalltable. */
export function setClear(s: ObjectSpace, o: number): void {
  const keys: number[] = [];
  setForEach(s, o, (k) => keys.push(k));
  const t = table(s, o);
  const small = o + SO_SMALLTABLE;
  s.u8.fill(0, small, small + PySet_MINSIZE * ENTRY);
  s.i32[w(o, SO_TABLE)] = small;
  s.i32[w(o, SO_MASK)] = PySet_MINSIZE - 1;
  s.i32[w(o, SO_FILL)] = 0;
  s.i32[w(o, SO_USED)] = 0;
  if (t !== small) s.freeRaw(t);
  for (const k of keys) s.decref(k);
}

export function setDealloc(s: ObjectSpace, o: number): void {
  s.gcl.untrack(o);
  s.clearWeakrefs(o, SO_WEAKREFLIST);
  setClear(s, o);
  s.freeGC(o);
}

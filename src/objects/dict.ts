/*
 * dict: CPython 3.11's compact, ordered hash table, in the heap.
 * ==============================================================
 *
 * A dict object points at a KEYS object (the table) and, for a split dict, at a VALUES array:
 *
 *   dict   gc header | header | ma_used | ma_version_tag | ma_keys | ma_values      (48 + 16 B)
 *   keys   dk_refcnt | dk_log2_size, dk_log2_index_bytes, dk_kind | dk_version | dk_usable |
 *          dk_nentries                                                              (32 B)
 *          dk_indices[size]   1, 2 or 4 bytes each (size < 2**8, < 2**16, else): the hash
 *                             table proper, each slot an entry index, -1 EMPTY or -2 DUMMY
 *          dk_entries[usable] in insertion order: (key, value) for str-only tables
 *                             (UNICODE, 16 B) or (hash, key, value) otherwise (GENERAL, 24 B)
 *
 * An empty dict shares the static Py_EMPTY_KEYS (nothing allocated: getsizeof({}) == 64). The
 * first insert makes an 8-slot table (5 usable). When `dk_usable` runs out the table is rebuilt
 * for used * 3 (GROWTH_RATE), rounded up to a power of two: sizes 8, 16, 32, 64 ... so
 * {'a': 1} is 184 bytes and a dict grows at 6, 11, 22, 43, 86, 171 ... str keys, as CPython.
 * Deleting leaves a DUMMY index and an empty entry; the rebuild drops them.
 *
 * Probing is CPython's: i = hash & mask, then i = (i * 5 + perturb + 1) & mask with perturb
 * shifted right by 5 each step.
 *
 * Split dicts (key sharing, PEP 412): a class whose instances have a `__dict__` owns SHARED keys
 * (kind SPLIT, 64 slots, at most SHARED_KEYS_MAX_SIZE names); each instance keeps only a VALUES
 * array, indexed like the shared entries:
 *
 *   values  [capacity byte][order length byte][insertion order bytes ...] pad to 8 | slots (8 B)
 *
 * Every new instance lowers the shared keys' dk_usable by one (3.11's heuristic), so the first
 * instance's values hold 29 slots and its `__dict__` is 64 + 29 * 8 = 296 bytes. A key that does
 * not fit converts the dict to a combined table.
 *
 * Tracking (3.11): a dict is created untracked and becomes tracked when a key or value that may
 * be tracked is stored (MAINTAIN_TRACKING).
 */

import { KeyError } from '../errors.ts';
import { GC_HEAD_BYTES, IMMORTAL_REFCNT, OBJECT_HEAD_BYTES, PTR } from './header.ts';
import { hashOf, objectsEqual } from './hash.ts';
import { K_DICT, K_STR } from './kinds.ts';
import type { ObjectSpace, Visit } from './space.ts';
import { strEq, strHash } from './str.ts';
import { mayBeTracked } from './tuple.ts';

/* ---- the dict object ---- */
export const D_USED = OBJECT_HEAD_BYTES;
export const D_VERSION = OBJECT_HEAD_BYTES + 8;
export const D_KEYS = OBJECT_HEAD_BYTES + 16;
export const D_VALUES = OBJECT_HEAD_BYTES + 24;
export const DICT_BYTES = OBJECT_HEAD_BYTES + 32;

/* ---- the keys object ---- */
export const DK_REFCNT = 0;
export const DK_LOG2_SIZE = 8;
export const DK_LOG2_INDEX_BYTES = 9;
export const DK_KIND = 10;
export const DK_VERSION = 12;
export const DK_USABLE = 16;
export const DK_NENTRIES = 24;
export const DK_INDICES = 32;
export const DICT_KEYS_GENERAL = 0;
export const DICT_KEYS_UNICODE = 1;
export const DICT_KEYS_SPLIT = 2;
export const DKIX_EMPTY = -1;
export const DKIX_DUMMY = -2;
export const PyDict_LOG_MINSIZE = 3;
const UNICODE_ENTRY = 16;
const GENERAL_ENTRY = 24;
const PERTURB_SHIFT = 5;
/** the most names a class's shared keys hold (SHARED_KEYS_MAX_SIZE) */
export const SHARED_KEYS_MAX_SIZE = 30;
/** log2 of the shared keys' table: the next power of two above the maximum, times two */
export const NEXT_LOG2_SHARED_KEYS_MAX_SIZE = 6;

const wUsed = D_USED >> 2;
const wKeys = D_KEYS >> 2;
const wValues = D_VALUES >> 2;

export const usableFraction = (n: number): number => ((n << 1) / 3) | 0;

/* ==== keys objects ==== */

function log2IndexBytes(log2size: number): number {
  return log2size + (log2size < 8 ? 0 : log2size < 16 ? 1 : 2);
}

export function keysBytes(log2size: number, unicode: boolean): number {
  return DK_INDICES + (1 << log2IndexBytes(log2size)) + usableFraction(1 << log2size) * (unicode ? UNICODE_ENTRY : GENERAL_ENTRY);
}

function dkLog2(s: ObjectSpace, k: number): number {
  return s.u8[k + DK_LOG2_SIZE]!;
}
export function dkKind(s: ObjectSpace, k: number): number {
  return s.u8[k + DK_KIND]!;
}
export function dkUsable(s: ObjectSpace, k: number): number {
  return s.i32[(k + DK_USABLE) >> 2]!;
}
function setUsable(s: ObjectSpace, k: number, n: number): void {
  s.i32[(k + DK_USABLE) >> 2] = n;
}
export function dkNentries(s: ObjectSpace, k: number): number {
  return s.i32[(k + DK_NENTRIES) >> 2]!;
}
function setNentries(s: ObjectSpace, k: number, n: number): void {
  s.i32[(k + DK_NENTRIES) >> 2] = n;
}
function entrySize(s: ObjectSpace, k: number): number {
  return dkKind(s, k) === DICT_KEYS_GENERAL ? GENERAL_ENTRY : UNICODE_ENTRY;
}
function entriesOf(s: ObjectSpace, k: number): number {
  return k + DK_INDICES + (1 << s.u8[k + DK_LOG2_INDEX_BYTES]!);
}
/** byte offset of entry ix's key field (value follows at +8) */
function entryKeyAt(s: ObjectSpace, k: number, ix: number): number {
  const general = dkKind(s, k) === DICT_KEYS_GENERAL;
  return entriesOf(s, k) + ix * (general ? GENERAL_ENTRY : UNICODE_ENTRY) + (general ? PTR : 0);
}
function entryKey(s: ObjectSpace, k: number, ix: number): number {
  return s.i32[entryKeyAt(s, k, ix) >> 2]!;
}
/** the key of entry ix (0 for a deleted entry) */
export function entryKeyOf(s: ObjectSpace, k: number, ix: number): number {
  return entryKey(s, k, ix);
}
function entryHash(s: ObjectSpace, k: number, ix: number): number {
  if (dkKind(s, k) === DICT_KEYS_GENERAL) return s.i32[(entriesOf(s, k) + ix * GENERAL_ENTRY) >> 2]!;
  return strHash(s, entryKey(s, k, ix));
}

function ixGet(s: ObjectSpace, k: number, i: number): number {
  const log2 = dkLog2(s, k);
  const at = k + DK_INDICES;
  if (log2 < 8) return s.i8[at + i]!;
  if (log2 < 16) return s.i16[(at >> 1) + i]!;
  return s.i32[(at >> 2) + i]!;
}

function ixSet(s: ObjectSpace, k: number, i: number, ix: number): void {
  const log2 = dkLog2(s, k);
  const at = k + DK_INDICES;
  if (log2 < 8) s.i8[at + i] = ix;
  else if (log2 < 16) s.i16[(at >> 1) + i] = ix;
  else s.i32[(at >> 2) + i] = ix;
}

/** A fresh keys object: all indices EMPTY, no entries. */
export function newKeys(s: ObjectSpace, log2size: number, kind: number): number {
  const unicode = kind !== DICT_KEYS_GENERAL;
  const bytes = keysBytes(log2size, unicode);
  const k = s.mallocRaw(bytes);
  const i32 = s.i32;
  i32[(k + DK_REFCNT) >> 2] = 1;
  i32[((k + DK_REFCNT) >> 2) + 1] = 0;
  s.u8[k + DK_LOG2_SIZE] = log2size;
  s.u8[k + DK_LOG2_INDEX_BYTES] = log2IndexBytes(log2size);
  s.u8[k + DK_KIND] = kind;
  s.u8[k + DK_KIND + 1] = 0;
  i32[(k + DK_VERSION) >> 2] = 0;
  i32[(k + DK_USABLE) >> 2] = usableFraction(1 << log2size);
  i32[((k + DK_USABLE) >> 2) + 1] = 0;
  i32[(k + DK_NENTRIES) >> 2] = 0;
  i32[((k + DK_NENTRIES) >> 2) + 1] = 0;
  const ent = entriesOf(s, k);
  s.u8.fill(0xff, k + DK_INDICES, ent);
  s.u8.fill(0, ent, k + bytes);
  return k;
}

/** Py_EMPTY_KEYS: a static, immortal table of one EMPTY slot and no room. */
export function writeEmptyKeys(s: ObjectSpace, k: number): void {
  s.i32[(k + DK_REFCNT) >> 2] = IMMORTAL_REFCNT;
  s.u8[k + DK_LOG2_SIZE] = 0;
  s.u8[k + DK_LOG2_INDEX_BYTES] = 0;
  s.u8[k + DK_KIND] = DICT_KEYS_UNICODE;
  s.i32[(k + DK_USABLE) >> 2] = 0;
  s.i32[(k + DK_NENTRIES) >> 2] = 0;
  s.i8[k + DK_INDICES] = DKIX_EMPTY;
}

/** _PyDict_KeysSize */
export function keysSizeof(s: ObjectSpace, k: number): number {
  return keysBytes(dkLog2(s, k), dkKind(s, k) !== DICT_KEYS_GENERAL);
}

/** Drop the keys' entries' references and free it (combined tables, or shared keys at refcnt 0). */
function freeKeys(s: ObjectSpace, k: number, values: boolean): void {
  const n = dkNentries(s, k);
  for (let ix = 0; ix < n; ix++) {
    const at = entryKeyAt(s, k, ix);
    const key = s.i32[at >> 2]!;
    if (key === 0) continue;
    s.decref(key);
    if (values) s.xdecref(s.i32[(at + PTR) >> 2]!);
  }
  s.freeRaw(k);
}

/** dictkeys_decref for shared keys */
export function sharedKeysDecref(s: ObjectSpace, k: number): void {
  const w = (k + DK_REFCNT) >> 2;
  const n = s.i32[w]! - 1;
  s.i32[w] = n;
  if (n === 0) freeKeys(s, k, false);
}

export function sharedKeysIncref(s: ObjectSpace, k: number): void {
  s.i32[(k + DK_REFCNT) >> 2]!++;
}

/** A class's shared keys (_PyDict_NewKeysForClass): 64 slots, room for SHARED_KEYS_MAX_SIZE names. */
export function newSharedKeys(s: ObjectSpace): number {
  const k = newKeys(s, NEXT_LOG2_SHARED_KEYS_MAX_SIZE, DICT_KEYS_SPLIT);
  setUsable(s, k, SHARED_KEYS_MAX_SIZE);
  return k;
}

/* ---- probing ---- */

/** Slot position holding `key`'s entry, or -1. */
function lookupPos(s: ObjectSpace, k: number, key: number, hash: number): number {
  const mask = (1 << dkLog2(s, k)) - 1;
  const general = dkKind(s, k) === DICT_KEYS_GENERAL;
  const keyIsStr = general || s.kindOf(key) === K_STR;
  let i = hash & mask;
  let perturb = hash >>> 0;
  for (;;) {
    const ix = ixGet(s, k, i);
    if (ix >= 0) {
      const ek = entryKey(s, k, ix);
      if (ek === key) return i;
      if (general) {
        if (entryHash(s, k, ix) === hash && objectsEqual(s, ek, key)) return i;
      } else if (keyIsStr && strHash(s, ek) === hash && strEq(s, ek, key)) {
        return i;
      }
    } else if (ix === DKIX_EMPTY) {
      return -1;
    }
    perturb >>>= PERTURB_SHIFT;
    i = (i * 5 + perturb + 1) & mask;
  }
}

/** Entry index of key, or -1. */
export function keysLookup(s: ObjectSpace, k: number, key: number, hash: number): number {
  const pos = lookupPos(s, k, key, hash);
  return pos < 0 ? -1 : ixGet(s, k, pos);
}

function findEmptySlot(s: ObjectSpace, k: number, hash: number): number {
  const mask = (1 << dkLog2(s, k)) - 1;
  let i = hash & mask;
  let perturb = hash >>> 0;
  while (ixGet(s, k, i) >= 0) {
    perturb >>>= PERTURB_SHIFT;
    i = (i * 5 + perturb + 1) & mask;
  }
  return i;
}

/* ==== values arrays (split dicts and instances) ==== */

export function valuesPrefix(cap: number): number {
  return (cap + 2 + PTR - 1) & ~(PTR - 1);
}
export function valuesBytes(cap: number): number {
  return valuesPrefix(cap) + cap * PTR;
}
export function valuesCap(s: ObjectSpace, v: number): number {
  return s.u8[v]!;
}
export function valuesOrderLen(s: ObjectSpace, v: number): number {
  return s.u8[v + 1]!;
}
/** word index of slot ix */
export function valuesSlotWord(s: ObjectSpace, v: number, ix: number): number {
  return ((v + valuesPrefix(s.u8[v]!)) >> 2) + ix * (PTR >> 2);
}
export function valuesGet(s: ObjectSpace, v: number, ix: number): number {
  return s.i32[valuesSlotWord(s, v, ix)]!;
}

export function newValues(s: ObjectSpace, cap: number): number {
  const v = s.mallocRaw(valuesBytes(cap));
  s.u8.fill(0, v, v + valuesBytes(cap));
  s.u8[v] = cap;
  return v;
}

export function valuesAddToOrder(s: ObjectSpace, v: number, ix: number): void {
  const n = s.u8[v + 1]!;
  s.u8[v + 2 + n] = ix;
  s.u8[v + 1] = n + 1;
}

export function valuesRemoveFromOrder(s: ObjectSpace, v: number, ix: number): void {
  const n = s.u8[v + 1]!;
  let j = 0;
  while (j < n && s.u8[v + 2 + j] !== ix) j++;
  for (; j < n - 1; j++) s.u8[v + 2 + j] = s.u8[v + 3 + j]!;
  s.u8[v + 1] = n - 1;
}

/** The order entry i (the i-th inserted slot index). */
export function valuesOrderAt(s: ObjectSpace, v: number, i: number): number {
  return s.u8[v + 2 + i]!;
}

/** Drop every value and free the array. */
export function freeValues(s: ObjectSpace, v: number): void {
  const n = valuesOrderLen(s, v);
  for (let i = 0; i < n; i++) s.xdecref(valuesGet(s, v, valuesOrderAt(s, v, i)));
  s.freeRaw(v);
}

/**
 * Add `name` (a str) to shared keys k (insert_into_dictkeys). Returns its entry index, or -1 when
 * the keys are full. The shared keys take their own reference to the name.
 */
export function sharedKeysInsert(s: ObjectSpace, k: number, name: number): number {
  const hash = strHash(s, name);
  const found = keysLookup(s, k, name, hash);
  if (found >= 0) return found;
  if (dkUsable(s, k) <= 0) return -1;
  const ix = dkNentries(s, k);
  ixSet(s, k, findEmptySlot(s, k, hash), ix);
  s.incref(name);
  s.i32[entryKeyAt(s, k, ix) >> 2] = name;
  setUsable(s, k, dkUsable(s, k) - 1);
  setNentries(s, k, ix + 1);
  return ix;
}

/* ==== the dict object ==== */

export function dictKeys(s: ObjectSpace, d: number): number {
  return s.i32[(d >> 2) + wKeys]!;
}
export function dictValues(s: ObjectSpace, d: number): number {
  return s.i32[(d >> 2) + wValues]!;
}
export function dictLength(s: ObjectSpace, d: number): number {
  return s.i32[(d >> 2) + wUsed]!;
}

function writeDict(s: ObjectSpace, d: number, keys: number, values: number, used: number): void {
  const w = d >> 2;
  const i32 = s.i32;
  i32[w + wUsed] = used;
  i32[w + wUsed + 1] = 0;
  i32[(d + D_VERSION) >> 2] = 0;
  i32[((d + D_VERSION) >> 2) + 1] = 0;
  i32[w + wKeys] = keys;
  i32[w + wKeys + 1] = 0;
  i32[w + wValues] = values;
  i32[w + wValues + 1] = 0;
}

/** A new, empty, untracked dict (PyDict_New). */
export function newDict(s: ObjectSpace): number {
  const d = s.allocGC(DICT_BYTES, s.staticType(K_DICT));
  writeDict(s, d, s.st.emptyKeys, 0, 0);
  return d;
}

/**
 * A split dict over a class's shared keys and an instance's values (3.11's
 * make_dict_from_instance_attributes). The dict takes over the values array.
 */
export function newSplitDict(s: ObjectSpace, keys: number, values: number): number {
  const d = s.allocGC(DICT_BYTES, s.staticType(K_DICT));
  sharedKeysIncref(s, keys);
  const n = valuesOrderLen(s, values);
  writeDict(s, d, keys, values, n);
  for (let i = 0; i < n; i++) {
    if (mayBeTracked(s, valuesGet(s, values, valuesOrderAt(s, values, i)))) {
      s.gcl.track(d);
      break;
    }
  }
  return d;
}

/** d[key], a borrowed reference, or 0 when missing. */
export function dictGetItem(s: ObjectSpace, d: number, key: number): number {
  const k = dictKeys(s, d);
  if (dkNentries(s, k) === 0) return 0;
  const ix = keysLookup(s, k, key, hashOf(s, key));
  if (ix < 0) return 0;
  const values = dictValues(s, d);
  return values !== 0 ? valuesGet(s, values, ix) : s.i32[(entryKeyAt(s, k, ix) + PTR) >> 2]!;
}

function calculateLog2Keysize(minsize: number): number {
  let log2 = PyDict_LOG_MINSIZE;
  while (1 << log2 < minsize) log2++;
  return log2;
}

/**
 * dictresize: rebuild d's table with 2**log2 slots, dropping dummies. A split dict becomes
 * combined. `unicode` keeps a str-only table str-only.
 */
function dictResize(s: ObjectSpace, d: number, log2: number, unicode: boolean): void {
  const oldKeys = dictKeys(s, d);
  const oldValues = dictValues(s, d);
  const used = dictLength(s, d);
  const keepUnicode = unicode && dkKind(s, oldKeys) !== DICT_KEYS_GENERAL;
  const k = newKeys(s, log2, keepUnicode ? DICT_KEYS_UNICODE : DICT_KEYS_GENERAL);
  const general = !keepUnicode;
  const ent = entriesOf(s, k);
  const stride = general ? GENERAL_ENTRY : UNICODE_ENTRY;
  const keyOff = general ? PTR : 0;
  let n = 0;
  const put = (key: number, value: number, hash: number): void => {
    const e = ent + n * stride;
    if (general) s.i32[e >> 2] = hash;
    s.i32[(e + keyOff) >> 2] = key;
    s.i32[(e + keyOff + PTR) >> 2] = value;
    ixSet(s, k, findEmptySlot(s, k, hash), n);
    n++;
  };
  if (oldValues !== 0) {
    // split -> combined: values move over; the keys are shared, so take new references to them
    const len = valuesOrderLen(s, oldValues);
    for (let i = 0; i < len; i++) {
      const ix = valuesOrderAt(s, oldValues, i);
      const key = entryKey(s, oldKeys, ix);
      s.incref(key);
      put(key, valuesGet(s, oldValues, ix), strHash(s, key));
    }
    s.freeRaw(oldValues);
    sharedKeysDecref(s, oldKeys);
  } else {
    const total = dkNentries(s, oldKeys);
    for (let ix = 0; ix < total; ix++) {
      const at = entryKeyAt(s, oldKeys, ix);
      const key = s.i32[at >> 2]!;
      if (key === 0) continue;
      put(key, s.i32[(at + PTR) >> 2]!, entryHash(s, oldKeys, ix));
    }
    if (oldKeys !== s.st.emptyKeys) s.freeRaw(oldKeys);
  }
  setUsable(s, k, dkUsable(s, k) - n);
  setNentries(s, k, n);
  const w = d >> 2;
  s.i32[w + wKeys] = k;
  s.i32[w + wValues] = 0;
  if (n !== used) throw new Error(`dict resize lost entries: ${n} != ${used}`);
}

function insertionResize(s: ObjectSpace, d: number, unicode: boolean): void {
  dictResize(s, d, calculateLog2Keysize(dictLength(s, d) * 3), unicode);
}

function maintainTracking(s: ObjectSpace, d: number, key: number, value: number): void {
  if (!s.gcl.isTracked(d) && (mayBeTracked(s, key) || mayBeTracked(s, value))) s.gcl.track(d);
}

/** d[key] = value (new references taken to both). */
export function dictSetItem(s: ObjectSpace, d: number, key: number, value: number): void {
  const hash = hashOf(s, key);
  const w = d >> 2;
  const keyIsStr = s.kindOf(key) === K_STR;
  let k = dictKeys(s, d);
  if (k === s.st.emptyKeys) {
    insertToEmpty(s, d, key, value, hash, keyIsStr);
    return;
  }
  let values = dictValues(s, d);
  if (!keyIsStr && dkKind(s, k) !== DICT_KEYS_GENERAL) {
    insertionResize(s, d, false);
    k = dictKeys(s, d);
    values = 0;
  }
  let ix = keysLookup(s, k, key, hash);
  if (ix >= 0 && values !== 0 && ix >= valuesCap(s, values)) {
    // cannot happen while the shared-keys invariant holds; stay safe: go combined
    insertionResize(s, d, true);
    k = dictKeys(s, d);
    values = 0;
    ix = keysLookup(s, k, key, hash);
  }
  if (ix >= 0) {
    s.incref(value);
    if (values !== 0) {
      const sw = valuesSlotWord(s, values, ix);
      const old = s.i32[sw]!;
      s.i32[sw] = value;
      if (old === 0) {
        valuesAddToOrder(s, values, ix);
        s.i32[w + wUsed]!++;
      } else {
        s.decref(old);
      }
    } else {
      const vw = (entryKeyAt(s, k, ix) + PTR) >> 2;
      const old = s.i32[vw]!;
      s.i32[vw] = value;
      s.decref(old);
    }
    maintainTracking(s, d, key, value);
    return;
  }
  if (values !== 0) {
    // a new name for a split dict: into the shared keys if they have room, else go combined
    const nix = dkUsable(s, k) > 0 ? sharedKeysInsert(s, k, key) : -1;
    if (nix >= 0 && nix < valuesCap(s, values)) {
      s.incref(value);
      s.i32[valuesSlotWord(s, values, nix)] = value;
      valuesAddToOrder(s, values, nix);
      s.i32[w + wUsed]!++;
      maintainTracking(s, d, key, value);
      return;
    }
    insertionResize(s, d, true);
    k = dictKeys(s, d);
  } else if (dkUsable(s, k) <= 0) {
    insertionResize(s, d, true);
    k = dictKeys(s, d);
  }
  insertNew(s, d, k, key, value, hash);
}

/** Append a new entry to combined table k (room is guaranteed). */
function insertNew(s: ObjectSpace, d: number, k: number, key: number, value: number, hash: number): void {
  const n = dkNentries(s, k);
  ixSet(s, k, findEmptySlot(s, k, hash), n);
  const general = dkKind(s, k) === DICT_KEYS_GENERAL;
  const e = entriesOf(s, k) + n * entrySize(s, k);
  s.incref(key);
  s.incref(value);
  if (general) {
    s.i32[e >> 2] = hash;
    s.i32[(e + PTR) >> 2] = key;
    s.i32[(e + 2 * PTR) >> 2] = value;
  } else {
    s.i32[e >> 2] = key;
    s.i32[(e + PTR) >> 2] = value;
  }
  setUsable(s, k, dkUsable(s, k) - 1);
  setNentries(s, k, n + 1);
  s.i32[(d >> 2) + wUsed]!++;
  maintainTracking(s, d, key, value);
}

function insertToEmpty(s: ObjectSpace, d: number, key: number, value: number, hash: number, keyIsStr: boolean): void {
  const k = newKeys(s, PyDict_LOG_MINSIZE, keyIsStr ? DICT_KEYS_UNICODE : DICT_KEYS_GENERAL);
  s.i32[(d >> 2) + wKeys] = k;
  insertNew(s, d, k, key, value, hash);
}

/** del d[key]; KeyError when missing. */
export function dictDelItem(s: ObjectSpace, d: number, key: number, keyRepr: () => string): void {
  if (!dictPop(s, d, key)) throw new KeyError(keyRepr());
}

/** Remove key if present; true when it was. */
export function dictPop(s: ObjectSpace, d: number, key: number): boolean {
  const k = dictKeys(s, d);
  if (dkNentries(s, k) === 0) return false;
  const hash = hashOf(s, key);
  const pos = lookupPos(s, k, key, hash);
  if (pos < 0) return false;
  const ix = ixGet(s, k, pos);
  const values = dictValues(s, d);
  const w = d >> 2;
  if (values !== 0) {
    const sw = valuesSlotWord(s, values, ix);
    const old = s.i32[sw]!;
    if (old === 0) return false;
    s.i32[sw] = 0;
    valuesRemoveFromOrder(s, values, ix);
    s.i32[w + wUsed]!--;
    s.decref(old);
    return true;
  }
  const at = entryKeyAt(s, k, ix);
  const oldKey = s.i32[at >> 2]!;
  const oldValue = s.i32[(at + PTR) >> 2]!;
  ixSet(s, k, pos, DKIX_DUMMY);
  s.i32[at >> 2] = 0;
  s.i32[(at + PTR) >> 2] = 0;
  s.i32[w + wUsed]!--;
  s.decref(oldKey);
  s.decref(oldValue);
  return true;
}

/** Call fn(key, value) for each item in insertion order (borrowed references). */
export function dictForEach(s: ObjectSpace, d: number, fn: (key: number, value: number) => void): void {
  const k = dictKeys(s, d);
  const values = dictValues(s, d);
  if (values !== 0) {
    const n = valuesOrderLen(s, values);
    for (let i = 0; i < n; i++) {
      const ix = valuesOrderAt(s, values, i);
      fn(entryKey(s, k, ix), valuesGet(s, values, ix));
    }
    return;
  }
  const total = dkNentries(s, k);
  for (let ix = 0; ix < total; ix++) {
    const at = entryKeyAt(s, k, ix);
    const key = s.i32[at >> 2]!;
    if (key !== 0) fn(key, s.i32[(at + PTR) >> 2]!);
  }
}

export function dictSizeof(s: ObjectSpace, d: number): number {
  let res = DICT_BYTES;
  const k = dictKeys(s, d);
  const values = dictValues(s, d);
  if (values !== 0) res += valuesCap(s, values) * PTR;
  if (s.i32[(k + DK_REFCNT) >> 2] === 1) res += keysSizeof(s, k);
  return res;
}

export function dictTraverse<A>(s: ObjectSpace, d: number, visit: Visit<A>, arg: A): void {
  const k = dictKeys(s, d);
  const values = dictValues(s, d);
  if (values !== 0) {
    const n = valuesOrderLen(s, values);
    for (let i = 0; i < n; i++) visit(valuesGet(s, values, valuesOrderAt(s, values, i)), arg);
    return;
  }
  const general = dkKind(s, k) === DICT_KEYS_GENERAL;
  const total = dkNentries(s, k);
  for (let ix = 0; ix < total; ix++) {
    const at = entryKeyAt(s, k, ix);
    const key = s.i32[at >> 2]!;
    if (key === 0) continue;
    if (general) visit(key, arg);
    visit(s.i32[(at + PTR) >> 2]!, arg);
  }
}

/** tp_clear / dict.clear(): back to the shared empty table. */
export function dictClear(s: ObjectSpace, d: number): void {
  const k = dictKeys(s, d);
  const values = dictValues(s, d);
  writeDict(s, d, s.st.emptyKeys, 0, 0);
  if (values !== 0) {
    freeValues(s, values);
    sharedKeysDecref(s, k);
  } else if (k !== s.st.emptyKeys) {
    freeKeys(s, k, true);
  }
}

export function dictDealloc(s: ObjectSpace, d: number): void {
  s.gcl.untrack(d);
  dictClear(s, d);
  s.freeGC(d);
}

/** bytes a dict takes with its GC header (for tests and docs) */
export const DICT_GETSIZEOF_EMPTY = DICT_BYTES + GC_HEAD_BYTES;

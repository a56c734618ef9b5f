/*
 * Classes (heap types) and their instances.
 * =========================================
 *
 * `py.newClass(name, { slots?, del?, legacyDel? })` allocates a type object of CPython 3.11's
 * PyHeapTypeObject size (904 bytes + the GC header: getsizeof(cls) == 920, plus its shared keys
 * when instances have a __dict__: 1688). Every instance holds a reference to its class, as in
 * CPython 3.8+.
 *
 * Instances come in two shapes:
 *
 *   with __dict__ (no __slots__):  gc header | header | values | dict | weaklist      (40 + 16 B)
 *       getsizeof 56 like CPython 3.11 (which keeps the values and dict pointers in a
 *       pre-header; same bytes, different place). `values` is the inline values array over the
 *       class's shared keys (dict.ts); `dict` is the materialised __dict__ once somebody asks
 *       for it or once the attributes no longer fit the shared keys.
 *   with __slots__ = (a, b, ...):  gc header | header | slot a | slot b | ... [| weaklist]
 *       16 + 8 per slot + the GC header: ('a','b') -> 48, () -> 32. Weakrefable only when
 *       '__weakref__' is among the slots.
 *
 * Finalizers: `del` is PEP 442's __del__ (tp_finalize): it runs once, before the memory is freed,
 * and may resurrect the object. With `legacyDel` it is a legacy tp_del instead (it runs at
 * every dealloc and a garbage cycle holding one is uncollectable). The functions live in the
 * creating thread's hook table, found through the class id; an instance dying on another thread
 * has its `del` routed to the creating thread (T_HOOK_OWNER, pending.ts).
 */

import { AttributeError, PyTypeError, ValueError } from '../errors.ts';
import {
  dictGetItem,
  dictPop,
  dictSetItem,
  dkNentries,
  dkUsable,
  freeValues,
  keysLookup,
  keysSizeof,
  newDict,
  newSharedKeys,
  newSplitDict,
  newValues,
  sharedKeysDecref,
  sharedKeysInsert,
  valuesAddToOrder,
  valuesCap,
  valuesOrderAt,
  valuesOrderLen,
  valuesRemoveFromOrder,
  valuesSlotWord,
  DK_USABLE,
  dictForEach as dictForEachImport,
  entryKeyOf,
} from './dict.ts';
import { obLock, obUnlock } from './critical.ts';
import { PTR } from './header.ts';
import {
  HEAP_TYPE_BYTES,
  K_INSTANCE,
  K_TYPE,
  T_CACHED_KEYS,
  T_CLASSID,
  T_DICT,
  T_HOOK_OWNER,
  T_ITEMSIZE,
  T_KIND,
  T_NAME,
  T_NSLOTS,
  T_SLOTNAMES,
  T_WEAKLIST,
  T_WEAKLISTOFFSET,
  TPFLAGS_HAVE_GC,
  TPFLAGS_HEAPTYPE,
} from './kinds.ts';
import type { ClassHooks, ObjectSpace, Visit } from './space.ts';
import { RS_NEXT_CLASSID } from './statics.ts';
import { strHash, strValue, newStr } from './str.ts';
import { newTuple, tupleItem, tupleLength } from './tuple.ts';

/*
 * Hot-path constants, repeated here as literals on purpose: V8 folds a module's own literal
 * constants into the machine code but loads (and TDZ-checks) an imported binding at every use,
 * about 0.4 ns each on these paths. test/objects/mirrors.test.ts checks every copy against its
 * definition.
 */
const OBJECT_HEAD_BYTES = 16;
const W_TYPE = 2;
const T_FLAGS = 20;
const T_BASICSIZE = 24;
const TPFLAGS_MANAGED_DICT = 1 << 4;
const TPFLAGS_WEAKREFABLE = 1 << 5;
const TPFLAGS_HAS_FINALIZE = 1 << 6;
const TPFLAGS_LEGACY_DEL = 1 << 7;
const WORDS_PER_SLOT = 2;
const W_REFCNT = 0;
const IMMORTAL_REFCNT = 0x3fffffff;
const W_TID = 1;
const W_REF_SHARED = 3;
const GC_HEAD_BYTES = 16;
const W_GC_NEXT = 0;
const W_GC_PREV = 1;
const W_GC_REFS = 2;
const W_GC_FLAGS = 3;
const W_GC_HEAD = 4;
export const MIRRORS = {
  OBJECT_HEAD_BYTES, W_TYPE, T_FLAGS, T_BASICSIZE, TPFLAGS_MANAGED_DICT, TPFLAGS_WEAKREFABLE, TPFLAGS_HAS_FINALIZE,
  TPFLAGS_LEGACY_DEL, WORDS_PER_SLOT, W_REFCNT, IMMORTAL_REFCNT, W_TID, W_REF_SHARED, GC_HEAD_BYTES, W_GC_NEXT, W_GC_PREV, W_GC_REFS,
  W_GC_FLAGS, W_GC_HEAD,
};

/* ---- instance fields (dict shape) ---- */
export const INST_VALUES = OBJECT_HEAD_BYTES;
export const INST_DICT = OBJECT_HEAD_BYTES + PTR;
export const INST_WEAKLIST = OBJECT_HEAD_BYTES + 2 * PTR;
export const INSTANCE_DICT_BYTES = OBJECT_HEAD_BYTES + 3 * PTR;
/** sizeof(PyTypeObject): what a static type's __sizeof__ reports (getsizeof(int) == 424) */
export const STATIC_TYPE_SIZEOF = 408;
export const WEAKREF_SLOT = '__weakref__';

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface ClassOptions {
  slots?: readonly string[];
  del?: ClassHooks['del'];
  legacyDel?: boolean;
}

/** A new heap class (a new reference). `intern` turns slot names into interned strs. */
export function newClass(s: ObjectSpace, name: string, opts: ClassOptions, intern: (n: string) => number): number {
  let flags = TPFLAGS_HEAPTYPE | TPFLAGS_HAVE_GC;
  let basicsize: number;
  let weaklistoffset = 0;
  let slotNames: string[] | null = null;
  if (typeof name !== 'string' || name.length === 0) throw new PyTypeError('class name must be a non-empty string');
  if (opts.slots !== undefined) {
    slotNames = [];
    let weak = false;
    for (const n of opts.slots) {
      if (typeof n !== 'string' || !IDENT.test(n)) throw new PyTypeError(`__slots__ must be identifiers, got ${String(n)}`);
      if (n === '__dict__') throw new ValueError("'__dict__' in __slots__ is not supported by gilsim");
      if (n === WEAKREF_SLOT) {
        if (weak) throw new PyTypeError('__weakref__ slot disallowed: we already got one');
        weak = true;
        continue;
      }
      if (slotNames.includes(n)) throw new ValueError(`'${n}' in __slots__ conflicts with class variable`);
      slotNames.push(n);
    }
    basicsize = OBJECT_HEAD_BYTES + PTR * slotNames.length;
    if (weak) {
      weaklistoffset = basicsize;
      basicsize += PTR;
      flags |= TPFLAGS_WEAKREFABLE;
    }
  } else {
    flags |= TPFLAGS_MANAGED_DICT | TPFLAGS_WEAKREFABLE;
    basicsize = INSTANCE_DICT_BYTES;
    weaklistoffset = INST_WEAKLIST;
  }
  if (opts.legacyDel) flags |= TPFLAGS_LEGACY_DEL;
  else if (opts.del !== undefined) flags |= TPFLAGS_HAS_FINALIZE;

  const t = s.allocGC(HEAP_TYPE_BYTES, s.typeType);
  s.u8.fill(0, t + OBJECT_HEAD_BYTES, t + HEAP_TYPE_BYTES);
  const i32 = s.i32;
  const classId = Atomics.add(i32, (s.layout.runtimeOff + RS_NEXT_CLASSID) >> 2, 1);
  i32[(t + T_KIND) >> 2] = K_INSTANCE;
  i32[(t + T_FLAGS) >> 2] = flags;
  i32[(t + T_BASICSIZE) >> 2] = basicsize;
  i32[(t + T_ITEMSIZE) >> 2] = 0;
  i32[(t + T_WEAKLISTOFFSET) >> 2] = weaklistoffset;
  i32[(t + T_CLASSID) >> 2] = classId;
  i32[(t + T_NAME) >> 2] = newStr(s, name);
  if (slotNames !== null) {
    const strs = slotNames.map(intern);
    i32[(t + T_NSLOTS) >> 2] = slotNames.length;
    i32[(t + T_SLOTNAMES) >> 2] = newTuple(s, strs);
  } else {
    i32[(t + T_CACHED_KEYS) >> 2] = newSharedKeys(s);
  }
  if (opts.del !== undefined) {
    s.classHooks.set(classId, { del: opts.del });
    s.i32[(t + T_HOOK_OWNER) >> 2] = s.ident;
  }
  s.gcl.track(t);
  return t;
}

export function isHeapType(s: ObjectSpace, t: number): boolean {
  return (s.i32[(t + T_FLAGS) >> 2]! & TPFLAGS_HEAPTYPE) !== 0;
}

export function heapTypeName(s: ObjectSpace, t: number): string {
  return strValue(s, s.i32[(t + T_NAME) >> 2]!);
}

/* ==== instances ==== */

/**
 * A new instance of heap class t (a new reference). The hot path of `py.instance`, flattened:
 * allocate, GC header linked at the tail of generation 0 (gc_list_append), header, zeroed
 * slots, the class's count, generation 0's count; the collector hook runs once it is complete.
 */
export function newInstance(s: ObjectSpace, t: number): number {
  const flags = s.i32[(t + T_FLAGS) >> 2]!;
  const size = s.i32[(t + T_BASICSIZE) >> 2]!;
  if ((flags & TPFLAGS_MANAGED_DICT) !== 0 || s.gcLocking) return newInstanceGeneric(s, t, flags, size);
  const g = s.heap.malloc(size + GC_HEAD_BYTES);
  // the views must cover every address written: the new block and the gen-0 tail (the py fast
  // path does not sync on entry); the class is below the views (its handle was checked)
  const head = s.wGen0;
  const last = s.i32[head + W_GC_PREV]!;
  if (g + size + GC_HEAD_BYTES > s.viewBytes || last >= s.viewBytes) s.sync();
  const i32 = s.i32; // one view for the writes (a `let` reassigned above would be re-checked in the loop)
  const w = g >> 2;
  i32[w + W_GC_NEXT] = head << 2;
  i32[w + W_GC_PREV] = last;
  i32[w + W_GC_REFS] = 0;
  i32[w + W_GC_FLAGS] = 0;
  i32[(last >> 2) + W_GC_NEXT] = g;
  i32[head + W_GC_PREV] = g;
  const ow = w + W_GC_HEAD;
  i32[ow + W_REFCNT] = 1;
  i32[ow + W_TID] = s.tid;
  i32[ow + W_TYPE] = t;
  i32[ow + W_REF_SHARED] = 0;
  for (let i = ow + (OBJECT_HEAD_BYTES >> 2), end = ow + (size >> 2); i < end; i++) i32[i] = 0;
  if (s.plainRc) {
    const tw = (t >> 2) + W_REFCNT; // the class's count, counted here under `plain`
    const rc = i32[tw]!;
    if (rc < IMMORTAL_REFCNT) i32[tw] = rc + 1;
  } else {
    s.rc.incref(t);
  }
  const cw = s.wCount0;
  const c = i32[cw]! + 1;
  i32[cw] = c;
  if (c > i32[s.wThreshold0]!) gcThresholdPassed(s);
  return g + GC_HEAD_BYTES;
}

/** Generation 0 passed its threshold: ask the collector if it is enabled and idle. */
function gcThresholdPassed(s: ObjectSpace): void {
  s.syncIfGrown();
  const gcl = s.gcl;
  if (gcl.threshold(0) !== 0 && gcl.enabled && !gcl.collecting) s.onGcThreshold();
}

/** Instances with a __dict__, and every instance when the GC lists need their lock. */
function newInstanceGeneric(s: ObjectSpace, t: number, flags: number, size: number): number {
  s.syncIfGrown();
  if ((flags & TPFLAGS_MANAGED_DICT) !== 0) return newDictInstance(s, t, size);
  const o = s.allocGCNoCount(size, t);
  const i32 = s.i32;
  for (let i = (o + OBJECT_HEAD_BYTES) >> 2, end = (o + size) >> 2; i < end; i++) i32[i] = 0;
  s.rc.incref(t);
  s.gcl.track(o);
  if (s.gcl.countAlloc()) s.onGcThreshold();
  return o;
}

function newDictInstance(s: ObjectSpace, t: number, size: number): number {
  const o = s.allocGC(size, t);
  const i32 = s.i32;
  for (let i = (o + OBJECT_HEAD_BYTES) >> 2, end = (o + size) >> 2; i < end; i++) i32[i] = 0;
  i32[(o + INST_VALUES) >> 2] = initInlineValues(s, t);
  s.incref(t);
  s.gcl.track(o);
  return o;
}

/**
 * 3.11's init_inline_values: each new instance lowers the shared keys' usable by one.
 * Free-threaded: the shared keys are the class's, changed under its lock (critical.ts).
 */
function initInlineValues(s: ObjectSpace, t: number): number {
  if (s.ft) {
    obLock(s.i32, t);
    s.syncIfGrown();
  }
  let cap: number;
  try {
    const keys = s.i32[(t + T_CACHED_KEYS) >> 2]!;
    const usable = dkUsable(s, keys);
    if (usable > 1) s.i32[(keys + DK_USABLE) >> 2] = usable - 1;
    cap = dkNentries(s, keys) + dkUsable(s, keys);
  } finally {
    if (s.ft) obUnlock(s.i32, t);
  }
  return newValues(s, cap);
}

function hasDictShape(s: ObjectSpace, t: number): boolean {
  return (s.i32[(t + T_FLAGS) >> 2]! & TPFLAGS_MANAGED_DICT) !== 0;
}

export function instanceSizeof(s: ObjectSpace, o: number): number {
  return s.basicsize(s.typeOf(o));
}

/** Index of slot `name` in class t, or -1 (cached per thread by class id). */
export function slotIndex(s: ObjectSpace, t: number, name: string): number {
  const id = s.i32[(t + T_CLASSID) >> 2]!;
  let m = s.slotIndexCache.get(id);
  if (m === undefined) {
    m = new Map();
    const names = s.i32[(t + T_SLOTNAMES) >> 2]!;
    if (names !== 0) {
      const n = tupleLength(s, names);
      for (let i = 0; i < n; i++) m.set(strValue(s, tupleItem(s, names, i)), i);
    }
    s.slotIndexCache.set(id, m);
  }
  return m.get(name) ?? -1;
}

function slotWord(o: number, i: number): number {
  return ((o + OBJECT_HEAD_BYTES) >> 2) + i * (PTR >> 2);
}

function noAttribute(s: ObjectSpace, o: number, name: string): never {
  throw new AttributeError(`'${s.typeName(o)}' object has no attribute '${name}'`);
}

/** instance.name as a borrowed reference, or 0 when it has no such instance attribute. */
export function instanceGetAttr(s: ObjectSpace, o: number, name: string, nameObj: () => number): number {
  const t = s.typeOf(o);
  if (!hasDictShape(s, t)) {
    const i = slotIndex(s, t, name);
    return i < 0 ? 0 : s.i32[slotWord(o, i)]!;
  }
  const values = s.i32[(o + INST_VALUES) >> 2]!;
  if (values !== 0) {
    const key = nameObj();
    const ix = keysLookup(s, s.i32[(t + T_CACHED_KEYS) >> 2]!, key, strHash(s, key));
    return ix >= 0 && ix < valuesCap(s, values) ? s.i32[valuesSlotWord(s, values, ix)]! : 0;
  }
  const dict = s.i32[(o + INST_DICT) >> 2]!;
  return dict === 0 ? 0 : dictGetItem(s, dict, nameObj());
}

/** instance.name = value (takes its own reference). */
export function instanceSetAttr(s: ObjectSpace, o: number, name: string, nameObj: () => number, value: number): void {
  const t = s.typeOf(o);
  if (!hasDictShape(s, t)) {
    const i = slotIndex(s, t, name);
    if (i < 0) noAttribute(s, o, name);
    const at = slotWord(o, i);
    const old = s.i32[at]!;
    s.incref(value);
    s.i32[at] = value;
    s.xdecref(old);
    return;
  }
  const key = nameObj();
  const values = s.i32[(o + INST_VALUES) >> 2]!;
  if (values !== 0) {
    const keys = s.i32[(t + T_CACHED_KEYS) >> 2]!;
    const ix = sharedKeysInsert(s, keys, key);
    if (ix >= 0 && ix < valuesCap(s, values)) {
      const at = valuesSlotWord(s, values, ix);
      const old = s.i32[at]!;
      s.incref(value);
      s.i32[at] = value;
      if (old === 0) valuesAddToOrder(s, values, ix);
      else s.decref(old);
      return;
    }
    // the attributes no longer fit the shared keys: materialise the dict, which goes combined
    const d = newSplitDict(s, keys, values);
    s.i32[(o + INST_VALUES) >> 2] = 0;
    s.i32[(o + INST_DICT) >> 2] = d;
    dictSetItem(s, d, key, value);
    return;
  }
  let dict = s.i32[(o + INST_DICT) >> 2]!;
  if (dict === 0) {
    dict = newDict(s);
    s.i32[(o + INST_DICT) >> 2] = dict;
  }
  dictSetItem(s, dict, key, value);
}

/** del instance.name */
export function instanceDelAttr(s: ObjectSpace, o: number, name: string, nameObj: () => number): void {
  const t = s.typeOf(o);
  if (!hasDictShape(s, t)) {
    const i = slotIndex(s, t, name);
    const at = i < 0 ? 0 : slotWord(o, i);
    const old = at === 0 ? 0 : s.i32[at]!;
    if (old === 0) noAttribute(s, o, name);
    s.i32[at] = 0;
    s.decref(old);
    return;
  }
  const key = nameObj();
  const values = s.i32[(o + INST_VALUES) >> 2]!;
  if (values !== 0) {
    const ix = keysLookup(s, s.i32[(t + T_CACHED_KEYS) >> 2]!, key, strHash(s, key));
    const at = ix >= 0 && ix < valuesCap(s, values) ? valuesSlotWord(s, values, ix) : 0;
    const old = at === 0 ? 0 : s.i32[at]!;
    if (old === 0) noAttribute(s, o, name);
    s.i32[at] = 0;
    valuesRemoveFromOrder(s, values, ix);
    s.decref(old);
    return;
  }
  const dict = s.i32[(o + INST_DICT) >> 2]!;
  if (dict === 0 || !dictPop(s, dict, key)) noAttribute(s, o, name);
}

/** instance.__dict__ (a new reference), materialising it from the inline values if needed. */
export function instanceGetDict(s: ObjectSpace, o: number): number {
  const t = s.typeOf(o);
  if (!hasDictShape(s, t)) noAttribute(s, o, '__dict__');
  let dict = s.i32[(o + INST_DICT) >> 2]!;
  if (dict === 0) {
    const values = s.i32[(o + INST_VALUES) >> 2]!;
    dict = values !== 0 ? newSplitDict(s, s.i32[(t + T_CACHED_KEYS) >> 2]!, values) : newDict(s);
    s.i32[(o + INST_VALUES) >> 2] = 0;
    s.i32[(o + INST_DICT) >> 2] = dict;
  }
  s.incref(dict);
  return dict;
}

/** Call fn(name, value) for each attribute that is set (borrowed references). */
export function instanceForEachAttr(s: ObjectSpace, o: number, fn: (name: number, value: number) => void): void {
  const t = s.typeOf(o);
  if (!hasDictShape(s, t)) {
    const names = s.i32[(t + T_SLOTNAMES) >> 2]!;
    const n = s.i32[(t + T_NSLOTS) >> 2]!;
    for (let i = 0; i < n; i++) {
      const v = s.i32[slotWord(o, i)]!;
      if (v !== 0) fn(tupleItem(s, names, i), v);
    }
    return;
  }
  const values = s.i32[(o + INST_VALUES) >> 2]!;
  if (values !== 0) {
    const keys = s.i32[(t + T_CACHED_KEYS) >> 2]!;
    const len = valuesOrderLen(s, values);
    for (let i = 0; i < len; i++) {
      const ix = valuesOrderAt(s, values, i);
      fn(sharedKeyAt(s, keys, ix), s.i32[valuesSlotWord(s, values, ix)]!);
    }
    return;
  }
  const dict = s.i32[(o + INST_DICT) >> 2]!;
  if (dict !== 0) dictForEachImport(s, dict, fn);
}


function sharedKeyAt(s: ObjectSpace, keys: number, ix: number): number {
  return entryKeyOf(s, keys, ix);
}

export function instanceTraverse<A>(s: ObjectSpace, o: number, visit: Visit<A>, arg: A): void {
  visit(s.typeOf(o), arg);
  const t = s.typeOf(o);
  if (!hasDictShape(s, t)) {
    const n = s.i32[(t + T_NSLOTS) >> 2]!;
    for (let i = 0; i < n; i++) {
      const v = s.i32[slotWord(o, i)]!;
      if (v !== 0) visit(v, arg);
    }
    return;
  }
  const values = s.i32[(o + INST_VALUES) >> 2]!;
  if (values !== 0) {
    const len = valuesOrderLen(s, values);
    for (let i = 0; i < len; i++) visit(s.i32[valuesSlotWord(s, values, valuesOrderAt(s, values, i))]!, arg);
  }
  const dict = s.i32[(o + INST_DICT) >> 2]!;
  if (dict !== 0) visit(dict, arg);
}

/** subtype_clear: drop the slots and the __dict__ / inline values. */
export function instanceClear(s: ObjectSpace, o: number): void {
  const t = s.typeOf(o);
  if (!hasDictShape(s, t)) {
    const n = s.i32[(t + T_NSLOTS) >> 2]!;
    for (let i = 0; i < n; i++) {
      const at = slotWord(o, i);
      const v = s.i32[at]!;
      s.i32[at] = 0;
      s.xdecref(v);
    }
    return;
  }
  const values = s.i32[(o + INST_VALUES) >> 2]!;
  const dict = s.i32[(o + INST_DICT) >> 2]!;
  s.i32[(o + INST_VALUES) >> 2] = 0;
  s.i32[(o + INST_DICT) >> 2] = 0;
  if (values !== 0) freeValues(s, values);
  s.xdecref(dict);
}

/** subtype_dealloc: untrack, finalize (may resurrect), clear weakrefs, tp_del, clear, free, drop the class. */
export function instanceDealloc(s: ObjectSpace, o: number): void {
  const i32 = s.i32;
  const t = i32[(o >> 2) + W_TYPE]!;
  const flags = i32[(t + T_FLAGS) >> 2]!;
  if ((flags & (TPFLAGS_HAS_FINALIZE | TPFLAGS_LEGACY_DEL | TPFLAGS_WEAKREFABLE | TPFLAGS_MANAGED_DICT)) !== 0 || s.gcLocking) {
    instanceDeallocGeneric(s, o, t, flags);
    return;
  }
  // __slots__ without __weakref__ or finalizer: the flattened fast path
  const w = (o - GC_HEAD_BYTES) >> 2;
  const next = i32[w + W_GC_NEXT]!;
  if (next !== 0) {
    const prev = i32[w + W_GC_PREV]!;
    i32[(prev >> 2) + W_GC_NEXT] = next;
    i32[(next >> 2) + W_GC_PREV] = prev;
    i32[w + W_GC_NEXT] = 0;
    i32[w + W_GC_PREV] = 0;
  }
  const ow = o >> 2;
  for (let i = ow + (OBJECT_HEAD_BYTES >> 2), end = ow + (i32[(t + T_BASICSIZE) >> 2]! >> 2); i < end; i += WORDS_PER_SLOT) {
    const v = i32[i]!;
    if (v !== 0) {
      i32[i] = 0;
      s.decref(v);
    }
  }
  releaseInstance(s, o, t);
}

/**
 * tp_dealloc of a leaf instance: its class has __slots__ and no finalizer, __weakref__ or
 * __dict__, and every slot is empty. Nothing it drops can reach zero or run code (but its class,
 * whose dealloc runs its own loop), so it needs no dealloc loop: the object space calls this
 * first, outside the loop. Returns false, having changed nothing, for any other instance.
 */
export function instanceDeallocLeaf(s: ObjectSpace, o: number, t: number): boolean {
  const i32 = s.i32;
  if ((i32[(t + T_FLAGS) >> 2]! & (TPFLAGS_HAS_FINALIZE | TPFLAGS_LEGACY_DEL | TPFLAGS_WEAKREFABLE | TPFLAGS_MANAGED_DICT)) !== 0 || s.gcLocking) {
    return false;
  }
  const ow = o >> 2;
  for (let i = ow + (OBJECT_HEAD_BYTES >> 2), end = ow + (i32[(t + T_BASICSIZE) >> 2]! >> 2); i < end; i += WORDS_PER_SLOT) {
    if (i32[i] !== 0) return false;
  }
  const w = (o - GC_HEAD_BYTES) >> 2;
  const next = i32[w + W_GC_NEXT]!;
  const prev = i32[w + W_GC_PREV]!;
  // a GC neighbour past our views (made after another thread grew the buffer): the dealloc loop
  // syncs first (o and its class are in view: the caller read them)
  if (next >= s.viewBytes || prev >= s.viewBytes) return false;
  if (next !== 0) {
    i32[(prev >> 2) + W_GC_NEXT] = next;
    i32[(next >> 2) + W_GC_PREV] = prev;
    i32[w + W_GC_NEXT] = 0;
    i32[w + W_GC_PREV] = 0;
  }
  releaseInstance(s, o, t);
  return true;
}

/**
 * The end of both fast deallocs, once the instance is untracked and its slots are empty: mark
 * the header dead, count the container out of generation 0, free the block, drop the class.
 */
function releaseInstance(s: ObjectSpace, o: number, t: number): void {
  const i32 = s.i32;
  const ow = o >> 2;
  i32[ow + W_REFCNT] = 0;
  i32[ow + W_TYPE] = 0;
  const cw = s.wCount0;
  const c = i32[cw]!;
  if (c > 0) i32[cw] = c - 1;
  s.heap.free(o - GC_HEAD_BYTES);
  if (s.plainRc) {
    const tw = (t >> 2) + W_REFCNT; // drop the instance's reference to its class
    const rc = i32[tw]!;
    if (rc < IMMORTAL_REFCNT) {
      i32[tw] = rc - 1;
      if (rc === 1) s.dealloc(t);
    }
  } else {
    s.decref(t);
  }
}

function instanceDeallocGeneric(s: ObjectSpace, o: number, t: number, flags: number): void {
  s.gcl.untrack(o);
  if (deallocSlow(s, o, t, flags)) return;
  instanceClear(s, o);
  s.freeGC(o);
  s.decref(t);
}

/** The finalizer and weakref part of dealloc; true when the object was resurrected. */
function deallocSlow(s: ObjectSpace, o: number, t: number, flags: number): boolean {
  if ((flags & TPFLAGS_HAS_FINALIZE) !== 0 && !s.isFinalized(o)) {
    if (s.finalizeFromDealloc(o)) return true;
  }
  if ((flags & TPFLAGS_WEAKREFABLE) !== 0) s.clearWeakrefs(o, s.i32[(t + T_WEAKLISTOFFSET) >> 2]!);
  if ((flags & TPFLAGS_LEGACY_DEL) !== 0) {
    if (s.legacyDelFromDealloc(o)) return true;
  }
  return false;
}

/* ==== type objects ==== */

export function typeSizeof(s: ObjectSpace, t: number): number {
  if (!isHeapType(s, t)) return STATIC_TYPE_SIZEOF;
  const keys = s.i32[(t + T_CACHED_KEYS) >> 2]!;
  return HEAP_TYPE_BYTES + (keys !== 0 ? keysSizeof(s, keys) : 0);
}

export function typeTraverse<A>(s: ObjectSpace, t: number, visit: Visit<A>, arg: A): void {
  const dict = s.i32[(t + T_DICT) >> 2]!;
  if (dict !== 0) visit(dict, arg);
  const names = s.i32[(t + T_SLOTNAMES) >> 2]!;
  if (names !== 0) visit(names, arg);
}

/** type_clear: drop the class dict (what can hold cycles back to the class). */
export function typeClear(s: ObjectSpace, t: number): void {
  if (!isHeapType(s, t)) return;
  const dict = s.i32[(t + T_DICT) >> 2]!;
  s.i32[(t + T_DICT) >> 2] = 0;
  s.xdecref(dict);
}

export function typeDealloc(s: ObjectSpace, t: number): void {
  s.gcl.untrack(t);
  s.clearWeakrefs(t, T_WEAKLIST);
  const w = (f: number): number => (t + f) >> 2;
  const name = s.i32[w(T_NAME)]!;
  const names = s.i32[w(T_SLOTNAMES)]!;
  const keys = s.i32[w(T_CACHED_KEYS)]!;
  const dict = s.i32[w(T_DICT)]!;
  s.i32[w(T_NAME)] = 0;
  s.i32[w(T_SLOTNAMES)] = 0;
  s.i32[w(T_CACHED_KEYS)] = 0;
  s.i32[w(T_DICT)] = 0;
  const id = s.i32[w(T_CLASSID)]!;
  s.classHooks.delete(id);
  s.slotIndexCache.delete(id);
  s.xdecref(name);
  s.xdecref(names);
  s.xdecref(dict);
  if (keys !== 0) sharedKeysDecref(s, keys);
  s.freeGC(t);
}

/** cls.name (class attributes: the class dict), borrowed, or 0. */
export function typeGetAttr(s: ObjectSpace, t: number, key: number): number {
  const dict = s.i32[(t + T_DICT) >> 2]!;
  return dict === 0 ? 0 : dictGetItem(s, dict, key);
}

export function typeSetAttr(s: ObjectSpace, t: number, key: number, value: number): void {
  if (!isHeapType(s, t)) throw new PyTypeError(`cannot set attributes of built-in type '${s.nameOfType(t)}'`);
  let dict = s.i32[(t + T_DICT) >> 2]!;
  if (dict === 0) {
    dict = newDict(s);
    s.i32[(t + T_DICT) >> 2] = dict;
  }
  dictSetItem(s, dict, key, value);
}

export function typeDelAttr(s: ObjectSpace, t: number, key: number, name: string): void {
  const dict = s.i32[(t + T_DICT) >> 2]!;
  if (!isHeapType(s, t) || dict === 0 || !dictPop(s, dict, key)) {
    throw new AttributeError(`type object '${s.nameOfType(t)}' has no attribute '${name}'`);
  }
}

/** Is t a heap class that py.instance can instantiate? */
export function isInstantiable(s: ObjectSpace, t: number): boolean {
  return s.kindOf(t) === K_TYPE && s.i32[(t + T_KIND) >> 2] === K_INSTANCE;
}

export const GC_TYPE_BYTES = HEAP_TYPE_BYTES + GC_HEAD_BYTES;

/*
 * Kinds, type flags and the type object's layout.
 * ===============================================
 *
 * A type object is itself an object in the buffer (its own ob_type is the `type` type). The
 * builtin types are static, immortal and live in the RUNTIME STATE region (like CPython's static
 * PyTypeObjects); classes made with `py.newClass` are heap types allocated from the heap with
 * CPython 3.11's size (`sys.getsizeof(cls)` 920, plus the shared-keys table when instances have a
 * `__dict__`).
 *
 * The machine dispatches on a type's KIND (a small integer in the type object): the kind says
 * which C-level implementation the object uses (tuple, list, dict, instance, ...). Every heap
 * class has kind INSTANCE; its flags say whether instances have a `__dict__` or `__slots__`.
 * Native kinds (NATIVE_BASE + i) are objects whose payload another part of the runtime defines
 * (threading.Lock, queue.Queue): see native.ts.
 *
 * Type object fields (byte offsets from the type object; static types use the first
 * STATIC_TYPE_BYTES, heap types have HEAP_TYPE_BYTES like CPython's PyHeapTypeObject):
 */

import { OBJECT_HEAD_BYTES } from './header.ts';

export const K_OBJECT = 1;
export const K_NONE = 2;
export const K_BOOL = 3;
export const K_INT = 4;
export const K_FLOAT = 5;
export const K_STR = 6;
export const K_BYTES = 7;
export const K_TUPLE = 8;
export const K_LIST = 9;
export const K_DICT = 10;
export const K_SET = 11;
/** instances of `type`: classes (static or heap) */
export const K_TYPE = 12;
/** instances of a heap class */
export const K_INSTANCE = 13;
export const K_WEAKREF = 14;
/** the number of builtin kinds + 1 (kind 0 is never used: a zeroed type means a dead object) */
export const N_BUILTIN_KINDS = 15;
/** native kinds: NATIVE_BASE .. NATIVE_BASE + MAX_NATIVE_TYPES - 1 */
export const NATIVE_BASE = 32;
export const MAX_NATIVE_TYPES = 16;
export const N_KINDS = NATIVE_BASE + MAX_NATIVE_TYPES;

/** `type(o).__name__` of the builtin kinds. */
export const BUILTIN_NAMES: readonly string[] = [
  '', 'object', 'NoneType', 'bool', 'int', 'float', 'str', 'bytes', 'tuple', 'list', 'dict', 'set', 'type',
  '', 'weakref',
];

/* ---- tp_flags (CPython's bit numbers where CPython has the flag) ---- */
export const TPFLAGS_HEAPTYPE = 1 << 9;
export const TPFLAGS_HAVE_GC = 1 << 14;
/** instances carry a `__dict__` (3.11's Py_TPFLAGS_MANAGED_DICT) */
export const TPFLAGS_MANAGED_DICT = 1 << 4;
/** instances can be weakly referenced (tp_weaklistoffset != 0) */
export const TPFLAGS_WEAKREFABLE = 1 << 5;
/** PEP 442 finalizer (`__del__` as tp_finalize) */
export const TPFLAGS_HAS_FINALIZE = 1 << 6;
/** legacy tp_del: a garbage cycle holding one is uncollectable */
export const TPFLAGS_LEGACY_DEL = 1 << 7;

/* ---- type object fields ---- */
export const T_KIND = OBJECT_HEAD_BYTES + 0;
export const T_FLAGS = OBJECT_HEAD_BYTES + 4;
/** tp_basicsize: the object's size without the GC header (what __sizeof__ counts) */
export const T_BASICSIZE = OBJECT_HEAD_BYTES + 8;
export const T_ITEMSIZE = OBJECT_HEAD_BYTES + 12;
/** heap types: the name, a str object (owned) */
export const T_NAME = OBJECT_HEAD_BYTES + 16;
/** heap types with __slots__: the number of slots */
export const T_NSLOTS = OBJECT_HEAD_BYTES + 20;
/** heap types with __slots__: a tuple of the slot names (owned) */
export const T_SLOTNAMES = OBJECT_HEAD_BYTES + 24;
/** heap types with __dict__: ht_cached_keys, the shared keys of the instances' dicts (owned) */
export const T_CACHED_KEYS = OBJECT_HEAD_BYTES + 28;
/** tp_dict: the class attributes, a dict (owned), or 0 */
export const T_DICT = OBJECT_HEAD_BYTES + 32;
/** the class's own weakref list head */
export const T_WEAKLIST = OBJECT_HEAD_BYTES + 36;
/** index in each thread's JS hook table (the class's `del` function), 0 = none */
export const T_CLASSID = OBJECT_HEAD_BYTES + 40;
/** offset inside an instance of its weakref list head, 0 = not weakrefable */
export const T_WEAKLISTOFFSET = OBJECT_HEAD_BYTES + 44;
/** heap types: ident (objects/brc.ts) of the thread whose hook table holds the class's `del`
 *  (a dying instance's `del` is routed there when the dying thread does not know it) */
export const T_HOOK_OWNER = OBJECT_HEAD_BYTES + 48;
/** the static types' size in the RUNTIME STATE region */
export const STATIC_TYPE_BYTES = 128;
/** CPython 3.11's sizeof(PyHeapTypeObject) on 64-bit: type.__sizeof__(cls) == 904 */
export const HEAP_TYPE_BYTES = 904;

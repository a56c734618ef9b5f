/*
 * Writing the statics (creator only) and finding them again (every thread).
 *
 * `initObjectSpace` runs once, in Runtime.create, before any thread exists: it writes the builtin
 * type objects, None, True, False, the empty tuple/str/bytes, Py_EMPTY_KEYS and the small ints
 * into the RUNTIME STATE region (statics.ts has the map), empties the GC lists, and makes the
 * interned-strings dict. `checkObjectSpace` is what Runtime.attach runs in a worker.
 */

import { initThreadRecords, threadRecordsAt } from './brc.ts';
import { GilsimError } from '../errors.ts';
import { writeEmptyBytes } from './bytes.ts';
import { newDict, writeEmptyKeys } from './dict.ts';
import { IMMORTAL_REFCNT, OBJECT_HEAD_BYTES, PTR, VAR_HEAD_BYTES } from './header.ts';
import { writeStaticInt } from './int.ts';
import {
  K_BOOL,
  K_BYTES,
  K_DICT,
  K_FLOAT,
  K_INT,
  K_LIST,
  K_NONE,
  K_OBJECT,
  K_SET,
  K_STR,
  K_TUPLE,
  K_TYPE,
  K_WEAKREF,
  T_BASICSIZE,
  T_FLAGS,
  T_ITEMSIZE,
  T_KIND,
  T_WEAKLISTOFFSET,
  TPFLAGS_HAVE_GC,
  TPFLAGS_WEAKREFABLE,
  HEAP_TYPE_BYTES,
} from './kinds.ts';
import { LIST_BYTES } from './list.ts';
import { SET_BYTES, SO_WEAKREFLIST } from './set.ts';
import type { ObjectSpace } from './space.ts';
import {
  OBJS_MAGIC,
  OBJS_VERSION,
  RS_INTERNED,
  RS_MAGIC,
  RS_NEXT_CLASSID,
  RS_NEXT_WEAKCB,
  RS_NNATIVE,
  RS_VERSION,
  SMALL_INT_MAX,
  SMALL_INT_MIN,
} from './statics.ts';
import { ASCII_HEAD, writeEmptyStr } from './str.ts';
import { writeEmptyTuple } from './tuple.ts';
import { DICT_BYTES } from './dict.ts';
import { WEAKREF_BYTES } from './weakref.ts';
import { FLOAT_BYTES } from './float.ts';

interface BuiltinType {
  kind: number;
  basicsize: number;
  itemsize: number;
  gc: boolean;
  weaklistoffset?: number;
}

/** tp_basicsize / tp_itemsize of the builtin types (CPython 3.11, 64-bit). */
const BUILTINS: readonly BuiltinType[] = [
  { kind: K_OBJECT, basicsize: OBJECT_HEAD_BYTES, itemsize: 0, gc: false },
  { kind: K_NONE, basicsize: OBJECT_HEAD_BYTES, itemsize: 0, gc: false },
  { kind: K_BOOL, basicsize: VAR_HEAD_BYTES, itemsize: 4, gc: false },
  { kind: K_INT, basicsize: VAR_HEAD_BYTES, itemsize: 4, gc: false },
  { kind: K_FLOAT, basicsize: FLOAT_BYTES, itemsize: 0, gc: false },
  { kind: K_STR, basicsize: ASCII_HEAD, itemsize: 0, gc: false },
  { kind: K_BYTES, basicsize: VAR_HEAD_BYTES + PTR, itemsize: 1, gc: false },
  { kind: K_TUPLE, basicsize: VAR_HEAD_BYTES, itemsize: PTR, gc: true },
  { kind: K_LIST, basicsize: LIST_BYTES, itemsize: 0, gc: true },
  { kind: K_DICT, basicsize: DICT_BYTES, itemsize: 0, gc: true },
  { kind: K_SET, basicsize: SET_BYTES, itemsize: 0, gc: true, weaklistoffset: SO_WEAKREFLIST },
  { kind: K_TYPE, basicsize: HEAP_TYPE_BYTES, itemsize: 0, gc: true },
  { kind: K_WEAKREF, basicsize: WEAKREF_BYTES, itemsize: 0, gc: true },
];

export function initObjectSpace(s: ObjectSpace): void {
  const rs = s.layout.runtimeOff;
  const i32 = s.i32;
  s.u8.fill(0, s.st.none, s.st.end);
  // the type objects first: every other static points at one
  for (const b of BUILTINS) {
    const t = s.staticType(b.kind);
    s.initStatic(t, s.typeType);
    i32[(t + T_KIND) >> 2] = b.kind;
    i32[(t + T_FLAGS) >> 2] = (b.gc ? TPFLAGS_HAVE_GC : 0) | (b.weaklistoffset ? TPFLAGS_WEAKREFABLE : 0);
    i32[(t + T_BASICSIZE) >> 2] = b.basicsize;
    i32[(t + T_ITEMSIZE) >> 2] = b.itemsize;
    i32[(t + T_WEAKLISTOFFSET) >> 2] = b.weaklistoffset ?? 0;
  }
  s.initStatic(s.None, s.staticType(K_NONE));
  writeStaticInt(s, s.False, s.staticType(K_BOOL), 0);
  writeStaticInt(s, s.True, s.staticType(K_BOOL), 1);
  writeEmptyTuple(s, s.st.emptyTuple);
  writeEmptyStr(s, s.st.emptyStr);
  writeEmptyBytes(s, s.st.emptyBytes);
  writeEmptyKeys(s, s.st.emptyKeys);
  for (let v = SMALL_INT_MIN; v <= SMALL_INT_MAX; v++) {
    writeStaticInt(s, s.st.smallInts + (v - SMALL_INT_MIN) * 32, s.staticType(K_INT), v);
  }
  s.gcl.init(s.config.gcThresholds);
  i32[(rs + RS_NEXT_CLASSID) >> 2] = 1;
  i32[(rs + RS_NEXT_WEAKCB) >> 2] = 1;
  i32[(rs + RS_NNATIVE) >> 2] = 0;
  const interned = newDict(s);
  s.rc.setCount(interned, IMMORTAL_REFCNT);
  s.gcl.countFree(); // a runtime structure, not a Python allocation the collector should count
  i32[(rs + RS_INTERNED) >> 2] = interned;
  initThreadRecords(s);
  s.records = threadRecordsAt(s);
  s.gcl.useRings(s.records, s.layout.maxThreads, true);
  i32[(rs + RS_VERSION) >> 2] = OBJS_VERSION;
  Atomics.store(i32, (rs + RS_MAGIC) >> 2, OBJS_MAGIC);
}

/** Runtime.attach: the statics must have been written by the creator. */
export function checkObjectSpace(s: ObjectSpace): void {
  const rs = s.layout.runtimeOff;
  if (Atomics.load(s.i32, (rs + RS_MAGIC) >> 2) !== OBJS_MAGIC) {
    throw new GilsimError('no object space in this buffer (Runtime.create did not initialise it)');
  }
  if (s.i32[(rs + RS_VERSION) >> 2] !== OBJS_VERSION) {
    throw new GilsimError(`object space version ${s.i32[(rs + RS_VERSION) >> 2]}, this code expects ${OBJS_VERSION}`);
  }
  s.records = threadRecordsAt(s);
  s.gcl.useRings(s.records, s.layout.maxThreads, false);
}


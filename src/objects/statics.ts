/*
 * The RUNTIME STATE region: the object space's words and its static, immortal objects.
 * ====================================================================================
 *
 * CPython keeps None, True, False, the small ints, the empty tuple/str/bytes and the builtin type
 * objects in static memory, never freed. So do we: they live in the RUNTIME STATE region
 * (layout.runtimeOff, RUNTIME_STATE_BYTES), at offsets computed here from constants only, so the
 * creator and every worker find them at the same places without any table to read.
 *
 *   runtimeOff + 0     line 0: object space words (RS_* below)
 *                        +0  RS_MAGIC        'OBJS' once the statics are written
 *                        +4  RS_VERSION      bumped when this map changes
 *                        +8  RS_INTERNED     the interned-strings dict (a heap object, immortal)
 *                        +12 RS_NEXT_CLASSID next heap class id (hooks tables are per thread)
 *                        +16 RS_NNATIVE      native types defined so far
 *                        +20 RS_NEXT_WEAKCB  next weakref callback id
 *                        +24 RS_THREAD_RECORDS  the thread records block (brc.ts): who runs in
 *                                            each slot, its refcount queue and pending calls
 *   runtimeOff + 64    lines 1..3: reserved for src/runtime's run state (abort flag, error
 *                        record); the object space never writes there
 *   runtimeOff + 256   static objects, each 16-byte aligned, in this order:
 *                        None (16 B), False, True (ints, 32 B each), the empty tuple (GC header
 *                        + 24 B), '' (49 B), b'' (33 B), the empty dict keys (Py_EMPTY_KEYS),
 *                        the small ints -5..256 (32 B each), then one STATIC_TYPE_BYTES type
 *                        object per kind (kind k at types + k * STATIC_TYPE_BYTES; the INSTANCE
 *                        slot is unused, native kinds fill theirs when defined).
 *
 * Static objects carry IMMORTAL_REFCNT; the empty tuple's GC header says "untracked".
 */

import { GC_HEAD_BYTES, VAR_HEAD_BYTES } from './header.ts';
import { N_KINDS, STATIC_TYPE_BYTES } from './kinds.ts';

export const RS_MAGIC = 0;
export const RS_VERSION = 4;
export const RS_INTERNED = 8;
export const RS_NEXT_CLASSID = 12;
export const RS_NNATIVE = 16;
export const RS_NEXT_WEAKCB = 20;
export const RS_THREAD_RECORDS = 24;
/** bytes 64..255 of the region belong to src/runtime (run state) */
export const RS_RUN_STATE = 64;
export const RS_RUN_STATE_BYTES = 192;
export const RS_STATICS = 256;

export const OBJS_MAGIC = 0x4f424a53; // 'OBJS'
export const OBJS_VERSION = 2;

export const SMALL_INT_MIN = -5;
export const SMALL_INT_MAX = 256;
/** each small int takes one 32-byte slot (28 bytes rounded to 16) */
export const SMALL_INT_BYTES = 32;

/** bytes of an int with one digit (getsizeof(1) == 28) */
export const INT1_BYTES = 28;
/** an ASCII str's fixed part, NUL included: getsizeof('') == 49 */
export const ASCII_STR_BASE = 49;
/** bytes' fixed part, NUL included: getsizeof(b'') == 33 */
export const BYTES_BASE = 33;
/** Py_EMPTY_KEYS: the 32-byte keys header plus one index byte */
export const EMPTY_KEYS_BYTES = 33;

const align16 = (n: number): number => (n + 15) & ~15;

export interface Statics {
  readonly none: number;
  readonly false_: number;
  readonly true_: number;
  readonly emptyTuple: number;
  readonly emptyStr: number;
  readonly emptyBytes: number;
  readonly emptyKeys: number;
  /** the object for SMALL_INT_MIN */
  readonly smallInts: number;
  /** kind k's static type object is at types + k * STATIC_TYPE_BYTES */
  readonly types: number;
  /** first byte after the statics */
  readonly end: number;
}

export function staticsAt(runtimeOff: number): Statics {
  let p = runtimeOff + RS_STATICS;
  const take = (bytes: number): number => {
    const at = p;
    p += align16(bytes);
    return at;
  };
  const none = take(16);
  const false_ = take(INT1_BYTES);
  const true_ = take(INT1_BYTES);
  const emptyTuple = take(GC_HEAD_BYTES + VAR_HEAD_BYTES) + GC_HEAD_BYTES;
  const emptyStr = take(ASCII_STR_BASE);
  const emptyBytes = take(BYTES_BASE);
  const emptyKeys = take(EMPTY_KEYS_BYTES);
  const smallInts = take((SMALL_INT_MAX - SMALL_INT_MIN + 1) * SMALL_INT_BYTES);
  const types = take(N_KINDS * STATIC_TYPE_BYTES);
  return Object.freeze({ none, false_, true_, emptyTuple, emptyStr, emptyBytes, emptyKeys, smallInts, types, end: p });
}

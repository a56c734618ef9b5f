/*
 * hash() and == for dict and set keys.
 * ====================================
 *
 * Numbers hash by value so that 1, 1.0 and True are the same key, as in Python. CPython reduces
 * modulo the Mersenne prime 2**61 - 1; our hashes are 32-bit words, so we reduce modulo
 * HASH_MODULUS = 2**31 - 1 with the same rule (sign of the value, magnitude mod P, -1 -> -2).
 * Non-integral floats hash their bits (they equal no int). str and bytes cache FNV-1a hashes;
 * tuples combine their items (CPython's xxHash-style tuplehash, 32-bit lanes); everything else
 * hashable hashes by identity. list, dict and set are unhashable (TypeError).
 */

import { PyTypeError } from '../errors.ts';
import { bytesEq, bytesHash } from './bytes.ts';
import { floatValue } from './float.ts';
import { intValue } from './int.ts';
import {
  K_BOOL,
  K_BYTES,
  K_DICT,
  K_FLOAT,
  K_INT,
  K_LIST,
  K_SET,
  K_STR,
  K_TUPLE,
} from './kinds.ts';
import type { ObjectSpace } from './space.ts';
import { strEq, strHash } from './str.ts';
import { tupleItem, tupleLength } from './tuple.ts';

export const HASH_MODULUS = 2 ** 31 - 1;
const BIG_MODULUS = BigInt(HASH_MODULUS);
const INF_HASH = 314159;
const XXPRIME_1 = 0x9e3779b1 | 0;
const XXPRIME_2 = 0x85ebca77 | 0;
const XXPRIME_5 = 0x165667b1 | 0;
const f64buf = new Float64Array(1);
const i32buf = new Int32Array(f64buf.buffer);

function fixMinusOne(h: number): number {
  return h === -1 ? -2 : h;
}

export function hashNumber(v: number | bigint): number {
  if (typeof v === 'bigint') {
    const mag = v < 0n ? -v : v;
    const r = Number(mag % BIG_MODULUS);
    return fixMinusOne(v < 0n ? -r : r);
  }
  if (Number.isInteger(v)) {
    if (Math.abs(v) <= Number.MAX_SAFE_INTEGER) {
      const r = Math.abs(v) % HASH_MODULUS;
      return fixMinusOne(v < 0 ? -r : r);
    }
    return hashNumber(BigInt(v));
  }
  if (v === Infinity) return INF_HASH;
  if (v === -Infinity) return -INF_HASH;
  f64buf[0] = v;
  return fixMinusOne((i32buf[0]! ^ Math.imul(i32buf[1]!, XXPRIME_2)) | 0);
}

/** identity hash, as CPython's _Py_HashPointer (address rotated by 4 bits) */
export function hashPointer(o: number): number {
  return fixMinusOne(((o >>> 4) | (o << 28)) | 0);
}

/** hash(o); TypeError for unhashable objects. */
export function hashOf(s: ObjectSpace, o: number): number {
  switch (s.kindOf(o)) {
    case K_STR:
      return strHash(s, o);
    case K_INT:
    case K_BOOL:
      return hashNumber(intValue(s, o));
    case K_FLOAT:
      return hashNumber(floatValue(s, o));
    case K_BYTES:
      return bytesHash(s, o);
    case K_TUPLE:
      return tupleHash(s, o);
    case K_LIST:
    case K_DICT:
    case K_SET:
      throw new PyTypeError(`unhashable type: '${s.typeName(o)}'`);
    default:
      return hashPointer(o);
  }
}

function tupleHash(s: ObjectSpace, o: number): number {
  const n = tupleLength(s, o);
  let acc = XXPRIME_5;
  for (let i = 0; i < n; i++) {
    const lane = hashOf(s, tupleItem(s, o, i));
    acc = (acc + Math.imul(lane, XXPRIME_2)) | 0;
    acc = (acc << 13) | (acc >>> 19);
    acc = Math.imul(acc, XXPRIME_1);
  }
  acc = (acc + (n ^ (XXPRIME_5 ^ 3527539))) | 0;
  return fixMinusOne(acc);
}

function isNumberKind(k: number): boolean {
  return k === K_INT || k === K_BOOL || k === K_FLOAT;
}

export function numberValue(s: ObjectSpace, o: number, kind: number): number | bigint {
  return kind === K_FLOAT ? floatValue(s, o) : intValue(s, o);
}

/** Numeric equality across int, bool and float (exact for big ints). */
export function numbersEqual(a: number | bigint, b: number | bigint): boolean {
  if (typeof a === typeof b) return a === b;
  const big = (typeof a === 'bigint' ? a : b) as bigint;
  const num = (typeof a === 'bigint' ? b : a) as number;
  if (!Number.isInteger(num)) return false;
  return BigInt(num) === big;
}

/** a == b for keys and containers (identity, numbers by value, str/bytes by content, sequences item-wise). */
export function objectsEqual(s: ObjectSpace, a: number, b: number): boolean {
  if (a === b) return true;
  const ka = s.kindOf(a);
  const kb = s.kindOf(b);
  if (isNumberKind(ka) && isNumberKind(kb)) return numbersEqual(numberValue(s, a, ka), numberValue(s, b, kb));
  if (ka !== kb) return false;
  switch (ka) {
    case K_STR:
      return strEq(s, a, b);
    case K_BYTES:
      return bytesEq(s, a, b);
    case K_TUPLE: {
      const n = tupleLength(s, a);
      if (n !== tupleLength(s, b)) return false;
      for (let i = 0; i < n; i++) if (!objectsEqual(s, tupleItem(s, a, i), tupleItem(s, b, i))) return false;
      return true;
    }
    default:
      return false;
  }
}

/*
 * int: CPython's arbitrary-precision integers, 30-bit digits.
 * ===========================================================
 *
 *     +0   header (16 B)
 *     +16  ob_size   sign * number of digits (0 for zero), low word of the 8-byte field
 *     +24  ob_digit  the digits, least significant first, 30 bits each in a u32
 *
 * __sizeof__ is 24 + 4 * max(ndigits, 1): 0 and 1 are 28, 2**30 is 32, 2**62 is 36, as
 * CPython 3.11. The small ints -5..256 are static and immortal (statics.ts); every other int
 * is allocated. Values come back to JS as a number when they are safe integers, else a bigint.
 */

import { IndexError, OverflowError, PyTypeError, ValueError } from '../errors.ts';
import { VAR_HEAD_BYTES, W_SIZE } from './header.ts';
import { K_BOOL, K_INT } from './kinds.ts';
import type { ObjectSpace } from './space.ts';
import { SMALL_INT_BYTES, SMALL_INT_MAX, SMALL_INT_MIN } from './statics.ts';

export const PyLong_SHIFT = 30;
export const PyLong_BASE = 2 ** PyLong_SHIFT;
export const PyLong_MASK = PyLong_BASE - 1;
/** bytes per digit */
export const DIGIT_BYTES = 4;
const BIG_SHIFT = BigInt(PyLong_SHIFT);
const BIG_MASK = BigInt(PyLong_MASK);

/** The size in bytes of an int with n digits. */
export function intBytes(ndigits: number): number {
  return VAR_HEAD_BYTES + DIGIT_BYTES * Math.max(ndigits, 1);
}

export function intSizeof(s: ObjectSpace, o: number): number {
  return intBytes(Math.abs(s.i32[(o >> 2) + W_SIZE]!));
}

/** Write the digits of |v| (a safe integer) at o; returns the digit count. */
function writeNumberDigits(s: ObjectSpace, o: number, mag: number): number {
  let n = 0;
  const base = (o + VAR_HEAD_BYTES) >> 2;
  while (mag > 0) {
    s.u32[base + n] = mag % PyLong_BASE;
    mag = Math.floor(mag / PyLong_BASE);
    n++;
  }
  return n;
}

function digitsOfNumber(mag: number): number {
  let n = 0;
  while (mag > 0) {
    mag = Math.floor(mag / PyLong_BASE);
    n++;
  }
  return n;
}

/** The static small int for v (caller checks the range). */
export function smallInt(s: ObjectSpace, v: number): number {
  return s.st.smallInts + (v - SMALL_INT_MIN) * SMALL_INT_BYTES;
}

/** Write a small int or bool's body (used for the statics). */
export function writeStaticInt(s: ObjectSpace, o: number, type: number, v: number): void {
  s.initStatic(o, type);
  const n = writeNumberDigits(s, o, Math.abs(v));
  s.i32[(o >> 2) + W_SIZE] = v < 0 ? -n : n;
  if (n === 0) s.u32[(o + VAR_HEAD_BYTES) >> 2] = 0;
}

/** A new reference to the int v (a number must be an integer; see toIntegerValue). */
export function newInt(s: ObjectSpace, v: number): number {
  if (v >= SMALL_INT_MIN && v <= SMALL_INT_MAX) return smallInt(s, v);
  if (v > -PyLong_BASE && v < PyLong_BASE) {
    const o = s.allocObject(intBytes(1), s.staticType(K_INT));
    const w = o >> 2;
    s.i32[w + W_SIZE] = v < 0 ? -1 : 1;
    s.u32[w + W_SIZE + 2] = v < 0 ? -v : v;
    return o;
  }
  if (!Number.isSafeInteger(v)) return newBigInt(s, BigInt(v));
  const mag = Math.abs(v);
  const o = s.allocObject(intBytes(digitsOfNumber(mag)), s.staticType(K_INT));
  const n = writeNumberDigits(s, o, mag);
  s.i32[(o >> 2) + W_SIZE] = v < 0 ? -n : n;
  return o;
}

export function newBigInt(s: ObjectSpace, v: bigint): number {
  if (v >= BigInt(-Number.MAX_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) return newInt(s, Number(v));
  let mag = v < 0n ? -v : v;
  let n = 0;
  for (let m = mag; m > 0n; m >>= BIG_SHIFT) n++;
  const o = s.allocObject(intBytes(n), s.staticType(K_INT));
  const base = (o + VAR_HEAD_BYTES) >> 2;
  for (let i = 0; i < n; i++) {
    s.u32[base + i] = Number(mag & BIG_MASK);
    mag >>= BIG_SHIFT;
  }
  s.i32[(o >> 2) + W_SIZE] = v < 0n ? -n : n;
  return o;
}

/** The value of an int or bool: a number when it is a safe integer, else a bigint. */
export function intValue(s: ObjectSpace, o: number): number | bigint {
  const w = o >> 2;
  const size = s.i32[w + W_SIZE]!;
  if (size === 0) return 0;
  const d0 = s.u32[w + W_SIZE + 2]!;
  if (size === 1) return d0;
  if (size === -1) return -d0;
  const n = Math.abs(size);
  if (n === 2) {
    const d1 = s.u32[w + W_SIZE + 3]!;
    if (d1 < 2 ** 23) {
      const m = d0 + d1 * PyLong_BASE;
      return size < 0 ? -m : m;
    }
  }
  let m = 0n;
  for (let i = n - 1; i >= 0; i--) m = (m << BIG_SHIFT) | BigInt(s.u32[w + W_SIZE + 2 + i]!);
  return size < 0 ? -m : m;
}

/** Convert a JS number to an integer value the way int(x) does for a float. */
export function toIntegerValue(v: number): number {
  if (Number.isInteger(v)) return v;
  if (Number.isNaN(v)) throw new ValueError('cannot convert float NaN to integer');
  if (!Number.isFinite(v)) throw new OverflowError('cannot convert float infinity to integer');
  return Math.trunc(v);
}

export function isIntKind(kind: number): boolean {
  return kind === K_INT || kind === K_BOOL;
}

export function expectIndex(s: ObjectSpace, o: number): number {
  const kind = s.kindOf(o);
  if (!isIntKind(kind)) throw new PyTypeError(`indices must be integers, not ${s.typeName(o)}`);
  const v = intValue(s, o);
  if (typeof v === 'bigint') throw new IndexError(`cannot fit 'int' into an index-sized integer`);
  return v;
}

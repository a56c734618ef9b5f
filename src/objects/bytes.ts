/*
 * bytes: an immutable byte string stored inline. getsizeof(b'') == 33, + 1 per byte.
 *
 *     +0   header (16 B)
 *     +16  ob_size   length
 *     +24  ob_shash  -1 until computed
 *     +32  ob_sval   the bytes, then a NUL
 */

import { OBJECT_HEAD_BYTES, W_SIZE } from './header.ts';
import { K_BYTES } from './kinds.ts';
import type { ObjectSpace } from './space.ts';
import { BYTES_BASE } from './statics.ts';

export const B_SHASH = OBJECT_HEAD_BYTES + 8;
export const B_SVAL = OBJECT_HEAD_BYTES + 16;
const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;

export function bytesLength(s: ObjectSpace, o: number): number {
  return s.i32[(o >> 2) + W_SIZE]!;
}

export function bytesSizeof(s: ObjectSpace, o: number): number {
  return BYTES_BASE + bytesLength(s, o);
}

function writeHead(s: ObjectSpace, o: number, n: number): void {
  const w = o >> 2;
  s.i32[w + W_SIZE] = n;
  s.i32[w + W_SIZE + 1] = 0;
  s.i32[(o + B_SHASH) >> 2] = -1;
  s.i32[((o + B_SHASH) >> 2) + 1] = 0;
  s.u8[o + B_SVAL + n] = 0;
}

export function newBytes(s: ObjectSpace, data: Uint8Array): number {
  if (data.length === 0) return s.st.emptyBytes;
  const o = s.allocObject(BYTES_BASE + data.length, s.staticType(K_BYTES));
  writeHead(s, o, data.length);
  s.u8.set(data, o + B_SVAL);
  return o;
}

export function writeEmptyBytes(s: ObjectSpace, o: number): void {
  s.initStatic(o, s.staticType(K_BYTES));
  writeHead(s, o, 0);
}

export function bytesValue(s: ObjectSpace, o: number): Uint8Array {
  const n = bytesLength(s, o);
  return s.u8.slice(o + B_SVAL, o + B_SVAL + n);
}

export function bytesAt(s: ObjectSpace, o: number, i: number): number {
  return s.u8[o + B_SVAL + i]!;
}

export function bytesHash(s: ObjectSpace, o: number): number {
  const hw = (o + B_SHASH) >> 2;
  const cached = s.i32[hw]!;
  if (cached !== -1) return cached;
  const n = bytesLength(s, o);
  let h = FNV_OFFSET;
  for (let i = 0; i < n; i++) h = Math.imul(h ^ s.u8[o + B_SVAL + i]!, FNV_PRIME);
  if (h === -1) h = -2;
  s.i32[hw] = h;
  return h;
}

export function bytesEq(s: ObjectSpace, a: number, b: number): boolean {
  const n = bytesLength(s, a);
  if (n !== bytesLength(s, b)) return false;
  for (let i = 0; i < n; i++) if (s.u8[a + B_SVAL + i] !== s.u8[b + B_SVAL + i]) return false;
  return true;
}

export function bytesDealloc(s: ObjectSpace, o: number): void {
  s.freeObject(o);
}

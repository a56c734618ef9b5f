/*
 * str: CPython 3.11's compact unicode objects.
 * ============================================
 *
 * The characters are stored inline after the header, one, two or four bytes each (the smallest
 * kind that fits the largest code point, PEP 393), always NUL-terminated:
 *
 *     +0   header (16 B)
 *     +16  length     code points
 *     +24  hash       -1 until first computed
 *     +32  state      interned:2 kind:3 compact:1 ascii:1 ready:1 (CPython's bit order)
 *     +40  wstr       (unused, 0)
 *     +48  ASCII data ...                 __sizeof__ = 48 + n + 1     ('' 49, 'abc' 52)
 *     +48  utf8_length, +56 utf8, +64 wstr_length (unused, 0)
 *     +72  latin-1 / UCS-2 / UCS-4 data   __sizeof__ = 72 + (n + 1) * kind
 *
 * The hash is FNV-1a over the code points (CPython uses SipHash with a random key; any fixed
 * function keeps equal strings equal-hashed, which is all a dict needs). It never returns -1.
 */

import { OBJECT_HEAD_BYTES } from './header.ts';
import { K_STR } from './kinds.ts';
import type { ObjectSpace } from './space.ts';

export const S_LENGTH = OBJECT_HEAD_BYTES;
export const S_HASH = OBJECT_HEAD_BYTES + 8;
export const S_STATE = OBJECT_HEAD_BYTES + 16;
/** sizeof(PyASCIIObject): where ASCII data starts */
export const ASCII_HEAD = 48;
/** sizeof(PyCompactUnicodeObject): where other data starts */
export const COMPACT_HEAD = 72;

export const STATE_INTERNED_MASK = 3;
export const SSTATE_INTERNED_IMMORTAL = 2;
const STATE_KIND_SHIFT = 2;
const STATE_KIND_MASK = 7 << STATE_KIND_SHIFT;
const STATE_COMPACT = 1 << 5;
const STATE_ASCII = 1 << 6;
const STATE_READY = 1 << 7;

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;
const CHUNK = 4096;

export function strLength(s: ObjectSpace, o: number): number {
  return s.i32[(o + S_LENGTH) >> 2]!;
}

function strState(s: ObjectSpace, o: number): number {
  return s.i32[(o + S_STATE) >> 2]!;
}

/** 1, 2 or 4 bytes per code point */
export function strKind(s: ObjectSpace, o: number): number {
  return (strState(s, o) & STATE_KIND_MASK) >> STATE_KIND_SHIFT;
}

export function strIsAscii(s: ObjectSpace, o: number): boolean {
  return (strState(s, o) & STATE_ASCII) !== 0;
}

/** where the characters start */
export function strData(s: ObjectSpace, o: number): number {
  return o + ((strState(s, o) & STATE_ASCII) !== 0 ? ASCII_HEAD : COMPACT_HEAD);
}

export function strBytes(ascii: boolean, kind: number, n: number): number {
  return ascii ? ASCII_HEAD + n + 1 : COMPACT_HEAD + (n + 1) * kind;
}

export function strSizeof(s: ObjectSpace, o: number): number {
  return strBytes(strIsAscii(s, o), strKind(s, o), strLength(s, o));
}

/** Write a str's header fields (the caller wrote the object header). */
function writeStrHead(s: ObjectSpace, o: number, n: number, ascii: boolean, kind: number): void {
  const w = o >> 2;
  s.i32[w + (S_LENGTH >> 2)] = n;
  s.i32[w + (S_LENGTH >> 2) + 1] = 0;
  s.i32[w + (S_HASH >> 2)] = -1;
  s.i32[w + (S_STATE >> 2)] = (kind << STATE_KIND_SHIFT) | STATE_COMPACT | STATE_READY | (ascii ? STATE_ASCII : 0);
  for (let i = (S_STATE >> 2) + 1; i < (ascii ? ASCII_HEAD : COMPACT_HEAD) >> 2; i++) s.i32[w + i] = 0;
}

/** Lay out a JS string as a str at o (o has room: strBytes). */
function writeChars(s: ObjectSpace, o: number, js: string, kind: number, ascii: boolean): void {
  const data = o + (ascii ? ASCII_HEAD : COMPACT_HEAD);
  let k = 0;
  if (kind === 1) {
    const u8 = s.u8;
    for (let i = 0; i < js.length; i++) u8[data + i] = js.charCodeAt(i);
    u8[data + js.length] = 0;
    return;
  }
  if (kind === 2) {
    const u16 = s.u16;
    const b = data >> 1;
    for (let i = 0; i < js.length; i++) u16[b + i] = js.charCodeAt(i);
    u16[b + js.length] = 0;
    return;
  }
  const u32 = s.u32;
  const b = data >> 2;
  for (const ch of js) u32[b + k++] = ch.codePointAt(0)!;
  u32[b + k] = 0;
}

/** A new str for a JS string (the empty string is the static singleton). */
export function newStr(s: ObjectSpace, js: string): number {
  if (js.length === 0) return s.st.emptyStr;
  let max = 0;
  for (let i = 0; i < js.length; i++) {
    const c = js.charCodeAt(i);
    if (c > max) max = c;
  }
  let n = js.length;
  let kind = max < 0x100 ? 1 : 2;
  if (max >= 0xd800) {
    // surrogate pairs make one code point each (UCS-4) unless they are lone surrogates
    let cps = 0;
    let astral = false;
    for (const ch of js) {
      cps++;
      if (ch.length === 2) astral = true;
    }
    if (astral) {
      kind = 4;
      n = cps;
    }
  }
  const ascii = max < 0x80;
  const o = s.allocObject(strBytes(ascii, kind, n), s.staticType(K_STR));
  writeStrHead(s, o, n, ascii, kind);
  writeChars(s, o, js, kind, ascii);
  return o;
}

/** Initialise the static empty str. */
export function writeEmptyStr(s: ObjectSpace, o: number): void {
  s.initStatic(o, s.staticType(K_STR));
  writeStrHead(s, o, 0, true, 1);
  s.u8[o + ASCII_HEAD] = 0;
}

/** Code point i of str o. */
export function strCharAt(s: ObjectSpace, o: number, i: number): number {
  const data = strData(s, o);
  const kind = strKind(s, o);
  if (kind === 1) return s.u8[data + i]!;
  if (kind === 2) return s.u16[(data >> 1) + i]!;
  return s.u32[(data >> 2) + i]!;
}

/** The str as a JS string. */
export function strValue(s: ObjectSpace, o: number): string {
  const n = strLength(s, o);
  if (n === 0) return '';
  const data = strData(s, o);
  const kind = strKind(s, o);
  if (kind === 4) {
    let out = '';
    for (let i = 0; i < n; i++) out += String.fromCodePoint(s.u32[(data >> 2) + i]!);
    return out;
  }
  const view = kind === 1 ? s.u8 : s.u16;
  const start = kind === 1 ? data : data >> 1;
  let out = '';
  for (let i = 0; i < n; i += CHUNK) {
    const part = Array.from(view.subarray(start + i, start + Math.min(n, i + CHUNK)));
    out += String.fromCharCode(...part);
  }
  return out;
}

/** hash(str), cached in the object. */
export function strHash(s: ObjectSpace, o: number): number {
  const hw = (o + S_HASH) >> 2;
  const cached = s.i32[hw]!;
  if (cached !== -1) return cached;
  const n = strLength(s, o);
  const data = strData(s, o);
  const kind = strKind(s, o);
  let h = FNV_OFFSET;
  if (kind === 1) {
    const u8 = s.u8;
    for (let i = 0; i < n; i++) h = Math.imul(h ^ u8[data + i]!, FNV_PRIME);
  } else {
    for (let i = 0; i < n; i++) h = Math.imul(h ^ strCharAt(s, o, i), FNV_PRIME);
  }
  if (h === -1) h = -2;
  s.i32[hw] = h;
  return h;
}

/** Same characters? (Equal strs always have the same kind.) */
export function strEq(s: ObjectSpace, a: number, b: number): boolean {
  if (a === b) return true;
  const n = strLength(s, a);
  if (n !== strLength(s, b)) return false;
  const kind = strKind(s, a);
  if (kind !== strKind(s, b)) return false;
  const ha = s.i32[(a + S_HASH) >> 2]!;
  const hb = s.i32[(b + S_HASH) >> 2]!;
  if (ha !== -1 && hb !== -1 && ha !== hb) return false;
  const da = strData(s, a);
  const db = strData(s, b);
  const u8 = s.u8;
  for (let i = 0, bytes = n * kind; i < bytes; i++) if (u8[da + i] !== u8[db + i]) return false;
  return true;
}

/** Compare two strs code point by code point: negative, zero or positive. */
export function strCompare(s: ObjectSpace, a: number, b: number): number {
  const na = strLength(s, a);
  const nb = strLength(s, b);
  const n = Math.min(na, nb);
  for (let i = 0; i < n; i++) {
    const d = strCharAt(s, a, i) - strCharAt(s, b, i);
    if (d !== 0) return d;
  }
  return na - nb;
}

/** Does str o hold exactly the JS string js? (No allocation.) */
export function strEqualsJS(s: ObjectSpace, o: number, js: string): boolean {
  const n = strLength(s, o);
  if (strKind(s, o) === 4) return strValue(s, o) === js;
  if (n !== js.length) return false;
  for (let i = 0; i < n; i++) if (strCharAt(s, o, i) !== js.charCodeAt(i)) return false;
  return true;
}

export function strIsInterned(s: ObjectSpace, o: number): boolean {
  return (strState(s, o) & STATE_INTERNED_MASK) !== 0;
}

export function strMarkInterned(s: ObjectSpace, o: number): void {
  const w = (o + S_STATE) >> 2;
  s.i32[w] = (s.i32[w]! & ~STATE_INTERNED_MASK) | SSTATE_INTERNED_IMMORTAL;
}

/*
 * Native objects: heap objects whose payload another part of the runtime defines.
 * ==============================================================================
 *
 * threading.Lock, Event, Condition and queue.Queue are objects in the heap like any other (they
 * have a count, a type and a size the allocator sees), but their insides are the threading
 * layer's business. A native type is declared once per JS thread with `defineNativeType(spec)`
 * (module-level, so every thread that imports the module declares it) and instantiated with
 * `space.allocNative(type)`:
 *
 *     [gc header if spec.gc] | header (16 B) | payload (spec.payloadBytes, zeroed)
 *
 * The payload starts at o + NATIVE_PAYLOAD, 8-byte aligned. Handles stored in the payload are
 * the native type's own references: its `traverse` must visit them, its `clear` drop them
 * (tp_clear), its `dealloc` release whatever it holds before the memory is freed (the space
 * untracks and frees; it never looks inside the payload).
 *
 * The type object itself is static (RUNTIME STATE region), one STATIC_TYPE_BYTES slot per native
 * kind, its name stored as ASCII bytes at NATIVE_NAME so that every thread resolves a kind to
 * the same spec by name.
 */

import { ConfigError } from '../errors.ts';
import { OBJECT_HEAD_BYTES } from './header.ts';
import {
  MAX_NATIVE_TYPES,
  NATIVE_BASE,
  STATIC_TYPE_BYTES,
  T_BASICSIZE,
  T_FLAGS,
  T_KIND,
  TPFLAGS_HAVE_GC,
} from './kinds.ts';
import type { ObjectSpace, Visit } from './space.ts';
import { RS_NNATIVE } from './statics.ts';

export const NATIVE_PAYLOAD = OBJECT_HEAD_BYTES;
/** where a native type object keeps its name (ASCII, NUL-terminated) */
export const NATIVE_NAME = 64;
export const NATIVE_NAME_MAX = STATIC_TYPE_BYTES - NATIVE_NAME - 1;

export interface NativeTypeSpec {
  /** unique type name, e.g. 'lock' (type(o).__name__), ASCII, at most 63 characters */
  readonly name: string;
  /** bytes after the header */
  readonly payloadBytes: number;
  /** a container: gets a GC header and is tracked (its payload holds object handles) */
  readonly gc: boolean;
  traverse?<A>(s: ObjectSpace, o: number, visit: Visit<A>, arg: A): void;
  clear?(s: ObjectSpace, o: number): void;
  dealloc?(s: ObjectSpace, o: number): void;
  toJS?(s: ObjectSpace, o: number): unknown;
}

/** This thread's specs by name. */
const specs = new Map<string, NativeTypeSpec>();

/** Declare a native type on this JS thread (idempotent for the same spec object). */
export function defineNativeType(spec: NativeTypeSpec): NativeTypeSpec {
  if (!/^[\x20-\x7e]+$/.test(spec.name) || spec.name.length > NATIVE_NAME_MAX) {
    throw new ConfigError(`native type name must be 1..${NATIVE_NAME_MAX} printable ASCII characters: '${spec.name}'`);
  }
  if (!Number.isInteger(spec.payloadBytes) || spec.payloadBytes < 0) {
    throw new ConfigError(`payloadBytes must be a whole number of bytes, got ${spec.payloadBytes}`);
  }
  specs.set(spec.name, spec);
  return spec;
}

function readName(s: ObjectSpace, t: number): string {
  let out = '';
  for (let i = t + NATIVE_NAME; s.u8[i] !== 0; i++) out += String.fromCharCode(s.u8[i]!);
  return out;
}

export function nativeTypeName(s: ObjectSpace, t: number): string {
  return readName(s, t);
}

/**
 * The static type object for a declared native type, made on first use (the first thread to
 * ask writes it; the others find it by name). Must run with the GIL held (or before threads).
 */
export function nativeType(s: ObjectSpace, spec: NativeTypeSpec): number {
  const nw = (s.layout.runtimeOff + RS_NNATIVE) >> 2;
  const n = Atomics.load(s.i32, nw);
  for (let i = 0; i < n; i++) {
    const t = s.staticType(NATIVE_BASE + i);
    if (readName(s, t) === spec.name) return t;
  }
  if (n >= MAX_NATIVE_TYPES) throw new ConfigError(`at most ${MAX_NATIVE_TYPES} native types`);
  const t = s.staticType(NATIVE_BASE + n);
  s.initStatic(t, s.typeType);
  s.u8.fill(0, t + OBJECT_HEAD_BYTES, t + STATIC_TYPE_BYTES);
  s.i32[(t + T_KIND) >> 2] = NATIVE_BASE + n;
  s.i32[(t + T_FLAGS) >> 2] = spec.gc ? TPFLAGS_HAVE_GC : 0;
  s.i32[(t + T_BASICSIZE) >> 2] = NATIVE_PAYLOAD + spec.payloadBytes;
  for (let i = 0; i < spec.name.length; i++) s.u8[t + NATIVE_NAME + i] = spec.name.charCodeAt(i);
  Atomics.store(s.i32, nw, n + 1);
  return t;
}

/** A new native object of type t (payload zeroed, tracked when a container): a new reference. */
export function allocNative(s: ObjectSpace, t: number): number {
  const size = s.basicsize(t);
  const gc = (s.i32[(t + T_FLAGS) >> 2]! & TPFLAGS_HAVE_GC) !== 0;
  const o = gc ? s.allocGC(size, t) : s.allocObject(size, t);
  s.u8.fill(0, o + NATIVE_PAYLOAD, o + size);
  if (gc) s.gcl.track(o);
  return o;
}

/** This thread's spec for native object o. */
export function nativeSpec(s: ObjectSpace, o: number): NativeTypeSpec {
  const name = readName(s, s.typeOf(o));
  const spec = specs.get(name);
  if (spec === undefined) throw new ConfigError(`native type '${name}' is not declared on this thread`);
  return spec;
}

export function nativeTraverse<A>(s: ObjectSpace, o: number, visit: Visit<A>, arg: A): void {
  nativeSpec(s, o).traverse?.(s, o, visit, arg);
}

export function nativeClear(s: ObjectSpace, o: number): void {
  nativeSpec(s, o).clear?.(s, o);
}

export function nativeSizeof(s: ObjectSpace, o: number): number {
  return s.basicsize(s.typeOf(o));
}

export function nativeDealloc(s: ObjectSpace, o: number): void {
  const spec = nativeSpec(s, o);
  if (spec.gc) s.gcl.untrack(o);
  spec.dealloc?.(s, o);
  if (spec.gc) s.freeGC(o);
  else s.freeObject(o);
}

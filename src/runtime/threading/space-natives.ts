/*
 * Native objects over the object layer: Lock, RLock, Event, Condition and Queue as real Python
 * objects (src/objects/native.ts), with a type object, a reference count, `type(o).__name__`,
 * a size the allocator sees and, for the ones that hold references (Queue, Condition), a GC
 * header and traverse/clear so the collector can find cycles through them.
 *
 * The threading code's NativeType says what the state is; this file declares the matching native
 * type spec on the calling JS thread (each thread must, before it touches such objects) and maps
 * a handle to its state: the payload, right after the object header.
 */

import { PyTypeError } from '../../errors.ts';
import { NATIVE_PAYLOAD, allocNative, defineNativeType, nativeType, type NativeTypeSpec } from '../../objects/native.ts';
import type { ObjectSpace } from '../../objects/space.ts';
import type { PyObject } from '../types.ts';
import type { NativeObjects, NativeType } from './natives.ts';

export class SpaceNatives implements NativeObjects {
  private readonly space: ObjectSpace;
  private readonly specs = new Map<NativeType, NativeTypeSpec>();
  /** type object offset, per native type (found or made on first use) */
  private readonly typeObjects = new Map<NativeType, number>();

  constructor(space: ObjectSpace, types: readonly NativeType[]) {
    this.space = space;
    for (const type of types) this.specs.set(type, defineNativeType(this.specOf(type)));
  }

  private specOf(type: NativeType): NativeTypeSpec {
    const i32 = (): Int32Array => this.space.mem.i32;
    const gc = type.traverse !== undefined;
    return {
      name: type.name,
      payloadBytes: type.stateBytes,
      gc,
      traverse: gc ? (_s, o, visit, arg) => type.traverse!(this, i32(), o + NATIVE_PAYLOAD, (c) => visit(c, arg)) : undefined,
      clear: type.clear ? (_s, o) => type.clear!(this, i32(), o + NATIVE_PAYLOAD) : undefined,
      dealloc: type.dealloc ? (_s, o) => type.dealloc!(this, i32(), o + NATIVE_PAYLOAD) : undefined,
    };
  }

  /** Make every type object now (the creator, before threads run: nativeType writes statics). */
  register(): void {
    for (const type of this.specs.keys()) this.typeObject(type);
  }

  private typeObject(type: NativeType): number {
    let t = this.typeObjects.get(type);
    if (t === undefined) {
      const spec = this.specs.get(type);
      if (spec === undefined) throw new PyTypeError(`native type '${type.name}' is not registered`);
      t = nativeType(this.space, spec);
      this.typeObjects.set(type, t);
    }
    return t;
  }

  create(type: NativeType): PyObject {
    return allocNative(this.space, this.typeObject(type));
  }

  state(o: PyObject, type: NativeType): number {
    const s = this.space;
    s.check(o);
    if (s.typeOf(o) !== this.typeObject(type)) {
      throw new PyTypeError(`expected a ${type.name} object, got '${s.typeName(o)}'`);
    }
    return o + NATIVE_PAYLOAD;
  }

  incref(o: PyObject): void {
    this.space.incref(o);
  }

  decref(o: PyObject): void {
    this.space.decref(o);
  }

  malloc(bytes: number): number {
    return this.space.mallocRaw(bytes);
  }

  free(p: number): void {
    this.space.freeRaw(p);
  }
}

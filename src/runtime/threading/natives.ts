/*
 * Native objects: where threading.Lock, RLock, Event, Condition and queue.Queue keep their state.
 *
 * Their state is a few Int32 words in the heap (futex words, owners, counts, a ring of item
 * references), so any thread can block on them with Atomics.wait. A handle to one is a PyObject
 * like any other. The threading code needs only this small interface from the object layer:
 * make an object of a native type with N zeroed bytes of state, find the state of a handle
 * (checking its type), and count references. The runtime supplies an implementation over its
 * own native-object support (real Python objects, with refcounts, type names, GC traversal);
 * `BlockNatives` below is a stand-in over a bare allocator for the thread system's own tests and
 * for buffers without an object layer.
 */

import { PyTypeError } from '../../errors.ts';
import type { Mutex } from '../../gil/mutex.ts';
import type { PyObject } from '../types.ts';

/** A native type: its Python name, its state size and what its state references. */
export interface NativeType {
  /** type(o).__name__, as CPython names it ('lock', 'RLock', 'Event', 'Condition', 'Queue') */
  readonly name: string;
  /** bytes of state (zeroed at creation) */
  readonly stateBytes: number;
  /** Visit every object the state references (the GC's tp_traverse). */
  traverse?(natives: NativeObjects, i32: Int32Array, state: number, visit: (o: PyObject) => void): void;
  /** Drop the references the state holds, leaving it valid and empty (the GC's tp_clear). */
  clear?(natives: NativeObjects, i32: Int32Array, state: number): void;
  /** Drop the references and storage the state holds (called once, before the memory is freed). */
  dealloc?(natives: NativeObjects, i32: Int32Array, state: number): void;
}

export interface NativeObjects {
  /** A new object of `type` (a new reference) with zeroed state. */
  create(type: NativeType): PyObject;
  /** Byte offset of `o`'s state (8-byte aligned); PyTypeError if `o` is not a live `type`. */
  state(o: PyObject, type: NativeType): number;
  incref(o: PyObject): void;
  decref(o: PyObject): void;
  /** Auxiliary storage (a queue's item ring), from the heap. */
  malloc(bytes: number): number;
  free(p: number): void;
}

/** What BlockNatives needs: an allocator (the Heap has this shape). */
export interface RawAlloc {
  malloc(n: number): number;
  free(p: number): void;
}

/* A BlockNatives object: [refcnt, type id, 0, 0 | state ...], 16-byte header. */
const B_REFCNT = 0;
const B_TYPE = 1;
const B_HEADER_BYTES = 16;

/**
 * Native objects as bare heap blocks: refcount and a type id in a 16-byte header. A type's id is
 * its index in the `types` list plus one, so every thread must pass the same list (the threading
 * code's THREADING_TYPES). Reference counts are atomic, so the stand-in is safe under every
 * policy; the allocator is wrapped with the heap lock when there is one.
 */
export class BlockNatives implements NativeObjects {
  private readonly i32: Int32Array;
  private readonly alloc: RawAlloc;
  private readonly heapLock: Mutex | null;
  private readonly types: readonly NativeType[];

  constructor(i32: Int32Array, alloc: RawAlloc, heapLock: Mutex | null, types: readonly NativeType[]) {
    this.i32 = i32;
    this.alloc = alloc;
    this.heapLock = heapLock;
    this.types = types;
  }

  private typeId(type: NativeType): number {
    const i = this.types.indexOf(type);
    if (i < 0) throw new PyTypeError(`native type '${type.name}' is not registered`);
    return i + 1;
  }

  create(type: NativeType): PyObject {
    const o = this.malloc(B_HEADER_BYTES + type.stateBytes);
    this.i32.fill(0, o >> 2, (o + B_HEADER_BYTES + type.stateBytes + 3) >> 2);
    this.i32[(o >> 2) + B_TYPE] = this.typeId(type);
    Atomics.store(this.i32, (o >> 2) + B_REFCNT, 1);
    return o;
  }

  state(o: PyObject, type: NativeType): number {
    const id = o > 0 && o % 8 === 0 ? this.i32[(o >> 2) + B_TYPE] : 0;
    if (id !== this.typeId(type) || Atomics.load(this.i32, (o >> 2) + B_REFCNT) <= 0) {
      throw new PyTypeError(`expected a ${type.name} object, got handle ${o}`);
    }
    return o + B_HEADER_BYTES;
  }

  incref(o: PyObject): void {
    Atomics.add(this.i32, (o >> 2) + B_REFCNT, 1);
  }

  decref(o: PyObject): void {
    if (Atomics.sub(this.i32, (o >> 2) + B_REFCNT, 1) !== 1) return;
    const type = this.types[this.i32[(o >> 2) + B_TYPE]! - 1];
    type?.dealloc?.(this, this.i32, o + B_HEADER_BYTES);
    this.i32[(o >> 2) + B_TYPE] = 0;
    this.free(o);
  }

  /** The reference count (for tests: sys.getrefcount minus one). */
  refcount(o: PyObject): number {
    return Atomics.load(this.i32, (o >> 2) + B_REFCNT);
  }

  malloc(bytes: number): number {
    const l = this.heapLock;
    if (l === null) return this.alloc.malloc(bytes);
    l.lock();
    try {
      return this.alloc.malloc(bytes);
    } finally {
      l.unlock();
    }
  }

  free(p: number): void {
    const l = this.heapLock;
    if (l === null) return this.alloc.free(p);
    l.lock();
    try {
      this.alloc.free(p);
    } finally {
      l.unlock();
    }
  }
}

/*
 * The object space: allocation, headers, reference counts and deallocation of Python objects.
 * ==========================================================================================
 *
 * One ObjectSpace per JavaScript thread binds that thread's views of the shared buffer to the
 * heap, the reference counting strategy and the GC lists. It holds no truth of its own: every
 * object, count and list link is in the buffer; the JS fields here are caches (views, offsets of
 * the statics, interned-name lookups) and the per-thread hook tables (JS functions cannot live in
 * a SharedArrayBuffer: a class's `del` and a weakref's callback run on the thread that knows them).
 *
 * Life of an object:
 *
 *   alloc     allocObject(size, type) takes a block of `size` bytes from the heap and writes the
 *             header (count 1). allocGC(size, type) takes GC_HEAD_BYTES more and returns the
 *             address after the GC header; the caller fills the object, then tracks it.
 *   refcount  incref/decref go through the strategy (refcount/). Immortals are never touched.
 *   dealloc   when a count reaches zero the object is deallocated AT ONCE, but never recursively:
 *             an object whose count drops to zero while another dealloc is running is pushed on
 *             `pending` (CPython's trashcan, without the depth limit) and the outer loop pops
 *             it. So a 1,000,000-long chain frees with one JS stack frame. Per kind, dealloc
 *             untracks, runs the finalizer, clears weakrefs (running their callbacks exactly
 *             once), drops the references the object holds, marks the header dead (ob_type = 0)
 *             and returns the memory to the heap.
 *
 * The type table (per kind: traverse, clear, dealloc, sizeof) is the `switch` in the dispatch
 * functions below. What other parts use:
 *
 *   collector (src/gc)   traverse(o, visit, arg), clear(o) (tp_clear), isGC(o), isTracked(o),
 *                        hasFinalizer(o), isFinalized(o), callFinalizer(o) (PEP 442, once),
 *                        hasLegacyDel(o), refcount(o) / rc.setCount(o, n), incref/decref,
 *                        gcl (gc-lists.ts: rings, counts, thresholds), onGcThreshold (hook),
 *                        weakref.ts: weakrefsOf, clearWeakref, takeWeakrefCallback,
 *                        runWeakrefCallback; tuple.ts: maybeUntrackTuple; header.ts: GC_REFS,
 *                        GC_FLAGS bits (GC_FINALIZED, GC_COLLECTING, GC_UNREACHABLE)
 *   threading (src/gil)  native.ts: defineNativeType(spec), nativeType(space, spec),
 *                        allocNative(space, type) -> object with a zeroed payload at
 *                        o + NATIVE_PAYLOAD; incref/decref/xdecref; check(o)
 *   everyone             allocObject / allocGC (+ gcl.track) / freeObject / freeGC,
 *                        mallocRaw / reallocRaw / freeRaw, sync() after the buffer grew
 *   the runtime          bindThread(slot) / unbindThread() when a Python thread starts and ends
 *                        on this JS thread (its ident, the biased owner id, its queues: brc.ts),
 *                        handleRequests(bits) at an eval-breaker poll (merge queued refcounts,
 *                        run pending calls: pending.ts), notifyThread (set by the runtime: puts a
 *                        request in another thread's eval breaker), deferDeallocs/endDeferral
 *                        around critical sections (critical.ts)
 *
 * Free-threaded mode (config.gil 'none'): the memory of a dead object that other threads may be
 * reading without a lock (OB_SHARED in ob_tid: an item of a shared list, a weak referent) goes
 * back through the thread heap's QSBR deferred free (heap/qsbr.ts) while another thread is
 * attached, so a block a reader found an instant before the object died is not reused before
 * every thread passed a quiescent point; the reader's tryIncref then fails on the dead header
 * (count 0) instead of resurrecting a stranger. Everything else is freed at once.
 */

import { GilsimError, MemoryError, PyReferenceError, PyTypeError } from '../errors.ts';
import { GcLists } from './gc-lists.ts';
import type { Layout, Memory } from '../heap/layout.ts';
import { S_NSLOTS } from '../heap/state.ts';
import type { RefcountKind } from './refcount/strategy.ts';
import { bytesDealloc, bytesSizeof } from './bytes.ts';
import { dictClear, dictDealloc, dictSizeof, dictTraverse } from './dict.ts';
import { floatSizeof } from './float.ts';
import { GC_FINALIZED, GC_FLAGS, GC_NEXT, IMMORTAL_REFCNT, OBJECT_HEAD_BYTES, SHARED_SHIFT } from './header.ts';
import { intSizeof } from './int.ts';
import {
  BUILTIN_NAMES,
  STATIC_TYPE_BYTES,
  T_BASICSIZE,
  T_CLASSID,
  T_HOOK_OWNER,
  TPFLAGS_HAS_FINALIZE,
  TPFLAGS_HEAPTYPE,
  TPFLAGS_LEGACY_DEL,
} from './kinds.ts';
import { listClear, listDealloc, listSizeof, listTraverse } from './list.ts';
import { nativeClear, nativeDealloc, nativeSizeof, nativeTraverse, nativeTypeName } from './native.ts';
import { closeThreadRecord, MERGE_REFCOUNTS, mergeQueued, onlineWord, openThreadRecord, PENDING_CALLS, queueToOwner } from './brc.ts';
import { CALL_DEL, callName, OWNER_EXITED, pushCall, runPendingCalls } from './pending.ts';
import { BiasedRefcount, makeRefcount, PlainRefcount, type RefcountStrategy } from './refcount/index.ts';
import { setClear, setDealloc, setSizeof, setTraverse } from './set.ts';
import { staticsAt, type Statics } from './statics.ts';
import { strSizeof } from './str.ts';
import { tupleClear, tupleDealloc, tupleSizeof, tupleTraverse } from './tuple.ts';
import {
  heapTypeName,
  instanceClear,
  instanceDealloc,
  instanceDeallocLeaf,
  instanceSizeof,
  instanceTraverse,
  typeClear,
  typeDealloc,
  typeSizeof,
  typeTraverse,
} from './typeobject.ts';
import { clearWeakrefs, runWeakrefCallbackHere, weakrefClear, weakrefDealloc, weakrefSizeof, weakrefTraverse } from './weakref.ts';

/*
 * Hot-path constants, repeated here as literals on purpose: V8 folds a module's own literal
 * constants into the machine code but loads (and TDZ-checks) an imported binding at every use,
 * about 0.4 ns each on these paths. test/objects/mirrors.test.ts checks every copy against its
 * definition.
 */
const W_REFCNT = 0;
const W_TID = 1;
const W_TYPE = 2;
const W_REF_SHARED = 3;
const GC_HEAD_BYTES = 16;
/** word distances inside a GC header and from it to the object */
const W_GC_REFS = 2;
const W_GC_FLAGS = 3;
const W_GC_HEAD = 4;
const T_KIND = 16;
const T_FLAGS = 20;
const TPFLAGS_HAVE_GC = 1 << 14;
const K_OBJECT = 1;
const K_NONE = 2;
const K_BOOL = 3;
const K_INT = 4;
const K_FLOAT = 5;
const K_STR = 6;
const K_BYTES = 7;
const K_TUPLE = 8;
const K_LIST = 9;
const K_DICT = 10;
const K_SET = 11;
const K_TYPE = 12;
const K_INSTANCE = 13;
const K_WEAKREF = 14;
const NATIVE_BASE = 32;
const OB_SHARED = 1 << 31;
export const MIRRORS = {
  W_REFCNT, W_TID, W_TYPE, W_REF_SHARED, GC_HEAD_BYTES, W_GC_REFS, W_GC_FLAGS, W_GC_HEAD, T_KIND, T_FLAGS,
  TPFLAGS_HAVE_GC, K_OBJECT, K_NONE, K_BOOL, K_INT, K_FLOAT, K_STR, K_BYTES, K_TUPLE, K_LIST, K_DICT, K_SET,
  K_TYPE, K_INSTANCE, K_WEAKREF, NATIVE_BASE, OB_SHARED,
};

/** The part of the heap the object space uses (src/heap's Heap satisfies it). */
export interface ObjectHeap {
  malloc(n: number): number;
  free(p: number): void;
  realloc(p: number, n: number): number;
  isLiveBlock(p: number): boolean;
  forEachLiveBlock(cb: (p: number, usableSize: number) => void): void;
  /** QSBR (thread heaps only): free p once every thread passed a quiescent point */
  freeDeferred?(p: number): void;
}

/** A visitor for traverse: called once per referenced object (CPython's visitproc). */
export type Visit<A> = (child: number, arg: A) => void;

/** What a class remembers per thread: its PEP 442 / legacy finalizer. */
export interface ClassHooks {
  del?: (py: unknown, self: number) => void;
}

/** Called with errors raised by finalizers and weakref callbacks ("Exception ignored in ..."). */
export type UnraisableHook = (err: unknown, where: string) => void;

/**
 * What the object space reads of the runtime's configuration (runtime/config.ts RuntimeConfig
 * has these fields and more; objects does not import from runtime).
 */
export interface ObjectSpaceConfig {
  readonly python: string;
  readonly gil: string;
  readonly refcount: RefcountKind;
  readonly gcThresholds: readonly [number, number, number];
  readonly stopTheWorldGc: boolean;
}

export class ObjectSpace {
  declare readonly mem: Memory;
  declare readonly layout: Layout;
  declare readonly heap: ObjectHeap;
  declare readonly config: ObjectSpaceConfig;
  /* fixed-length views over [0, viewBytes) of the buffer: fast (length-tracking views are not
   * optimised by V8); replaced by sync() when the buffer grew. */
  declare i32: Int32Array;
  declare u32: Uint32Array;
  declare u8: Uint8Array;
  declare i8: Int8Array;
  declare u16: Uint16Array;
  declare i16: Int16Array;
  declare f64: Float64Array;
  viewBytes = 0;
  /** hot words copied from the GC lists and the strategy (the flattened fast paths use them) */
  declare readonly wGen0: number;
  declare readonly wCount0: number;
  declare readonly wThreshold0: number;
  /** ob_tid of new objects: the thread's ident under biased refcounting or without a GIL, else 0 */
  declare tid: number;
  /** the Python thread running on this JS thread: its ident (brc.ts) and slot; 0 / -1 when none */
  ident = 0;
  slot = -1;
  /** offset of the thread records block (brc.ts) */
  records = 0;
  /** threads run without a GIL (config.gil 'none'): critical sections, deferred frees */
  declare readonly ft: boolean;
  /** free dead objects' memory through QSBR (ft, with a bound thread heap) while another
   *  thread is attached (the count at word wOnline, brc.ts) */
  deferFrees = false;
  wOnline = 0;
  /** Put request `what` (MERGE_REFCOUNTS, PENDING_CALLS) in slot's eval breaker (the runtime sets it). */
  notifyThread: (slot: number, what: number) => void = () => {};
  /** the heap's slot count word (S_NSLOTS): when it moves, the buffer has grown */
  private declare readonly nslotsWord: number;
  private knownSlots = -1;
  declare readonly rc: RefcountStrategy;
  /** rc is `plain`: the flattened fast paths count with plain loads and stores themselves */
  declare readonly plainRc: boolean;
  /** gcl.locking, copied: link/unlink take the list lock (threads without a GIL) */
  declare readonly gcLocking: boolean;
  declare readonly gcl: GcLists;
  declare readonly st: Statics;
  /** handles: the static None/True/False */
  declare readonly None: number;
  declare readonly True: number;
  declare readonly False: number;
  /** the static `type` type object: every type object's ob_type */
  declare readonly typeType: number;
  /** lowest possible object offset (the statics) */
  declare readonly minObject: number;
  /** ALIGNMENT - 1: every object offset is a multiple of ALIGNMENT */
  declare readonly alignMask: number;

  /** deallocations waiting for the running dealloc loop (the trashcan) */
  private readonly pending: number[] = [];
  private draining = false;

  /** The thread's `py`, passed to finalizers and weakref callbacks. Set by the Py surface. */
  py: unknown = null;
  /** Called when generation 0 passes its threshold (the collector plugs in here). */
  onGcThreshold: () => void = () => {};
  /** Errors from finalizers and callbacks land here; the default keeps the last few. */
  unraisable: UnraisableHook = (err, where) => {
    this.unraisableLog.push(`Exception ignored in ${where}: ${String(err)}`);
    if (this.unraisableLog.length > 100) this.unraisableLog.shift();
  };
  readonly unraisableLog: string[] = [];

  /** per-thread hook tables: class id -> hooks; weakref offset -> callback */
  readonly classHooks = new Map<number, ClassHooks>();
  readonly weakCallbacks = new Map<number, (py: never, ref: number) => void>();
  /** interned names: JS string -> immortal str object (a cache of the interned dict) */
  readonly internCache = new Map<string, number>();
  /** heap class -> slot name -> slot index (a cache of the class's __slots__ tuple) */
  readonly slotIndexCache = new Map<number, Map<string, number>>();

  constructor(mem: Memory, layout: Layout, heap: ObjectHeap, config: ObjectSpaceConfig, locking: boolean) {
    this.mem = mem;
    this.layout = layout;
    this.heap = heap;
    this.config = config;
    this.nslotsWord = (layout.allocOff + S_NSLOTS) >> 2;
    const v = mem.view;
    this.i32 = v.i32;
    this.u32 = v.u32;
    this.u8 = v.u8;
    this.f64 = v.f64;
    this.i8 = new Int8Array(0);
    this.u16 = new Uint16Array(0);
    this.i16 = new Int16Array(0);
    this.rc = makeRefcount(config.refcount, this.i32);
    if (this.rc instanceof BiasedRefcount) {
      const rc = this.rc;
      rc.brc = { queue: (o, owner) => queueToOwner(this, rc, o, owner) };
    }
    this.ft = config.gil === 'none';
    this.plainRc = this.rc instanceof PlainRefcount;
    this.gcl = new GcLists(this.i32, layout.gcOff, locking);
    this.gcLocking = locking;
    this.wGen0 = this.gcl.wGen0;
    this.wCount0 = this.gcl.wCount0;
    this.wThreshold0 = this.gcl.wThreshold0;
    this.tid = this.rc.tid;
    this.st = staticsAt(layout.runtimeOff);
    this.None = this.st.none;
    this.True = this.st.true_;
    this.False = this.st.false_;
    this.typeType = this.staticType(K_TYPE);
    this.minObject = this.st.none;
    this.alignMask = layout.geometry.ALIGNMENT - 1;
    this.sync();
  }

  /* ---- views ---- */

  /** Take views over the whole buffer as it is now (after this or another thread grew it). */
  sync(): void {
    this.knownSlots = this.mem.i32[this.nslotsWord]!;
    const v = this.mem.sync();
    if (v.bytes === this.viewBytes) return;
    const sab = this.mem.sab;
    this.viewBytes = v.bytes;
    this.i32 = v.i32;
    this.u32 = v.u32;
    this.u8 = v.u8;
    this.f64 = v.f64;
    this.i8 = new Int8Array(sab, 0, v.bytes);
    this.u16 = new Uint16Array(sab, 0, v.bytes >> 1);
    this.i16 = new Int16Array(sab, 0, v.bytes >> 1);
    this.rc.setView(v.i32);
    this.gcl.setView(v.i32);
  }

  /** Cheap test (one load) for growth by any thread; the py surface calls it on entry. */
  syncIfGrown(): void {
    if (this.i32[this.nslotsWord] !== this.knownSlots) this.sync();
  }

  /** The static type object of a builtin or native kind. */
  staticType(kind: number): number {
    return this.st.types + kind * STATIC_TYPE_BYTES;
  }

  /* ---- header ---- */

  typeOf(o: number): number {
    return this.i32[(o >> 2) + W_TYPE]!;
  }

  kindOf(o: number): number {
    return this.i32[(this.i32[(o >> 2) + W_TYPE]! + T_KIND) >> 2]!;
  }

  typeFlags(t: number): number {
    return this.i32[(t + T_FLAGS) >> 2]!;
  }

  isGC(o: number): boolean {
    return (this.typeFlags(this.typeOf(o)) & TPFLAGS_HAVE_GC) !== 0;
  }

  isImmortal(o: number): boolean {
    return this.i32[(o >> 2) + W_REFCNT]! >= IMMORTAL_REFCNT;
  }

  /** Write a fresh header: count 1, the strategy's owner id, the type, shared count 0. */
  initHeader(o: number, type: number): void {
    const w = o >> 2;
    const i32 = this.i32;
    i32[w + W_REFCNT] = 1;
    i32[w + W_TID] = this.tid;
    i32[w + W_TYPE] = type;
    i32[w + W_REF_SHARED] = 0;
  }

  /** Write the header of a static object (immortal, never freed). */
  initStatic(o: number, type: number): void {
    const w = o >> 2;
    this.i32[w + W_REFCNT] = IMMORTAL_REFCNT;
    this.i32[w + W_TID] = 0;
    this.i32[w + W_TYPE] = type;
    this.i32[w + W_REF_SHARED] = 0;
  }

  /* ---- allocation ---- */

  /** A non-container object of `size` bytes (header included). */
  allocObject(size: number, type: number): number {
    const o = this.heap.malloc(size);
    if (o === 0) throw this.noMemory(size);
    if (o + size > this.viewBytes) this.sync();
    this.initHeader(o, type);
    return o;
  }

  /**
   * A container: GC header + `size` bytes. Returns the object (after the GC header), untracked;
   * the caller fills it and calls gcl.track(o). Counts towards generation 0 (gc_alloc).
   */
  allocGC(size: number, type: number): number {
    const g = this.heap.malloc(size + GC_HEAD_BYTES);
    if (g === 0) throw this.noMemory(size + GC_HEAD_BYTES);
    if (g + size + GC_HEAD_BYTES > this.viewBytes) this.sync();
    const w = g >> 2;
    const i32 = this.i32;
    i32[w] = 0;
    i32[w + 1] = 0;
    i32[w + 2] = 0;
    i32[w + 3] = 0;
    const o = g + GC_HEAD_BYTES;
    this.initHeader(o, type);
    if (this.gcl.countAlloc()) this.onGcThreshold();
    return o;
  }

  /** allocGC without counting: the caller counts once the object is complete (newInstance). */
  allocGCNoCount(size: number, type: number): number {
    const g = this.heap.malloc(size + GC_HEAD_BYTES);
    if (g + size + GC_HEAD_BYTES > this.viewBytes) this.sync();
    const w = g >> 2;
    const i32 = this.i32;
    i32[w + W_GC_REFS] = 0;
    i32[w + W_GC_FLAGS] = 0; // (gc_next/gc_prev: the caller tracks at once)
    i32[w + W_GC_HEAD + W_REFCNT] = 1;
    i32[w + W_GC_HEAD + W_TID] = this.tid;
    i32[w + W_GC_HEAD + W_TYPE] = type;
    i32[w + W_GC_HEAD + W_REF_SHARED] = 0;
    return g + GC_HEAD_BYTES;
  }

  /** Raw memory for object internals (list items, dict keys, set tables, values arrays). */
  mallocRaw(n: number): number {
    const p = this.heap.malloc(n);
    if (p === 0) throw this.noMemory(n);
    if (p + n > this.viewBytes) this.sync();
    return p;
  }

  reallocRaw(p: number, n: number): number {
    if (p === 0) return this.mallocRaw(n);
    const q = this.heap.realloc(p, n);
    if (q === 0) throw this.noMemory(n);
    if (q + n > this.viewBytes) this.sync();
    return q;
  }

  freeRaw(p: number): void {
    if (p !== 0) this.heap.free(p);
  }

  /** Return a dead non-container's memory. The header is marked dead first. */
  freeObject(o: number): void {
    this.markDead(o);
    if (this.deferFrees && this.mayBeRead(o)) this.heap.freeDeferred!(o);
    else this.heap.free(o);
  }

  /** Return a dead container's memory (already untracked). */
  freeGC(o: number): void {
    this.markDead(o);
    this.gcl.countFree();
    if (this.deferFrees && this.mayBeRead(o)) this.heap.freeDeferred!(o - GC_HEAD_BYTES);
    else this.heap.free(o - GC_HEAD_BYTES);
  }

  /**
   * Free-threaded: could another thread be reading dead o without a lock right now? Only an
   * OB_SHARED object (an item of a shared list, a weak referent) can be, and only while another
   * thread is attached.
   */
  private mayBeRead(o: number): boolean {
    return (this.i32[(o >> 2) + W_TID]! & OB_SHARED) !== 0 && Atomics.load(this.i32, this.wOnline) > 1;
  }

  /** Free-threaded: o may be read by other threads without a lock (header.ts OB_SHARED). */
  markShared(o: number): void {
    const w = o >> 2;
    if (this.i32[w + W_REFCNT]! < IMMORTAL_REFCNT && (this.i32[w + W_TID]! & OB_SHARED) === 0) Atomics.or(this.i32, w + W_TID, OB_SHARED);
  }

  private markDead(o: number): void {
    const w = o >> 2;
    this.i32[w + W_REFCNT] = 0;
    this.i32[w + W_TYPE] = 0;
  }

  private noMemory(n: number): MemoryError {
    return new MemoryError(`cannot allocate ${n} bytes: the heap reached its maximum of ${this.layout.maxBytes} bytes`);
  }

  /* ---- reference counts ---- */

  incref(o: number): void {
    this.rc.incref(o);
  }

  /** Drop a reference; at zero the object is deallocated (after any running dealloc). */
  decref(o: number): void {
    if (this.rc.decref(o)) this.dealloc(o);
  }

  /** decref for a field that may be NULL (0) */
  xdecref(o: number): void {
    if (o !== 0 && this.rc.decref(o)) this.dealloc(o);
  }

  refcount(o: number): number {
    return this.rc.count(o);
  }

  /* ---- the Python thread on this JS thread (brc.ts, pending.ts) ---- */

  /**
   * A Python thread starts on this JS thread in `slot`: a fresh ident (the owner id of the
   * objects it makes under biased refcounting), its queues open. `deferFrees`: free through
   * the bound thread heap's QSBR.
   */
  bindThread(slot: number, deferFrees: boolean): number {
    if (this.ident !== 0) this.unbindThread();
    this.slot = slot;
    this.ident = this.records !== 0 ? openThreadRecord(this, slot) : slot + 1;
    this.gcl.bindSlot(slot);
    this.rc.setOwner(this.ident);
    // ob_tid of new objects: the owner under biased refcounting; free-threaded, the maker too
    // (plain/atomic ignore it; list.ts tells a list's owner from other threads by it)
    this.tid = this.ft ? this.ident : this.rc.tid;
    this.deferFrees = deferFrees && this.heap.freeDeferred !== undefined && this.records !== 0;
    if (this.records !== 0) this.wOnline = onlineWord(this);
    return this.ident;
  }

  /** The thread ends: run what is pending for it, merge its queue, give up ownership. */
  unbindThread(): void {
    if (this.ident === 0) return;
    this.syncIfGrown();
    if (this.records !== 0) closeThreadRecord(this, this.slot);
    this.gcl.unbindSlot();
    this.rc.setOwner(0);
    this.tid = this.rc.tid;
    this.ident = 0;
    this.slot = -1;
    this.deferFrees = false;
  }

  /**
   * Free-threaded: this thread attached (+1) or detached (-1). Returns how many threads are
   * attached now.
   */
  countOnline(delta: number): number {
    if (this.records === 0) return 0;
    return Atomics.add(this.i32, onlineWord(this), delta) + delta;
  }

  /** Requests from other threads seen at an eval-breaker poll (MERGE_REFCOUNTS | PENDING_CALLS). */
  handleRequests(what: number): void {
    if (this.ident === 0) return;
    this.syncIfGrown(); // a poll runs before the py call's own check: objects may be newer than our views
    if ((what & MERGE_REFCOUNTS) !== 0) mergeQueued(this, this.slot);
    if ((what & PENDING_CALLS) !== 0) runPendingCalls(this, this.slot);
  }

  /* ---- critical sections (critical.ts): no dealloc while a container lock is held ---- */

  /** Are deallocations deferred now (a dealloc loop or a critical section runs)? */
  get deferring(): boolean {
    return this.draining;
  }

  /**
   * From now on, objects whose count reaches zero wait (the trashcan list) instead of being
   * deallocated at once. Returns true when this call started the deferral (then the caller ends
   * it with endDeferral); false when a dealloc loop or an outer section already defers.
   */
  deferDeallocs(): boolean {
    if (this.draining) return false;
    this.draining = true;
    return true;
  }

  /** End the deferral: deallocate what waited (finalizers may run: no lock is held any more). */
  endDeferral(): void {
    if (this.pending.length === 0) {
      this.draining = false;
      return;
    }
    try {
      this.drainPending();
    } catch (e) {
      this.pending.length = 0;
      throw e;
    } finally {
      this.draining = false;
    }
  }

  /* ---- handles ---- */

  /**
   * Check that `o` is a handle to a live object; throws PyReferenceError otherwise. Cheap: an
   * integer, aligned, inside the buffer, its type word a type object, its count above zero.
   * A freed block keeps ob_type == 0 until reused (markDead), so a stale handle is caught.
   */
  check(o: number): void {
    if ((o | 0) !== o || (o & this.alignMask) !== 0 || o < this.minObject) this.badHandle(o);
    if (o >= this.viewBytes) this.checkFar(o);
    const w = o >> 2;
    const t = this.i32[w + W_TYPE]!;
    if (!(t > 0) || this.i32[(t >> 2) + W_TYPE] !== this.typeType || !(this.i32[w + W_REFCNT]! > 0)) {
      if (!this.liveByShared(o)) this.badHandle(o);
    }
  }

  /**
   * biased: an object whose owner gave it up (MERGED) or whose references are all held by
   * other threads has ob_ref_local 0: it is live when local + shared > 0.
   */
  private liveByShared(o: number): boolean {
    const w = o >> 2;
    const t = this.i32[w + W_TYPE]!;
    if (!(t > 0) || this.i32[(t >> 2) + W_TYPE] !== this.typeType) return false;
    return this.i32[w + W_REFCNT]! + (Atomics.load(this.i32, w + W_REF_SHARED) >> SHARED_SHIFT) > 0;
  }

  /** A full check, also asking the heap: for verifiers and error messages. */
  isLiveObject(o: number): boolean {
    if ((o | 0) !== o || (o & this.alignMask) !== 0 || o < this.minObject) return false;
    if (o < this.layout.slotsOff) return o < this.st.end && this.i32[(o >> 2) + W_TYPE]! > 0;
    if (o >= this.viewBytes) this.sync();
    if (o >= this.viewBytes) return false;
    const w = o >> 2;
    const t = this.i32[w + W_TYPE]!;
    if (!(t > 0) || this.i32[(t >> 2) + W_TYPE] !== this.typeType) return false;
    if (!(this.i32[w + W_REFCNT]! > 0) && !this.liveByShared(o)) return false;
    const gc = (this.i32[(t + T_FLAGS) >> 2]! & TPFLAGS_HAVE_GC) !== 0;
    return this.heap.isLiveBlock(gc ? o - GC_HEAD_BYTES : o);
  }

  /** o lies past this thread's views: the buffer may have grown; else it is no object. */
  private checkFar(o: number): void {
    this.sync();
    if (o >= this.viewBytes) this.badHandle(o);
  }

  badHandle(o: number): never {
    if (typeof o !== 'number' || (o | 0) !== o) {
      throw new PyTypeError(`expected an object handle (a byte offset), got ${String(o)}`);
    }
    throw new PyReferenceError(`handle ${o} does not refer to a live object (freed, or never an object)`);
  }

  /* ---- deallocation: the iterative loop ---- */

  /** The count of o reached zero: deallocate it now, or after the running dealloc. */
  dealloc(o: number): void {
    if (this.draining) {
      this.pending.push(o);
      return;
    }
    const t = this.i32[(o >> 2) + W_TYPE]!;
    if (this.i32[(t + T_KIND) >> 2] === K_INSTANCE && instanceDeallocLeaf(this, o, t)) return;
    this.deallocLoop(o);
  }

  /** The dealloc loop: o, then whatever reached zero meanwhile (the trashcan). */
  private deallocLoop(o: number): void {
    this.syncIfGrown(); // what o references may be newer than our views (the py fast paths skip it)
    this.draining = true;
    try {
      if (this.i32[(this.i32[(o >> 2) + W_TYPE]! + T_KIND) >> 2] === K_INSTANCE) instanceDealloc(this, o);
      else this.deallocOne(o);
      if (this.pending.length !== 0) this.drainPending();
    } catch (e) {
      this.pending.length = 0;
      this.draining = false;
      throw e;
    }
    this.draining = false;
  }

  /** Deallocations that a dealloc queued (children whose count reached zero): the trashcan. */
  private drainPending(): void {
    const pending = this.pending;
    while (pending.length > 0) this.deallocOne(pending.pop()!);
  }

  /** tp_dealloc, per kind. */
  private deallocOne(o: number): void {
    switch (this.kindOf(o)) {
      case K_INSTANCE:
        return instanceDealloc(this, o);
      case K_INT:
      case K_FLOAT:
      case K_STR:
      case K_OBJECT:
        return this.freeObject(o);
      case K_TUPLE:
        return tupleDealloc(this, o);
      case K_LIST:
        return listDealloc(this, o);
      case K_DICT:
        return dictDealloc(this, o);
      case K_SET:
        return setDealloc(this, o);
      case K_BYTES:
        return bytesDealloc(this, o);
      case K_WEAKREF:
        return weakrefDealloc(this, o);
      case K_TYPE:
        return typeDealloc(this, o);
      default:
        return this.deallocOther(o);
    }
  }

  private deallocOther(o: number): void {
    const kind = this.kindOf(o);
    if (kind >= NATIVE_BASE) return nativeDealloc(this, o);
    // None, bool and static types are immortal: reaching zero means a refcount bug.
    throw new GilsimError(`dealloc of a ${this.typeName(o)} at ${o}: immortal or unknown kind ${kind}`);
  }

  /* ---- the type table for the collector ---- */

  /** tp_traverse: call visit(child, arg) for each object o references. */
  traverse<A>(o: number, visit: Visit<A>, arg: A): void {
    switch (this.kindOf(o)) {
      case K_INSTANCE:
        return instanceTraverse(this, o, visit, arg);
      case K_TUPLE:
        return tupleTraverse(this, o, visit, arg);
      case K_LIST:
        return listTraverse(this, o, visit, arg);
      case K_DICT:
        return dictTraverse(this, o, visit, arg);
      case K_SET:
        return setTraverse(this, o, visit, arg);
      case K_WEAKREF:
        return weakrefTraverse(this, o, visit, arg);
      case K_TYPE:
        return typeTraverse(this, o, visit, arg);
      default:
        if (this.kindOf(o) >= NATIVE_BASE) return nativeTraverse(this, o, visit, arg);
    }
  }

  /** tp_clear: drop the references o holds (breaking cycles); o stays a valid empty object. */
  clear(o: number): void {
    switch (this.kindOf(o)) {
      case K_INSTANCE:
        return instanceClear(this, o);
      case K_TUPLE:
        return tupleClear(this, o);
      case K_LIST:
        return listClear(this, o);
      case K_DICT:
        return dictClear(this, o);
      case K_SET:
        return setClear(this, o);
      case K_WEAKREF:
        return weakrefClear(this, o);
      case K_TYPE:
        return typeClear(this, o);
      default:
        if (this.kindOf(o) >= NATIVE_BASE) return nativeClear(this, o);
    }
  }

  /** __sizeof__ (without the GC header; sys.getsizeof adds it for GC types). */
  sizeofObject(o: number): number {
    switch (this.kindOf(o)) {
      case K_NONE:
      case K_OBJECT:
        return OBJECT_HEAD_BYTES;
      case K_INT:
      case K_BOOL:
        return intSizeof(this, o);
      case K_FLOAT:
        return floatSizeof();
      case K_STR:
        return strSizeof(this, o);
      case K_BYTES:
        return bytesSizeof(this, o);
      case K_TUPLE:
        return tupleSizeof(this, o);
      case K_LIST:
        return listSizeof(this, o);
      case K_DICT:
        return dictSizeof(this, o);
      case K_SET:
        return setSizeof(this, o);
      case K_WEAKREF:
        return weakrefSizeof();
      case K_TYPE:
        return typeSizeof(this, o);
      case K_INSTANCE:
        return instanceSizeof(this, o);
      default:
        return nativeSizeof(this, o);
    }
  }

  /** sys.getsizeof: __sizeof__ plus the GC header for GC types. */
  getsizeof(o: number): number {
    return this.sizeofObject(o) + (this.isGC(o) ? GC_HEAD_BYTES : 0);
  }

  basicsize(t: number): number {
    return this.i32[(t + T_BASICSIZE) >> 2]!;
  }

  /* ---- finalizers (PEP 442 and legacy tp_del) ---- */

  hasFinalizer(o: number): boolean {
    return (this.typeFlags(this.typeOf(o)) & TPFLAGS_HAS_FINALIZE) !== 0;
  }

  hasLegacyDel(o: number): boolean {
    return (this.typeFlags(this.typeOf(o)) & TPFLAGS_LEGACY_DEL) !== 0;
  }

  isFinalized(o: number): boolean {
    return this.isGC(o) && (this.i32[(o - GC_HEAD_BYTES + GC_FLAGS) >> 2]! & GC_FINALIZED) !== 0;
  }

  /**
   * PyObject_CallFinalizer: run o's PEP 442 `__del__` once (marks it FINALIZED first). The
   * caller holds a reference to o. Errors go to the unraisable hook.
   */
  callFinalizer(o: number): void {
    const t = this.typeOf(o);
    if ((this.typeFlags(t) & TPFLAGS_HAS_FINALIZE) === 0) return;
    const fw = (o - GC_HEAD_BYTES + GC_FLAGS) >> 2;
    if ((this.i32[fw]! & GC_FINALIZED) !== 0) return;
    Atomics.or(this.i32, fw, GC_FINALIZED); // atomic: the word also holds the object's lock
    this.runDel(o, t);
  }

  /**
   * Run o's `del` here if this thread knows it, else route it to the thread that does (which
   * then holds a reference to o until it ran it). Returns true when routed.
   */
  private runDel(o: number, t: number): boolean {
    const hooks = this.classHooks.get(this.i32[(t + T_CLASSID) >> 2]!);
    if (hooks?.del !== undefined) {
      this.callDel(hooks.del, o);
      return false;
    }
    const owner = this.i32[(t + T_HOOK_OWNER) >> 2]!;
    if (owner !== this.ident && pushCall(this, owner, CALL_DEL, o)) return true;
    this.unraisable(new GilsimError(OWNER_EXITED), callName(this, CALL_DEL, o));
    return false;
  }

  private callDel(del: NonNullable<ClassHooks['del']>, o: number): void {
    try {
      del(this.py, o);
    } catch (err) {
      this.unraisable(err, `${this.typeName(o)}.__del__`);
    }
  }

  /** A routed CALL_DEL arrived (pending.ts): this thread registered the class's `del`. */
  runDelHere(o: number): void {
    const hooks = this.classHooks.get(this.classId(this.typeOf(o)));
    if (hooks?.del !== undefined) this.callDel(hooks.del, o);
    else this.unraisable(new GilsimError('the finalizer is unknown on the thread that registered it'), callName(this, CALL_DEL, o));
  }

  /** A routed CALL_WEAKREF arrived: run the callback of weakref r from this thread's table. */
  runWeakrefCallbackHere(r: number): void {
    runWeakrefCallbackHere(this, r);
  }

  /**
   * PyObject_CallFinalizerFromDealloc: o's count is zero. Revive it for the call, run the
   * finalizer, and report whether it was resurrected (someone stored a new reference).
   */
  finalizeFromDealloc(o: number): boolean {
    this.rc.setCount(o, 1);
    this.gcl.track(o);
    this.callFinalizer(o);
    return this.afterRevival(o);
  }

  /**
   * A legacy tp_del at dealloc: runs every time, may resurrect. A call routed to another thread
   * (pending.ts) holds a reference; when that reference drops the dealloc comes back here, and
   * the FINALIZED mark left at routing time says the call already happened.
   */
  legacyDelFromDealloc(o: number): boolean {
    const fw = (o - GC_HEAD_BYTES + GC_FLAGS) >> 2;
    if ((this.i32[fw]! & GC_FINALIZED) !== 0) {
      Atomics.and(this.i32, fw, ~GC_FINALIZED);
      return false;
    }
    this.rc.setCount(o, 1);
    this.gcl.track(o);
    if (this.runDel(o, this.typeOf(o))) Atomics.or(this.i32, fw, GC_FINALIZED);
    return this.afterRevival(o);
  }

  /** Drop the revival's reference: still referenced means resurrected (the dealloc stops). */
  private afterRevival(o: number): boolean {
    if (!this.rc.decref(o)) return true;
    this.gcl.untrack(o);
    return false;
  }

  /** PyObject_ClearWeakRefs for an object whose weakref list head is at o + off. */
  clearWeakrefs(o: number, off: number): void {
    clearWeakrefs(this, o, off);
  }

  /* ---- names ---- */

  /** type(o).__name__ */
  typeName(o: number): string {
    return this.nameOfType(this.typeOf(o));
  }

  nameOfType(t: number): string {
    const kind = this.i32[(t + T_KIND) >> 2]!;
    if ((this.typeFlags(t) & TPFLAGS_HEAPTYPE) !== 0) return heapTypeName(this, t);
    if (kind >= NATIVE_BASE) return nativeTypeName(this, t);
    return BUILTIN_NAMES[kind] ?? '?';
  }

  /** Is o's GC header linked (tracked)? False for non-GC objects. */
  isTracked(o: number): boolean {
    return this.isGC(o) && this.i32[(o - GC_HEAD_BYTES + GC_NEXT) >> 2] !== 0;
  }

  /** The class id stored in a heap type (for its JS hooks). */
  classId(t: number): number {
    return this.i32[(t + T_CLASSID) >> 2]!;
  }
}

/*
 * The `py` surface: what a thread program (and a library user on the main thread) calls.
 *
 * This file is the contract between the parts of the runtime: src/objects implements the object
 * operations, src/gil + src/runtime the threading, time and I/O calls, src/gc the `gc` module,
 * and scenarios are written against it. It holds types only.
 *
 * Reference rules are the C API's:
 *  - a call that RETURNS an object returns a NEW reference (the caller owns it, and must
 *    `py.decref` it when done), unless the doc says "borrowed";
 *  - a call that STORES an object (list append, setitem, setattr, tuple/list/dict/set
 *    constructors, queue put, ...) does NOT steal the caller's reference: it takes its own.
 *  - `py.decref` at zero frees at once (drops the object's own references, clears weakrefs and
 *    runs their callbacks, returns the memory to the allocator).
 *
 * Costs: every call counts as bytecodes on the calling thread, and calls poll the thread's eval
 * breaker (one Atomics.load), as CPython 3.10+ polls at calls and back edges. So a thread program
 * written as a loop of py calls gives up the GIL exactly where CPython would.
 *
 * Misuse raises a Python-style error from src/errors.ts (IndexError, KeyError, AttributeError,
 * PyTypeError, ValueError, PyReferenceError for a dead/freed handle, ...), never corrupts the heap.
 */

/** A handle to a Python object: its byte offset in the shared buffer. 0 is NULL. */
export type PyObject = number;

/** Key for item access: a Python object, or a JS number as shorthand for a Python int index. */
export type Key = PyObject | { readonly index: number };

export interface NewClassOptions {
  /** `__slots__`: fixed attribute names, no `__dict__` (instance size 16 + 8 per slot + GC header). */
  slots?: readonly string[];
  /** PEP 442 finalizer: runs once, before the object is freed; may resurrect `self`. */
  del?: (py: Py, self: PyObject) => void;
  /** A legacy `tp_del` finalizer (Python 2 `__del__`): a cycle holding one is uncollectable. */
  legacyDel?: boolean;
}

export interface SysModule {
  /** The reference count plus one for the argument, as `sys.getrefcount`. */
  getrefcount(o: PyObject): number;
  /** CPython 3.11's `sys.getsizeof` (includes the GC header for tracked types). */
  getsizeof(o: PyObject): number;
  /** seconds, as CPython */
  setswitchinterval(seconds: number): void;
  getswitchinterval(): number;
  /** legacy GIL: ticks between forced releases */
  setcheckinterval(ticks: number): void;
  getcheckinterval(): number;
}

export interface GcInfo {
  generation: number;
  collected: number;
  uncollectable: number;
}

export interface GcModule {
  collect(generation?: number): number;
  enable(): void;
  disable(): void;
  isenabled(): boolean;
  get_count(): [number, number, number];
  get_threshold(): [number, number, number];
  set_threshold(t0: number, t1?: number, t2?: number): void;
  get_stats(): { collections: number; collected: number; uncollectable: number }[];
  freeze(): void;
  unfreeze(): void;
  get_freeze_count(): number;
  is_tracked(o: PyObject): boolean;
  is_finalized(o: PyObject): boolean;
  /** new references; the caller decrefs them (or passes the list to py.decref via a list) */
  get_objects(generation?: number): PyObject;
  get_referrers(...objs: PyObject[]): PyObject;
  get_referents(...objs: PyObject[]): PyObject;
  /** borrowed: the gc.garbage list object */
  readonly garbage: PyObject;
  /** JS callbacks, called with ('start' | 'stop', info) */
  readonly callbacks: ((phase: 'start' | 'stop', info: GcInfo) => void)[];
  set_debug(flags: number): void;
  get_debug(): number;
  readonly DEBUG_STATS: 1;
  readonly DEBUG_COLLECTABLE: 2;
  readonly DEBUG_UNCOLLECTABLE: 4;
  readonly DEBUG_SAVEALL: 32;
  readonly DEBUG_LEAK: 38;
}

/** A started Python thread, as seen by the thread that started it. */
export interface ThreadHandle {
  /** index in the thread table */
  readonly ident: number;
  readonly name: string;
}

export interface ThreadingModule {
  /**
   * Start a Python thread running `fn` (an export of `module`, a path or file URL; a dotted name
   * reaches into an exported object) with JSON-able `args`. Handles passed as args are plain
   * numbers: the caller must keep those objects alive (a Queue is the safe way to hand over).
   */
  start(module: string, fn: string, args?: readonly unknown[], opts?: { name?: string }): ThreadHandle;
  /** Wait for the thread to finish, releasing the GIL. Returns false on timeout. */
  join(t: ThreadHandle, timeoutMs?: number): boolean;
  get_ident(): number;
  current_name(): string;
  /** threading.Lock / RLock / Event / Condition as heap objects (new references). */
  Lock(): PyObject;
  RLock(): PyObject;
  Event(): PyObject;
  Condition(lock?: PyObject): PyObject;
  /** lock.acquire(blocking, timeout): releases the GIL while it blocks. */
  acquire(lock: PyObject, blocking?: boolean, timeoutMs?: number): boolean;
  release(lock: PyObject): void;
  locked(lock: PyObject): boolean;
  set(event: PyObject): void;
  clear(event: PyObject): void;
  is_set(event: PyObject): boolean;
  /** Event.wait or Condition.wait (the condition's lock must be held). */
  wait(eventOrCondition: PyObject, timeoutMs?: number): boolean;
  notify(condition: PyObject, n?: number): void;
  notify_all(condition: PyObject): void;
}

export interface QueueModule {
  /** queue.Queue(maxsize=0) */
  Queue(maxsize?: number): PyObject;
  /** put does not steal: the queue takes its own reference. Blocks (releasing the GIL) when full. */
  put(q: PyObject, item: PyObject, block?: boolean, timeoutMs?: number): void;
  /** get returns a new reference. Raises QueueEmpty when non-blocking or timed out. */
  get(q: PyObject, block?: boolean, timeoutMs?: number): PyObject;
  qsize(q: PyObject): number;
  empty(q: PyObject): boolean;
  full(q: PyObject): boolean;
}

export interface TimeModule {
  /** time.sleep: releases the GIL for `ms` milliseconds. */
  sleep(ms: number): void;
  /** time.perf_counter in milliseconds (real wall clock). */
  perf_counter_ms(): number;
}

export interface Py {
  /* ---- singletons (immortal; borrowed, but increfing/decrefing them is harmless) ---- */
  readonly None: PyObject;
  readonly True: PyObject;
  readonly False: PyObject;

  /* ---- constructors: new references; contents are not stolen ---- */
  int(v: number | bigint): PyObject;
  float(v: number): PyObject;
  str(s: string): PyObject;
  bytes(b: Uint8Array | string): PyObject;
  tuple(items?: readonly PyObject[]): PyObject;
  list(items?: readonly PyObject[]): PyObject;
  dict(entries?: readonly (readonly [PyObject, PyObject])[]): PyObject;
  set(items?: readonly PyObject[]): PyObject;
  object(): PyObject;
  newClass(name: string, opts?: NewClassOptions): PyObject;
  instance(cls: PyObject): PyObject;

  /* ---- containers and attributes ---- */
  append(list: PyObject, item: PyObject): void;
  /** list.pop(index = -1): new reference */
  pop(list: PyObject, index?: number): PyObject;
  len(o: PyObject): number;
  /** o[key]: new reference. A JS number is an int index. */
  getitem(o: PyObject, key: PyObject | number): PyObject;
  setitem(o: PyObject, key: PyObject | number, value: PyObject): void;
  delitem(o: PyObject, key: PyObject | number): void;
  /** set.add */
  add_item(set: PyObject, item: PyObject): void;
  contains(container: PyObject, item: PyObject): boolean;
  getattr(o: PyObject, name: string): PyObject;
  setattr(o: PyObject, name: string, value: PyObject): void;
  delattr(o: PyObject, name: string): void;
  hasattr(o: PyObject, name: string): boolean;

  /* ---- reference counts ---- */
  incref(o: PyObject): void;
  decref(o: PyObject): void;
  /** weakref.ref(o, callback): new reference to the weakref object */
  weakref(o: PyObject, callback?: (py: Py, ref: PyObject) => void): PyObject;
  /** ref(): new reference to the referent, or to None when it is dead */
  deref(ref: PyObject): PyObject;

  /* ---- arithmetic and comparison (ints and floats): new references ---- */
  add(a: PyObject, b: PyObject): PyObject;
  sub(a: PyObject, b: PyObject): PyObject;
  mul(a: PyObject, b: PyObject): PyObject;
  floordiv(a: PyObject, b: PyObject): PyObject;
  mod(a: PyObject, b: PyObject): PyObject;
  neg(a: PyObject): PyObject;
  /** comparisons return True or False (immortal; a new reference by the rules, harmless) */
  lt(a: PyObject, b: PyObject): PyObject;
  le(a: PyObject, b: PyObject): PyObject;
  eq(a: PyObject, b: PyObject): PyObject;
  ne(a: PyObject, b: PyObject): PyObject;
  gt(a: PyObject, b: PyObject): PyObject;
  ge(a: PyObject, b: PyObject): PyObject;
  /** `a is b` */
  is(a: PyObject, b: PyObject): boolean;
  /** bool(o) */
  truthy(o: PyObject): boolean;

  /* ---- reading back ---- */
  /** A JS value for the object: number/bigint/string/boolean/null/Uint8Array/arrays/Map/Set;
   *  instances give `{ __class__: name, ...attrs }`. Cycles are cut with '<cycle>'. */
  toJS(o: PyObject): unknown;
  /** type(o).__name__ */
  typeName(o: PyObject): string;

  /* ---- modules ---- */
  readonly sys: SysModule;
  readonly gc: GcModule;
  readonly time: TimeModule;
  readonly threading: ThreadingModule;
  readonly queue: QueueModule;

  /* ---- GIL-visible work ---- */
  /** Simulated blocking I/O: drop the GIL (no drop request), block `ms`, take it back. 0 = ready at once. */
  io(ms: number): void;
  /** C code that releases the GIL for `us` microseconds of real CPU work (like hashlib). */
  nativeCall(us: number): void;
  /** n bytecodes of real CPU work, with a back edge (eval breaker poll) every few bytecodes. */
  compute(n: number): void;
  /** A loop back edge in a thread program: counts one bytecode and polls the eval breaker. */
  tick(): void;
}

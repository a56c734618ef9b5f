/*
 * The `py` surface of one thread: the C API, with CPython's reference rules (types.ts).
 * ====================================================================================
 *
 * A PyImpl is what a thread program calls. It binds the thread's object space (src/objects) to
 * the thread's scheduling (the ThreadOps seam below). Every call:
 *
 *   1. enters: `ops.tick()` counts one bytecode and polls the eval breaker (a drop request, a
 *      stop-the-world, an abort or a scheduled collection is honoured there, as CPython 3.10+
 *      does at calls), then one load tells whether the buffer grew (the views follow);
 *   2. checks its handles (`space.check`): a freed or bogus handle raises PyReferenceError, a
 *      wrong type the Python error CPython raises (TypeError, IndexError, KeyError, ...);
 *   3. does the work in the heap.
 *
 * The ThreadOps seam: everything about threads, time and blocking belongs to the GIL layer
 * (src/gil, src/runtime/threadstate.ts, src/runtime/threading/). A PyImpl takes an object with
 * `tick`, `compute`, `io`, `nativeCall` and the `threading`, `queue`, `time` modules plus the
 * `sys` interval knobs; `singleThreadOps()` (single-thread-ops.ts) is the stand-in for a
 * runtime used from one JS thread with no thread host.
 *
 * The `gc` module is a seam too: a GcModuleFactory makes it. The Runtime plugs in the
 * collector's (src/gc/install.ts); a PyImpl made without one gets `trackingGcModule`
 * (tracking-gc.ts), which knows only what the generation lists know.
 */

import {
  AttributeError,
  IndexError,
  KeyError,
  OverflowError,
  PyTypeError,
  ZeroDivisionError,
} from '../errors.ts';
import { bytesAt, bytesLength, bytesValue, newBytes } from '../objects/bytes.ts';
import {
  dictForEach,
  dictGetItem,
  dictLength,
  dictPop,
  dictSetItem,
  newDict,
} from '../objects/dict.ts';
import { floatValue, newFloat } from '../objects/float.ts';
import { numbersEqual, objectsEqual } from '../objects/hash.ts';
import { intValue, newBigInt, newInt, toIntegerValue } from '../objects/int.ts';
import { intern } from '../objects/intern.ts';
import {
  K_BOOL,
  K_BYTES,
  K_DICT,
  K_FLOAT,
  K_INT,
  K_LIST,
  K_NONE,
  K_OBJECT,
  K_SET,
  K_STR,
  K_TUPLE,
  K_WEAKREF,
  NATIVE_BASE,
  TPFLAGS_MANAGED_DICT,
} from '../objects/kinds.ts';
import { obLock, obLock2, obUnlock, obUnlock2 } from '../objects/critical.ts';
import {
  listAppend,
  listDelItem,
  listGetItemLocked,
  listGetItemRef,
  listReadableLockFree,
  listTouch,
  listItem,
  listLength,
  listPop,
  listSetItem,
  newList,
} from '../objects/list.ts';
import { nativeSpec } from '../objects/native.ts';
import { newSet, setAdd, setContains, setForEach, setLength } from '../objects/set.ts';
import type { ObjectSpace } from '../objects/space.ts';
import { newStr, strCharAt, strCompare, strLength, strValue } from '../objects/str.ts';
import { newTuple, tupleItem, tupleLength } from '../objects/tuple.ts';
import {
  INST_DICT,
  instanceDelAttr,
  instanceForEachAttr,
  instanceGetAttr,
  instanceGetDict,
  instanceSetAttr,
  isHeapType,
  newClass,
  newInstance,
  typeDelAttr,
  typeGetAttr,
  typeSetAttr,
} from '../objects/typeobject.ts';
import { newWeakref, weakrefDeref } from '../objects/weakref.ts';
import type { Runtime } from './runtime.ts';
import { trackingGcModule } from './tracking-gc.ts';
import type {
  GcModule,
  NewClassOptions,
  Py,
  PyObject,
  QueueModule,
  SysModule,
  ThreadingModule,
  TimeModule,
} from './types.ts';

/*
 * Hot-path constants, repeated here as literals on purpose: V8 folds a module's own literal
 * constants into the machine code but loads (and TDZ-checks) an imported binding at every use,
 * about 0.4 ns each on these paths. test/objects/mirrors.test.ts checks every copy against its
 * definition.
 */
const W_REFCNT = 0;
const W_TYPE = 2;
const IMMORTAL_REFCNT = 0x3fffffff;
const T_KIND = 16;
const K_TYPE = 12;
const K_INSTANCE = 13;
export const MIRRORS = { W_REFCNT, W_TYPE, IMMORTAL_REFCNT, T_KIND, K_TYPE, K_INSTANCE };

/* ==================================== the seams ==================================== */

/**
 * What a thread's scheduling provides to its `py`. A hosted thread's come from its ThreadState
 * (threading/ops.ts); `singleThreadOps()` stands in where there is no thread host.
 */
export interface ThreadOps {
  /** A call or back edge: count one bytecode and poll the eval breaker. Must be tiny. */
  tick(): void;
  /** Count n bytecodes without polling (work that is neither a call nor a back edge). */
  count(n: number): void;
  /** n bytecodes of real CPU work, polling at back edges. */
  compute(n: number): void;
  /** Blocking I/O: drop the GIL (no drop request), block `ms`, take it back. */
  io(ms: number): void;
  /** C code that releases the GIL for `us` microseconds of real CPU work. */
  nativeCall(us: number): void;
  readonly threading: ThreadingModule;
  readonly queue: QueueModule;
  readonly time: TimeModule;
  setswitchinterval(seconds: number): void;
  getswitchinterval(): number;
  setcheckinterval(ticks: number): void;
  getcheckinterval(): number;
}

/** Makes the `gc` module of a thread's py (the collector of issue 5 supplies its own). */
export type GcModuleFactory = (py: PyImpl, space: ObjectSpace) => GcModule;

/* ==================================== the surface ==================================== */

type Num = number | bigint;

/** A sequence index i (negative counts from the end) checked against length n, as Python does. */
function seqIndex(i: number, n: number, outOfRange: string): number {
  const j = i < 0 ? i + n : i;
  if (j < 0 || j >= n) throw new IndexError(outOfRange);
  return j;
}

/** A JS number key below every object offset is an int index/key, not a handle. */
function isJsIndex(s: ObjectSpace, key: number): boolean {
  return key < s.minObject;
}

export class PyImpl implements Py {
  /* `declare` fields, assigned in the constructor: V8 tracks their types (a field declared the
   * default way is created as undefined first, and loads through it are untyped) */
  declare readonly None: PyObject;
  declare readonly True: PyObject;
  declare readonly False: PyObject;
  declare readonly rt: Runtime;
  declare readonly space: ObjectSpace;
  declare readonly ops: ThreadOps;
  declare readonly sys: SysModule;
  declare readonly gc: GcModule;
  declare readonly time: TimeModule;
  declare readonly threading: ThreadingModule;
  declare readonly queue: QueueModule;
  protected declare readonly s: ObjectSpace;

  constructor(rt: Runtime, ops: ThreadOps, gcFactory: GcModuleFactory = trackingGcModule) {
    this.rt = rt;
    this.space = rt.space;
    this.s = rt.space;
    this.ops = ops;
    this.None = this.s.None;
    this.True = this.s.True;
    this.False = this.s.False;
    this.s.py = this;
    const s = this.s;
    const self = this;
    this.sys = {
      getrefcount(o: PyObject): number {
        self.enter();
        s.check(o);
        return s.refcount(o) + 1;
      },
      getsizeof(o: PyObject): number {
        self.enter();
        s.check(o);
        return s.getsizeof(o);
      },
      setswitchinterval: (seconds: number) => ops.setswitchinterval(seconds),
      getswitchinterval: () => ops.getswitchinterval(),
      setcheckinterval: (ticks: number) => ops.setcheckinterval(ticks),
      getcheckinterval: () => ops.getcheckinterval(),
    };
    this.time = ops.time;
    this.threading = ops.threading;
    this.queue = ops.queue;
    this.gc = gcFactory(this, s);
  }

  /** Every call: one bytecode and an eval-breaker poll, then follow any growth of the buffer. */
  enter(): void {
    this.ops.tick();
    this.s.syncIfGrown();
  }

  /* ---------------- constructors ---------------- */

  int(v: number | bigint): PyObject {
    this.enter();
    if (typeof v === 'bigint') return newBigInt(this.s, v);
    if (typeof v !== 'number') throw new PyTypeError(`int() argument must be a number, not ${typeof v}`);
    return newInt(this.s, toIntegerValue(v));
  }

  float(v: number): PyObject {
    this.enter();
    if (typeof v !== 'number') throw new PyTypeError(`float() argument must be a number, not ${typeof v}`);
    return newFloat(this.s, v);
  }

  str(v: string): PyObject {
    this.enter();
    if (typeof v !== 'string') throw new PyTypeError(`str() argument must be a string, not ${typeof v}`);
    return newStr(this.s, v);
  }

  bytes(b: Uint8Array | string): PyObject {
    this.enter();
    if (typeof b === 'string') return newBytes(this.s, utf8(b));
    if (!(b instanceof Uint8Array)) throw new PyTypeError('bytes() argument must be a Uint8Array or a string');
    return newBytes(this.s, b);
  }

  tuple(items: readonly PyObject[] = []): PyObject {
    this.enter();
    this.checkAll(items);
    return newTuple(this.s, items);
  }

  list(items: readonly PyObject[] = []): PyObject {
    this.enter();
    this.checkAll(items);
    return newList(this.s, items);
  }

  dict(entries: readonly (readonly [PyObject, PyObject])[] = []): PyObject {
    this.enter();
    for (const [k, v] of entries) {
      this.s.check(k);
      this.s.check(v);
    }
    const d = newDict(this.s);
    try {
      for (const [k, v] of entries) dictSetItem(this.s, d, k, v);
    } catch (e) {
      this.s.decref(d);
      throw e;
    }
    return d;
  }

  set(items: readonly PyObject[] = []): PyObject {
    this.enter();
    this.checkAll(items);
    const o = newSet(this.s);
    try {
      for (const it of items) setAdd(this.s, o, it);
    } catch (e) {
      this.s.decref(o);
      throw e;
    }
    return o;
  }

  object(): PyObject {
    this.enter();
    return this.s.allocObject(16, this.s.staticType(K_OBJECT));
  }

  newClass(name: string, opts: NewClassOptions = {}): PyObject {
    this.enter();
    return newClass(this.s, name, opts as never, this.internFn);
  }

  /** The hot path: check the class, allocate, track. */
  instance(cls: PyObject): PyObject {
    this.ops.tick();
    const s = this.s;
    // No syncIfGrown here: a handle past our views takes the slow path (it syncs), and
    // newInstance checks every other address it writes (the block, the gen-0 tail).
    // a live heap class: its type is `type` (no metaclasses here), its kind INSTANCE, count > 0
    const i32 = s.i32;
    if (
      (cls | 0) !== cls ||
      (cls & s.alignMask) !== 0 ||
      cls < s.minObject ||
      cls >= s.viewBytes ||
      i32[(cls >> 2) + W_TYPE] !== s.typeType ||
      i32[(cls + T_KIND) >> 2] !== K_INSTANCE ||
      !(i32[cls >> 2]! > 0)
    ) {
      return this.instanceSlow(cls);
    }
    return newInstance(s, cls);
  }

  /** Not obviously a live heap class: the full check (it syncs views grown by other threads). */
  private instanceSlow(cls: PyObject): PyObject {
    const s = this.s;
    s.check(cls);
    if (s.kindOf(cls) === K_TYPE && s.i32[(cls + T_KIND) >> 2] === K_INSTANCE) return newInstance(s, cls);
    return this.notInstantiable(cls);
  }

  private notInstantiable(cls: PyObject): never {
    if (this.s.kindOf(cls) !== K_TYPE) throw new PyTypeError(`'${this.s.typeName(cls)}' object is not callable`);
    throw new PyTypeError(`py.instance needs a class made by py.newClass, got the builtin type '${this.s.nameOfType(cls)}'`);
  }

  /* ---------------- containers ---------------- */

  append(list: PyObject, item: PyObject): void {
    this.enter();
    this.s.check(list);
    this.s.check(item);
    this.expectKind(list, K_LIST, 'append');
    listAppend(this.s, list, item);
  }

  pop(list: PyObject, index = -1): PyObject {
    this.enter();
    this.s.check(list);
    this.expectKind(list, K_LIST, 'pop');
    if (!Number.isInteger(index)) throw new PyTypeError('pop index must be an integer');
    return listPop(this.s, list, index);
  }

  len(o: PyObject): number {
    this.enter();
    this.s.check(o);
    return this.lenOf(o);
  }

  protected lenOf(o: PyObject): number {
    const s = this.s;
    switch (s.kindOf(o)) {
      case K_LIST:
        return listLength(s, o);
      case K_TUPLE:
        return tupleLength(s, o);
      case K_DICT:
        return dictLength(s, o);
      case K_SET:
        return setLength(s, o);
      case K_STR:
        return strLength(s, o);
      case K_BYTES:
        return bytesLength(s, o);
      default:
        throw new PyTypeError(`object of type '${s.typeName(o)}' has no len()`);
    }
  }

  getitem(o: PyObject, key: PyObject | number): PyObject {
    this.enter();
    const s = this.s;
    s.check(o);
    const kind = s.kindOf(o);
    if (kind === K_DICT) return this.dictGet(o, key);
    const i = this.indexArg(key);
    switch (kind) {
      case K_LIST: {
        const j = seqIndex(i, listLength(s, o), 'list index out of range');
        const v = listItem(s, o, j);
        s.incref(v);
        return v;
      }
      case K_TUPLE: {
        const j = seqIndex(i, tupleLength(s, o), 'tuple index out of range');
        const v = tupleItem(s, o, j);
        s.incref(v);
        return v;
      }
      case K_STR: {
        const j = seqIndex(i, strLength(s, o), 'string index out of range');
        return newStr(s, String.fromCodePoint(strCharAt(s, o, j)));
      }
      case K_BYTES: {
        const j = seqIndex(i, bytesLength(s, o), 'index out of range');
        return newInt(s, bytesAt(s, o, j));
      }
      default:
        throw new PyTypeError(`'${s.typeName(o)}' object is not subscriptable`);
    }
  }

  setitem(o: PyObject, key: PyObject | number, value: PyObject): void {
    this.enter();
    const s = this.s;
    s.check(o);
    s.check(value);
    const kind = s.kindOf(o);
    if (kind === K_DICT) {
      this.withKey(key, (k) => dictSetItem(s, o, k, value));
      return;
    }
    if (kind === K_LIST) {
      listSetItem(s, o, this.indexArg(key), value);
      return;
    }
    throw new PyTypeError(`'${s.typeName(o)}' object does not support item assignment`);
  }

  delitem(o: PyObject, key: PyObject | number): void {
    this.enter();
    const s = this.s;
    s.check(o);
    const kind = s.kindOf(o);
    if (kind === K_DICT) {
      this.withKey(key, (k) => {
        if (!dictPop(s, o, k)) throw new KeyError(this.repr(k));
      });
      return;
    }
    if (kind === K_LIST) {
      listDelItem(s, o, this.indexArg(key));
      return;
    }
    throw new PyTypeError(`'${s.typeName(o)}' object doesn't support item deletion`);
  }

  add_item(set: PyObject, item: PyObject): void {
    this.enter();
    this.s.check(set);
    this.s.check(item);
    this.expectKind(set, K_SET, 'add');
    setAdd(this.s, set, item);
  }

  contains(container: PyObject, item: PyObject): boolean {
    this.enter();
    const s = this.s;
    s.check(container);
    s.check(item);
    switch (s.kindOf(container)) {
      case K_DICT:
        return dictGetItem(s, container, item) !== 0;
      case K_SET:
        return setContains(s, container, item);
      case K_LIST: {
        const n = listLength(s, container);
        for (let i = 0; i < n; i++) if (this.equal(listItem(s, container, i), item)) return true;
        return false;
      }
      default:
        return this.containsImmutable(container, item);
    }
  }

  /** `in` for tuples and str (immutable: PyImplFT needs no lock) or the TypeError. */
  protected containsImmutable(container: PyObject, item: PyObject): boolean {
    const s = this.s;
    if (s.kindOf(container) === K_TUPLE) {
      const n = tupleLength(s, container);
      for (let i = 0; i < n; i++) if (this.equal(tupleItem(s, container, i), item)) return true;
      return false;
    }
    if (s.kindOf(container) === K_STR) {
      if (s.kindOf(item) !== K_STR) throw new PyTypeError(`'in <string>' requires string as left operand, not ${s.typeName(item)}`);
      return strValue(s, container).includes(strValue(s, item));
    }
    throw new PyTypeError(`argument of type '${s.typeName(container)}' is not iterable`);
  }

  /* ---------------- attributes ---------------- */

  getattr(o: PyObject, name: string): PyObject {
    this.enter();
    const s = this.s;
    s.check(o);
    this.expectName(name);
    const kind = s.kindOf(o);
    if (kind === K_INSTANCE) {
      if (name === '__dict__') return instanceGetDict(s, o);
      const v = instanceGetAttr(s, o, name, () => intern(s, name));
      if (v !== 0) {
        s.incref(v);
        return v;
      }
      const cv = typeGetAttr(s, s.typeOf(o), intern(s, name));
      if (cv !== 0) {
        s.incref(cv);
        return cv;
      }
    } else if (kind === K_TYPE) {
      const v = typeGetAttr(s, o, intern(s, name));
      if (v !== 0) {
        s.incref(v);
        return v;
      }
      if (name === '__name__') return newStr(s, s.nameOfType(o));
      throw new AttributeError(`type object '${s.nameOfType(o)}' has no attribute '${name}'`);
    }
    return this.objectAttr(o, name);
  }

  /** The attributes every object has (__class__), else the AttributeError. */
  protected objectAttr(o: PyObject, name: string): PyObject {
    const s = this.s;
    if (name === '__class__') {
      const t = s.typeOf(o);
      s.incref(t);
      return t;
    }
    throw new AttributeError(`'${s.typeName(o)}' object has no attribute '${name}'`);
  }

  setattr(o: PyObject, name: string, value: PyObject): void {
    this.enter();
    const s = this.s;
    s.check(o);
    s.check(value);
    this.expectName(name);
    const kind = s.kindOf(o);
    if (kind === K_INSTANCE) return instanceSetAttr(s, o, name, () => intern(s, name), value);
    if (kind === K_TYPE) return typeSetAttr(s, o, intern(s, name), value);
    throw new AttributeError(`'${s.typeName(o)}' object has no attribute '${name}'`);
  }

  delattr(o: PyObject, name: string): void {
    this.enter();
    const s = this.s;
    s.check(o);
    this.expectName(name);
    const kind = s.kindOf(o);
    if (kind === K_INSTANCE) return instanceDelAttr(s, o, name, () => intern(s, name));
    if (kind === K_TYPE) return typeDelAttr(s, o, intern(s, name), name);
    throw new AttributeError(`'${s.typeName(o)}' object has no attribute '${name}'`);
  }

  hasattr(o: PyObject, name: string): boolean {
    try {
      this.decref(this.getattr(o, name));
      return true;
    } catch (e) {
      if (e instanceof AttributeError) return false;
      throw e;
    }
  }

  /* ---------------- reference counts ---------------- */

  /*
   * incref and decref count their bytecode but do not poll the eval breaker: in CPython
   * Py_INCREF/Py_DECREF are inline count changes, never a call or a back edge, so a thread is
   * never asked off the GIL there. Loops poll at their back edge (py.tick) as CPython's do.
   */
  incref(o: PyObject): void {
    this.ops.count(1);
    const s = this.s;
    s.syncIfGrown();
    s.check(o);
    s.rc.incref(o);
  }

  /**
   * The hot path under `plain` counts: the handle check and the decrement share their loads. No
   * syncIfGrown: a handle past our views takes the slow path, and the dealloc checks the other
   * addresses it writes (the leaf path its GC neighbours; the dealloc loop syncs first).
   */
  decref(o: PyObject): void {
    this.ops.count(1);
    const s = this.s;
    if (s.plainRc && (o | 0) === o && (o & s.alignMask) === 0 && o >= s.minObject && o < s.viewBytes) {
      const i32 = s.i32;
      const w = o >> 2;
      const rc = i32[w + W_REFCNT]!;
      const t = i32[w + W_TYPE]!;
      // a live object: its type word a type object, its count above zero
      if (rc > 0 && t > 0 && i32[(t >> 2) + W_TYPE] === s.typeType) {
        if (rc >= IMMORTAL_REFCNT) return;
        i32[w + W_REFCNT] = rc - 1;
        if (rc === 1) s.dealloc(o);
        return;
      }
    }
    this.decrefSlow(o);
  }

  /** Other strategies, or not obviously a live object: the full check (it raises). */
  private decrefSlow(o: PyObject): void {
    const s = this.s;
    s.syncIfGrown();
    s.check(o);
    if (s.rc.decref(o)) s.dealloc(o);
  }

  weakref(o: PyObject, callback?: (py: Py, ref: PyObject) => void): PyObject {
    this.enter();
    this.s.check(o);
    if (callback !== undefined && typeof callback !== 'function') throw new PyTypeError('weakref callback must be callable');
    return newWeakref(this.s, o, callback as never);
  }

  deref(ref: PyObject): PyObject {
    this.enter();
    this.s.check(ref);
    this.expectKind(ref, K_WEAKREF, '__call__');
    return weakrefDeref(this.s, ref);
  }

  /* ---------------- arithmetic ---------------- */

  add(a: PyObject, b: PyObject): PyObject {
    return this.arith(a, b, '+');
  }
  sub(a: PyObject, b: PyObject): PyObject {
    return this.arith(a, b, '-');
  }
  mul(a: PyObject, b: PyObject): PyObject {
    return this.arith(a, b, '*');
  }
  floordiv(a: PyObject, b: PyObject): PyObject {
    return this.arith(a, b, '//');
  }
  mod(a: PyObject, b: PyObject): PyObject {
    return this.arith(a, b, '%');
  }

  neg(a: PyObject): PyObject {
    this.enter();
    const s = this.s;
    s.check(a);
    const k = s.kindOf(a);
    if (k === K_FLOAT) return newFloat(s, -floatValue(s, a));
    if (k === K_INT || k === K_BOOL) {
      const v = intValue(s, a);
      return typeof v === 'bigint' ? newBigInt(s, -v) : newInt(s, v === 0 ? 0 : -v);
    }
    throw new PyTypeError(`bad operand type for unary -: '${s.typeName(a)}'`);
  }

  private arith(a: PyObject, b: PyObject, op: string): PyObject {
    this.enter();
    const s = this.s;
    s.check(a);
    s.check(b);
    const ka = s.kindOf(a);
    const kb = s.kindOf(b);
    const ia = ka === K_INT || ka === K_BOOL;
    const ib = kb === K_INT || kb === K_BOOL;
    if (ia && ib) return this.intOp(intValue(s, a), intValue(s, b), op);
    if ((ia || ka === K_FLOAT) && (ib || kb === K_FLOAT)) return newFloat(s, floatOp(this.toFloat(a, ka), this.toFloat(b, kb), op));
    return this.seqOp(a, b, ka, kb, op);
  }

  private toFloat(o: PyObject, kind: number): number {
    if (kind === K_FLOAT) return floatValue(this.s, o);
    const v = intValue(this.s, o);
    if (typeof v === 'number') return v;
    const f = Number(v);
    if (!Number.isFinite(f)) throw new OverflowError('int too large to convert to float');
    return f;
  }

  private intOp(x: Num, y: Num, op: string): PyObject {
    const s = this.s;
    if (typeof x === 'number' && typeof y === 'number') {
      let r: number;
      switch (op) {
        case '+':
          r = x + y;
          break;
        case '-':
          r = x - y;
          break;
        case '*':
          r = x * y;
          break;
        case '//':
          if (y === 0) throw new ZeroDivisionError('integer division or modulo by zero');
          r = Math.floor(x / y);
          if (!(Math.abs(x) < 2 ** 52 && Math.abs(y) < 2 ** 52)) return this.bigOp(BigInt(x), BigInt(y), op);
          break;
        default:
          if (y === 0) throw new ZeroDivisionError('integer modulo by zero');
          r = x % y;
          if (r !== 0 && r < 0 !== y < 0) r += y;
          break;
      }
      if (Number.isSafeInteger(r)) return newInt(s, r === 0 ? 0 : r);
      return this.bigOp(BigInt(x), BigInt(y), op);
    }
    return this.bigOp(BigInt(x), BigInt(y), op);
  }

  private bigOp(x: bigint, y: bigint, op: string): PyObject {
    let r: bigint;
    switch (op) {
      case '+':
        r = x + y;
        break;
      case '-':
        r = x - y;
        break;
      case '*':
        r = x * y;
        break;
      case '//':
        if (y === 0n) throw new ZeroDivisionError('integer division or modulo by zero');
        r = x / y;
        if (x % y !== 0n && x < 0n !== y < 0n) r -= 1n;
        break;
      default:
        if (y === 0n) throw new ZeroDivisionError('integer modulo by zero');
        r = x % y;
        if (r !== 0n && r < 0n !== y < 0n) r += y;
    }
    return newBigInt(this.s, r);
  }

  /** + and * on sequences (concatenation, repetition); anything else is a TypeError. */
  private seqOp(a: PyObject, b: PyObject, ka: number, kb: number, op: string): PyObject {
    const s = this.s;
    if (op === '+' && ka === kb && (ka === K_STR || ka === K_LIST || ka === K_TUPLE)) {
      if (ka === K_STR) return newStr(s, strValue(s, a) + strValue(s, b));
      const items = [...this.itemsOf(a), ...this.itemsOf(b)];
      return ka === K_LIST ? newList(s, items) : newTuple(s, items);
    }
    if (op === '*' && (ka === K_STR || ka === K_LIST || ka === K_TUPLE) && (kb === K_INT || kb === K_BOOL)) {
      const n = Math.max(0, Number(intValue(s, b)));
      if (ka === K_STR) return newStr(s, strValue(s, a).repeat(n));
      const one = this.itemsOf(a);
      const items: number[] = [];
      for (let i = 0; i < n; i++) items.push(...one);
      return ka === K_LIST ? newList(s, items) : newTuple(s, items);
    }
    throw new PyTypeError(`unsupported operand type(s) for ${op}: '${s.typeName(a)}' and '${s.typeName(b)}'`);
  }

  /* ---------------- comparison ---------------- */

  lt(a: PyObject, b: PyObject): PyObject {
    return this.order(a, b, '<') ? this.True : this.False;
  }
  le(a: PyObject, b: PyObject): PyObject {
    return this.order(a, b, '<=') ? this.True : this.False;
  }
  gt(a: PyObject, b: PyObject): PyObject {
    return this.order(a, b, '>') ? this.True : this.False;
  }
  ge(a: PyObject, b: PyObject): PyObject {
    return this.order(a, b, '>=') ? this.True : this.False;
  }

  eq(a: PyObject, b: PyObject): PyObject {
    this.enter();
    this.s.check(a);
    this.s.check(b);
    return this.equal(a, b) ? this.True : this.False;
  }

  ne(a: PyObject, b: PyObject): PyObject {
    this.enter();
    this.s.check(a);
    this.s.check(b);
    return this.equal(a, b) ? this.False : this.True;
  }

  is(a: PyObject, b: PyObject): boolean {
    this.enter();
    return a === b;
  }

  truthy(o: PyObject): boolean {
    this.enter();
    const s = this.s;
    s.check(o);
    switch (s.kindOf(o)) {
      case K_NONE:
        return false;
      case K_INT:
      case K_BOOL:
        return s.i32[(o >> 2) + 4] !== 0;
      case K_FLOAT:
        return floatValue(s, o) !== 0;
      case K_STR:
      case K_BYTES:
      case K_TUPLE:
      case K_LIST:
      case K_DICT:
      case K_SET:
        return this.lenOf(o) > 0;
      default:
        return true;
    }
  }

  private order(a: PyObject, b: PyObject, op: string): boolean {
    this.enter();
    this.s.check(a);
    this.s.check(b);
    const c = this.compare(a, b, op);
    switch (op) {
      case '<':
        return c < 0;
      case '<=':
        return c <= 0;
      case '>':
        return c > 0;
      default:
        return c >= 0;
    }
  }

  /** Three-way comparison for ordering (numbers, str, bytes, tuples and lists). NaN compares false. */
  private compare(a: PyObject, b: PyObject, op: string): number {
    const s = this.s;
    const ka = s.kindOf(a);
    const kb = s.kindOf(b);
    const na = ka === K_INT || ka === K_BOOL || ka === K_FLOAT;
    const nb = kb === K_INT || kb === K_BOOL || kb === K_FLOAT;
    if (na && nb) {
      const x = ka === K_FLOAT ? floatValue(s, a) : intValue(s, a);
      const y = kb === K_FLOAT ? floatValue(s, b) : intValue(s, b);
      if (x < y) return -1;
      if (x > y) return 1;
      return numbersEqual(x, y) ? 0 : NaN;
    }
    if (ka === kb && ka === K_STR) return strCompare(s, a, b);
    if (ka === kb && ka === K_BYTES) {
      const x = bytesValue(s, a);
      const y = bytesValue(s, b);
      for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
      return x.length - y.length;
    }
    if (ka === kb && (ka === K_TUPLE || ka === K_LIST)) {
      const x = this.itemsOf(a);
      const y = this.itemsOf(b);
      for (let i = 0; i < Math.min(x.length, y.length); i++) {
        if (!this.equal(x[i]!, y[i]!)) return this.compare(x[i]!, y[i]!, op);
      }
      return x.length - y.length;
    }
    throw new PyTypeError(`'${op}' not supported between instances of '${s.typeName(a)}' and '${s.typeName(b)}'`);
  }

  /** == : numbers by value, str/bytes by content, sequences, dicts and sets item-wise, else identity. */
  protected equal(a: PyObject, b: PyObject): boolean {
    if (a === b) return true;
    const s = this.s;
    const ka = s.kindOf(a);
    const kb = s.kindOf(b);
    if (ka !== kb || (ka !== K_LIST && ka !== K_DICT && ka !== K_SET)) return objectsEqual(s, a, b);
    if (ka === K_LIST) {
      const x = this.itemsOf(a);
      const y = this.itemsOf(b);
      return x.length === y.length && x.every((v, i) => this.equal(v, y[i]!));
    }
    if (ka === K_SET) {
      if (setLength(s, a) !== setLength(s, b)) return false;
      return this.setKeys(a).every((k) => this.setHas(b, k));
    }
    if (dictLength(s, a) !== dictLength(s, b)) return false;
    const ea = this.dictEntries(a);
    for (let i = 0; i < ea.length; i += 2) {
      const w = this.dictLookup(b, ea[i]!);
      if (w === 0 || !this.equal(ea[i + 1]!, w)) return false;
    }
    return true;
  }

  /* ---------------- reading back ---------------- */

  toJS(o: PyObject): unknown {
    this.enter();
    this.s.check(o);
    return this.js(o, new Set());
  }

  typeName(o: PyObject): string {
    this.enter();
    this.s.check(o);
    return this.s.typeName(o);
  }

  private js(o: PyObject, open: Set<number>): unknown {
    const s = this.s;
    const kind = s.kindOf(o);
    switch (kind) {
      case K_NONE:
        return null;
      case K_BOOL:
        return o === this.True;
      case K_INT:
        return intValue(s, o);
      case K_FLOAT:
        return floatValue(s, o);
      case K_STR:
        return strValue(s, o);
      case K_BYTES:
        return bytesValue(s, o);
      case K_OBJECT:
        return { __class__: 'object' };
      case K_WEAKREF:
        return { __class__: 'weakref' };
      case K_TYPE:
        return { __class__: 'type', __name__: s.nameOfType(o) };
      default:
        break;
    }
    if (kind >= NATIVE_BASE) {
      const spec = nativeSpec(s, o);
      return spec.toJS ? spec.toJS(s, o) : { __class__: s.typeName(o) };
    }
    if (open.has(o)) return '<cycle>';
    open.add(o);
    try {
      switch (kind) {
        case K_LIST:
        case K_TUPLE:
          return this.itemsOf(o).map((v) => this.js(v, open));
        case K_DICT: {
          const m = new Map<unknown, unknown>();
          const e = this.dictEntries(o);
          for (let i = 0; i < e.length; i += 2) m.set(this.js(e[i]!, open), this.js(e[i + 1]!, open));
          return m;
        }
        case K_SET:
          return new Set<unknown>(this.setKeys(o).map((k) => this.js(k, open)));
        default: {
          const out: Record<string, unknown> = { __class__: s.typeName(o) };
          instanceForEachAttr(s, o, (name, v) => {
            out[strValue(s, name)] = this.js(v, open);
          });
          return out;
        }
      }
    } finally {
      open.delete(o);
    }
  }

  /* ---------------- GIL-visible work (the ThreadOps seam) ---------------- */

  io(ms: number): void {
    this.enter();
    this.ops.io(ms);
    this.s.syncIfGrown();
  }

  nativeCall(us: number): void {
    this.enter();
    this.ops.nativeCall(us);
    this.s.syncIfGrown();
  }

  compute(n: number): void {
    this.ops.compute(n);
    this.s.syncIfGrown();
  }

  tick(): void {
    this.ops.tick();
    this.s.syncIfGrown();
  }

  /* ---------------- helpers ---------------- */

  /** interned str for a name (a stable function, so no closure per call) */
  private readonly internFn = (name: string): number => intern(this.s, name);

  protected checkAll(items: readonly PyObject[]): void {
    if (!Array.isArray(items)) throw new PyTypeError('expected an array of object handles');
    for (let i = 0; i < items.length; i++) this.s.check(items[i]!);
  }

  protected expectKind(o: PyObject, kind: number, method: string): void {
    if (this.s.kindOf(o) !== kind) {
      throw new AttributeError(`'${this.s.typeName(o)}' object has no attribute '${method}'`);
    }
  }

  protected expectName(name: string): void {
    if (typeof name !== 'string') throw new PyTypeError(`attribute name must be string, not '${typeof name}'`);
  }

  /** A sequence index from a JS number or an int object. */
  protected indexArg(key: PyObject | number): number {
    const s = this.s;
    if (typeof key !== 'number') throw new PyTypeError('indices must be integers');
    if (isJsIndex(s, key)) {
      if (!Number.isInteger(key)) throw new PyTypeError('indices must be integers, not float');
      return key;
    }
    s.check(key);
    const k = s.kindOf(key);
    if (k !== K_INT && k !== K_BOOL) throw new PyTypeError(`list indices must be integers or slices, not ${s.typeName(key)}`);
    const v = intValue(s, key);
    if (typeof v === 'bigint') throw new IndexError("cannot fit 'int' into an index-sized integer");
    return v;
  }

  /** Run fn with a key object: the handle itself, or a temporary int for a JS number. */
  protected withKey(key: PyObject | number, fn: (k: number) => void): void {
    const s = this.s;
    if (typeof key === 'number' && isJsIndex(s, key)) {
      const k = newInt(s, toIntegerValue(key));
      try {
        fn(k);
      } finally {
        s.decref(k);
      }
      return;
    }
    s.check(key);
    fn(key);
  }

  protected dictGet(d: PyObject, key: PyObject | number): PyObject {
    const s = this.s;
    let v = 0;
    let missing = 0;
    this.withKey(key, (k) => {
      v = dictGetItem(s, d, k);
      if (v === 0) missing = k;
    });
    if (v === 0) throw this.missingKey(key, missing);
    s.incref(v);
    return v;
  }

  /** The KeyError of a failed d[key]: a JS number key shows as itself, a handle as its repr. */
  protected missingKey(key: PyObject | number, missing: PyObject): KeyError {
    return new KeyError(typeof key === 'number' && isJsIndex(this.s, key) ? String(key) : this.repr(missing));
  }

  /** A dict's entries as [key, value, key, value, ...] (borrowed; PyImplFT: a locked snapshot). */
  protected dictEntries(d: PyObject): number[] {
    const out: number[] = [];
    dictForEach(this.s, d, (k, v) => out.push(k, v));
    return out;
  }

  /** A set's keys (borrowed; PyImplFT: a locked snapshot). */
  protected setKeys(o: PyObject): number[] {
    const out: number[] = [];
    setForEach(this.s, o, (k) => out.push(k));
    return out;
  }

  /** d[key] borrowed, or 0 (PyImplFT: under d's lock). */
  protected dictLookup(d: PyObject, key: PyObject): number {
    return dictGetItem(this.s, d, key);
  }

  /** key in set (PyImplFT: under the set's lock). */
  protected setHas(o: PyObject, key: PyObject): boolean {
    return setContains(this.s, o, key);
  }

  /** A list's or tuple's items (borrowed; PyImplFT: a locked snapshot holding references). */
  protected itemsOf(o: PyObject): number[] {
    const s = this.s;
    const out: number[] = [];
    if (s.kindOf(o) === K_LIST) for (let i = 0, n = listLength(s, o); i < n; i++) out.push(listItem(s, o, i));
    else for (let i = 0, n = tupleLength(s, o); i < n; i++) out.push(tupleItem(s, o, i));
    return out;
  }

  /** repr() for error messages (KeyError shows the key's repr, as Python). */
  repr(o: PyObject): string {
    const s = this.s;
    switch (s.kindOf(o)) {
      case K_NONE:
        return 'None';
      case K_BOOL:
        return o === this.True ? 'True' : 'False';
      case K_INT:
        return String(intValue(s, o));
      case K_FLOAT: {
        const v = floatValue(s, o);
        return Number.isInteger(v) ? v.toFixed(1) : String(v);
      }
      case K_STR: {
        const v = strValue(s, o);
        return v.includes("'") && !v.includes('"') ? `"${v}"` : `'${v.replace(/'/g, "\\'")}'`;
      }
      case K_TUPLE: {
        const items = this.itemsOf(o).map((v) => this.repr(v));
        return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
      }
      default:
        return `<${s.typeName(o)} object at 0x${o.toString(16)}>`;
    }
  }

  /** Is t a heap class (made by py.newClass)? */
  isClass(t: PyObject): boolean {
    return this.s.kindOf(t) === K_TYPE && isHeapType(this.s, t);
  }
}

function floatOp(x: number, y: number, op: string): number {
  switch (op) {
    case '+':
      return x + y;
    case '-':
      return x - y;
    case '*':
      return x * y;
    case '//':
      if (y === 0) throw new ZeroDivisionError('float floor division by zero');
      return Math.floor(x / y);
    default: {
      if (y === 0) throw new ZeroDivisionError('float modulo');
      let r = x % y;
      if (r !== 0 && r < 0 !== y < 0) r += y;
      else if (r === 0) r = y < 0 ? -0 : 0;
      return r;
    }
  }
}

function utf8(str: string): Uint8Array {
  const out: number[] = [];
  for (const ch of str) {
    const c = ch.codePointAt(0)!;
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return Uint8Array.from(out);
}

/* ============================ the free-threaded surface ============================ */

/**
 * PyImplFT: the `py` of a thread in a runtime without a GIL (config.gil 'none'), chosen once
 * when the runtime makes a `py` (Runtime.pyFor), so that the GIL's PyImpl keeps its paths as
 * they are. What changes (objects/critical.ts explains the locks):
 *
 *   list/dict/set mutation    under the container's lock (a critical section); objects whose
 *                             count reaches zero inside it are deallocated after the unlock
 *   list[i]                   read without the lock, the lock word as a sequence lock, the item
 *                             taken with tryIncref (list.ts listGetItemRef); else under the lock.
 *                             A list used by a thread other than its maker becomes shared
 *                             (listTouch): its items, now and later, are marked OB_SHARED, so
 *                             their memory goes back through QSBR; a thread's private lists cost
 *                             no deferred frees
 *   dict[k], k in d/s          under the container's lock, the reference taken inside it
 *   attributes                an instance together with its class (the shared keys of the class
 *                             are written by every instance), a class alone
 *   ==, <, toJS, +, *         on containers: each container read once, under its lock, into a
 *                             snapshot holding references (dropped when the call ends), never two
 *                             container locks at once (a cycle of containers cannot deadlock)
 *   a collection threshold    reached inside a critical section is scheduled for the next poll
 *                             instead of run there (a lock is never held across stop-the-world)
 *
 * A critical section never polls the eval breaker nor blocks, so a thread holding a container
 * lock never parks; nothing that enters (`this.enter()`) runs while a lock is held. Right after
 * taking a lock the views follow any growth of the buffer: the previous holder may have put the
 * container's items in memory carved after this thread's last look (a write past a stale view
 * would be silently lost).
 */
export class PyImplFT extends PyImpl {
  /** references taken by snapshots during the current call; dropped when it ends */
  private readonly held: number[] = [];
  /** the list type object (the getitem fast path compares with it) */
  private declare readonly listType: number;

  constructor(rt: Runtime, ops: ThreadOps, gcFactory: GcModuleFactory = trackingGcModule) {
    super(rt, ops, gcFactory);
    const s = this.s;
    this.listType = s.staticType(K_LIST);
    const collect = s.onGcThreshold;
    s.onGcThreshold = () => {
      if (s.deferring) rt.threads.current?.scheduleGc();
      else collect();
    };
  }

  /* ---- critical sections ---- */

  /** Run fn with o locked; deallocations wait until the lock is released. */
  private locked<T>(o: PyObject, fn: () => T): T {
    const s = this.s;
    const defer = s.deferDeallocs();
    obLock(s.i32, o);
    s.syncIfGrown(); // the holder before us may have grown the buffer
    try {
      return fn();
    } finally {
      obUnlock(s.i32, o);
      if (defer) s.endDeferral();
    }
  }

  /** Run fn with a and b locked (address order). */
  private locked2<T>(a: PyObject, b: PyObject, fn: () => T): T {
    const s = this.s;
    const defer = s.deferDeallocs();
    obLock2(s.i32, a, b);
    s.syncIfGrown();
    try {
      return fn();
    } finally {
      obUnlock2(s.i32, a, b);
      if (defer) s.endDeferral();
    }
  }

  /** An instance with its class (its shared keys), and its materialised __dict__ if it has one. */
  private lockedInstance<T>(o: PyObject, fn: () => T): T {
    const s = this.s;
    const t = s.typeOf(o);
    return this.locked2(o, t, () => {
      const dict = s.i32[(o + INST_DICT) >> 2]!;
      if (dict === 0 || !isHeapType(s, t) || (s.typeFlags(t) & TPFLAGS_MANAGED_DICT) === 0) return fn();
      obLock(s.i32, dict);
      try {
        return fn();
      } finally {
        obUnlock(s.i32, dict);
      }
    });
  }

  /** A class's dict is changed under the class's lock (static types are immutable: no lock). */
  private lockedType<T>(t: PyObject, fn: () => T): T {
    return this.s.isGC(t) ? this.locked(t, fn) : fn();
  }

  /** Run fn; drop the references snapshots took meanwhile. */
  private holding<T>(fn: () => T): T {
    const mark = this.held.length;
    try {
      return fn();
    } finally {
      const held = this.held;
      while (held.length > mark) this.s.decref(held.pop()!);
    }
  }

  private hold(items: number[]): number[] {
    for (let i = 0; i < items.length; i++) {
      this.s.incref(items[i]!);
      this.held.push(items[i]!);
    }
    return items;
  }

  /* ---- snapshots (used by ==, <, toJS, +, *, in) ---- */

  protected override itemsOf(o: PyObject): number[] {
    if (this.s.kindOf(o) !== K_LIST) return super.itemsOf(o);
    return this.locked(o, () => {
      listTouch(this.s, o);
      return this.hold(super.itemsOf(o));
    });
  }

  protected override dictEntries(d: PyObject): number[] {
    return this.locked(d, () => this.hold(super.dictEntries(d)));
  }

  protected override setKeys(o: PyObject): number[] {
    return this.locked(o, () => this.hold(super.setKeys(o)));
  }

  protected override dictLookup(d: PyObject, key: PyObject): number {
    return this.locked(d, () => {
      const v = dictGetItem(this.s, d, key);
      if (v !== 0) this.hold([v]);
      return v;
    });
  }

  protected override setHas(o: PyObject, key: PyObject): boolean {
    return this.locked(o, () => setContains(this.s, o, key));
  }

  override eq(a: PyObject, b: PyObject): PyObject {
    return this.holding(() => super.eq(a, b));
  }
  override ne(a: PyObject, b: PyObject): PyObject {
    return this.holding(() => super.ne(a, b));
  }
  override lt(a: PyObject, b: PyObject): PyObject {
    return this.holding(() => super.lt(a, b));
  }
  override le(a: PyObject, b: PyObject): PyObject {
    return this.holding(() => super.le(a, b));
  }
  override gt(a: PyObject, b: PyObject): PyObject {
    return this.holding(() => super.gt(a, b));
  }
  override ge(a: PyObject, b: PyObject): PyObject {
    return this.holding(() => super.ge(a, b));
  }
  override toJS(o: PyObject): unknown {
    return this.holding(() => super.toJS(o));
  }
  override add(a: PyObject, b: PyObject): PyObject {
    return this.holding(() => super.add(a, b));
  }
  override mul(a: PyObject, b: PyObject): PyObject {
    return this.holding(() => super.mul(a, b));
  }

  /* ---- containers ---- */

  override append(list: PyObject, item: PyObject): void {
    this.enter();
    const s = this.s;
    s.check(list);
    s.check(item);
    this.expectKind(list, K_LIST, 'append');
    obLock(s.i32, list);
    s.syncIfGrown();
    try {
      if (listTouch(s, list)) s.markShared(item);
      listAppend(s, list, item);
    } finally {
      obUnlock(s.i32, list);
    }
  }

  override pop(list: PyObject, index = -1): PyObject {
    this.enter();
    const s = this.s;
    s.check(list);
    this.expectKind(list, K_LIST, 'pop');
    if (!Number.isInteger(index)) throw new PyTypeError('pop index must be an integer');
    obLock(s.i32, list);
    s.syncIfGrown();
    try {
      listTouch(s, list);
      return listPop(s, list, index);
    } finally {
      obUnlock(s.i32, list);
    }
  }

  override getitem(o: PyObject, key: PyObject | number): PyObject {
    const s = this.s;
    // a list (one look at the type word: a bogus handle goes to the full checks of super)
    if ((o | 0) === o && o >= s.minObject && o < s.viewBytes && (o & s.alignMask) === 0 && s.i32[(o >> 2) + W_TYPE] === this.listType) {
      this.enter();
      s.check(o);
      const i = this.indexArg(key);
      const v = listReadableLockFree(s, o) ? listGetItemRef(s, o, i) : 0;
      return v !== 0 ? v : listGetItemLocked(s, o, i); // 0: LIST_READ_RETRY
    }
    return super.getitem(o, key); // dicts: dictGet below; tuples, str, bytes: immutable
  }

  protected override dictGet(d: PyObject, key: PyObject | number): PyObject {
    const s = this.s;
    let v = 0;
    let missing = 0;
    this.withKey(key, (k) => {
      v = this.locked(d, () => {
        const found = dictGetItem(s, d, k);
        if (found !== 0) s.incref(found);
        return found;
      });
      if (v === 0) missing = k;
    });
    if (v === 0) throw this.missingKey(key, missing);
    return v;
  }

  override setitem(o: PyObject, key: PyObject | number, value: PyObject): void {
    this.enter();
    const s = this.s;
    s.check(o);
    s.check(value);
    const kind = s.kindOf(o);
    if (kind === K_DICT) {
      this.withKey(key, (k) => this.locked(o, () => dictSetItem(s, o, k, value)));
      return;
    }
    if (kind === K_LIST) {
      const i = this.indexArg(key);
      this.locked(o, () => {
        if (listTouch(s, o)) s.markShared(value);
        listSetItem(s, o, i, value);
      });
      return;
    }
    throw new PyTypeError(`'${s.typeName(o)}' object does not support item assignment`);
  }

  override delitem(o: PyObject, key: PyObject | number): void {
    this.enter();
    const s = this.s;
    s.check(o);
    const kind = s.kindOf(o);
    if (kind === K_DICT) {
      this.withKey(key, (k) => {
        const found = this.locked(o, () => dictPop(s, o, k));
        if (!found) throw new KeyError(this.repr(k));
      });
      return;
    }
    if (kind === K_LIST) {
      const i = this.indexArg(key);
      this.locked(o, () => {
        listTouch(s, o);
        listDelItem(s, o, i);
      });
      return;
    }
    throw new PyTypeError(`'${s.typeName(o)}' object doesn't support item deletion`);
  }

  override add_item(set: PyObject, item: PyObject): void {
    this.enter();
    const s = this.s;
    s.check(set);
    s.check(item);
    this.expectKind(set, K_SET, 'add');
    this.locked(set, () => setAdd(s, set, item));
  }

  override contains(container: PyObject, item: PyObject): boolean {
    this.enter();
    const s = this.s;
    s.check(container);
    s.check(item);
    switch (s.kindOf(container)) {
      case K_DICT:
        return this.locked(container, () => dictGetItem(s, container, item) !== 0);
      case K_SET:
        return this.locked(container, () => setContains(s, container, item));
      case K_LIST:
        return this.holding(() => this.itemsOf(container).some((v) => this.equal(v, item)));
      default:
        return this.containsImmutable(container, item); // tuples, str: no lock
    }
  }

  /* ---- attributes ---- */

  override getattr(o: PyObject, name: string): PyObject {
    this.enter();
    const s = this.s;
    s.check(o);
    this.expectName(name);
    const kind = s.kindOf(o);
    if (kind === K_INSTANCE) {
      if (name === '__dict__') return this.lockedInstance(o, () => instanceGetDict(s, o));
      const v = this.lockedInstance(o, () => {
        let found = instanceGetAttr(s, o, name, () => intern(s, name));
        if (found === 0) found = typeGetAttr(s, s.typeOf(o), intern(s, name));
        if (found !== 0) s.incref(found);
        return found;
      });
      if (v !== 0) return v;
    } else if (kind === K_TYPE) {
      const key = intern(s, name);
      const v = this.lockedType(o, () => {
        const found = typeGetAttr(s, o, key);
        if (found !== 0) s.incref(found);
        return found;
      });
      if (v !== 0) return v;
      if (name === '__name__') return newStr(s, s.nameOfType(o));
      throw new AttributeError(`type object '${s.nameOfType(o)}' has no attribute '${name}'`);
    }
    return this.objectAttr(o, name);
  }

  override setattr(o: PyObject, name: string, value: PyObject): void {
    this.enter();
    const s = this.s;
    s.check(o);
    s.check(value);
    this.expectName(name);
    const kind = s.kindOf(o);
    if (kind === K_INSTANCE) return this.lockedInstance(o, () => instanceSetAttr(s, o, name, () => intern(s, name), value));
    if (kind === K_TYPE) {
      const key = intern(s, name);
      return this.lockedType(o, () => typeSetAttr(s, o, key, value));
    }
    throw new AttributeError(`'${s.typeName(o)}' object has no attribute '${name}'`);
  }

  override delattr(o: PyObject, name: string): void {
    this.enter();
    const s = this.s;
    s.check(o);
    this.expectName(name);
    const kind = s.kindOf(o);
    if (kind === K_INSTANCE) return this.lockedInstance(o, () => instanceDelAttr(s, o, name, () => intern(s, name)));
    if (kind === K_TYPE) {
      const key = intern(s, name);
      return this.lockedType(o, () => typeDelAttr(s, o, key, name));
    }
    throw new AttributeError(`'${s.typeName(o)}' object has no attribute '${name}'`);
  }
}

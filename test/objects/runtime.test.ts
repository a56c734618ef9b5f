/*
 * Runtime.create / Runtime.attach share one object space through the buffer; native objects
 * (the seam threading.Lock and queue.Queue use) live in the heap with their own hooks.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, PyReferenceError } from '../../src/errors.ts';
import { defineNativeType, nativeType, allocNative, NATIVE_PAYLOAD } from '../../src/objects/native.ts';
import type { ObjectSpace, Visit } from '../../src/objects/space.ts';
import { singleThreadOps } from '../../src/runtime/single-thread-ops.ts';
import { Runtime } from '../../src/runtime/runtime.ts';
import { blocksInUse, makeRuntime } from './helpers.ts';

describe('Runtime', () => {
  it('attach sees the creator objects, statics and interned names through the buffer', () => {
    const { rt, py } = makeRuntime();
    const A = py.newClass('Point', { slots: ['x', 'y'] });
    const p = py.instance(A);
    const x = py.int(123456);
    py.setattr(p, 'x', x);
    const l = py.list([p, x, py.None]);
    const rt2 = Runtime.attach(rt.sab);
    const py2 = rt2.pyFor(singleThreadOps(rt2.config));
    expect(py2.None).toBe(py.None);
    expect(rt2.config).toEqual(rt.config);
    expect(py2.typeName(p)).toBe('Point');
    expect(py2.toJS(l)).toEqual([{ __class__: 'Point', x: 123456 }, 123456, null]);
    const got = py2.getattr(p, 'x');
    expect(got).toBe(x);
    py2.decref(got);
    // a second thread's objects are the same heap's: it can free the creator's objects
    py2.decref(l);
    expect(py.sys.getrefcount(p)).toBe(2);
    expect(rt2.verifyHeap()).toEqual([]);
    for (const o of [p, x, A]) py.decref(o);
    expect(() => Runtime.attach(new SharedArrayBuffer(1024, { maxByteLength: 2048 }))).toThrow();
  });

  it('profile / python select the configuration and the allocator geometry', () => {
    const { rt: legacy, py } = makeRuntime({ profile: '2.7' });
    expect(legacy.config.heapProfile).toBe('legacy');
    expect(legacy.layout.geometry.ALIGNMENT).toBe(8);
    const o = py.object();
    expect(py.sys.getsizeof(o)).toBe(16);
    const l = py.list([o]);
    expect(py.len(l)).toBe(1);
    py.decref(l);
    py.decref(o);
    expect(() => Runtime.create({ profile: '3.11', python: '3.13' })).toThrow(ConfigError);
    const { rt: ft } = makeRuntime({ profile: '3.13t' });
    expect(ft.space.rc.kind).toBe('biased'); // PEP 703: the 3.13t default (issue 7)
    expect(ft.space.gcl.locking).toBe(true);
  });

  it('the verifier reports a container that references a freed block', () => {
    const { rt, py } = makeRuntime();
    const l = py.list();
    const f = py.float(1.25);
    py.append(l, f);
    py.decref(f);
    // corrupt on purpose: free the float behind the list's back
    rt.space.decref(f);
    expect(() => py.toJS(f)).toThrow(PyReferenceError);
    const errors = rt.verifyHeap();
    expect(errors.some((e) => e.includes('not a live object'))).toBe(true);
    // repair so the after-each check passes: drop the stale item without touching it
    const item = rt.space.i32[(rt.space.i32[(l + 24) >> 2]! >> 2)]!;
    expect(item).toBe(f);
    rt.space.i32[(l + 16) >> 2] = 0;
    py.decref(l);
  });
});

describe('native objects', () => {
  interface Box {
    item: number;
  }
  const spec = defineNativeType({
    name: 'test.Box',
    payloadBytes: 8,
    gc: true,
    traverse<A>(s: ObjectSpace, o: number, visit: Visit<A>, arg: A) {
      const item = s.i32[(o + NATIVE_PAYLOAD) >> 2]!;
      if (item !== 0) visit(item, arg);
    },
    clear(s: ObjectSpace, o: number) {
      const item = s.i32[(o + NATIVE_PAYLOAD) >> 2]!;
      s.i32[(o + NATIVE_PAYLOAD) >> 2] = 0;
      s.xdecref(item);
    },
    dealloc(s: ObjectSpace, o: number) {
      this.clear!(s, o);
    },
    toJS: (s: ObjectSpace, o: number): Box => ({ item: s.i32[(o + NATIVE_PAYLOAD) >> 2]! }),
  });

  it('allocate, hold a reference, traverse, free', () => {
    const { rt, py } = makeRuntime();
    const s = rt.space;
    const before = blocksInUse(rt);
    const t = nativeType(s, spec);
    expect(nativeType(s, spec)).toBe(t); // found again by name
    const box = allocNative(s, t);
    const inner = py.list();
    s.incref(inner);
    s.i32[(box + NATIVE_PAYLOAD) >> 2] = inner;
    expect(py.typeName(box)).toBe('test.Box');
    expect(py.sys.getsizeof(box)).toBe(16 + 8 + 16); // header + payload + GC header
    expect(py.gc.is_tracked(box)).toBe(true);
    const refs = py.gc.get_referents(box);
    expect(py.toJS(refs)).toEqual([[]]);
    py.decref(refs);
    expect(py.toJS(box)).toEqual({ item: inner });
    expect(py.sys.getrefcount(inner)).toBe(3);
    py.decref(inner);
    py.decref(box); // its dealloc hook drops the list
    expect(blocksInUse(rt)).toEqual(before);
  });
});

describe('where py calls poll the eval breaker', () => {
  // CPython polls at calls and loop back edges; Py_INCREF/Py_DECREF are inline count changes and
  // never a poll point. So incref/decref count a bytecode but leave a pending request for the
  // next call or back edge.
  it('incref/decref count a bytecode without polling; the next call polls', () => {
    const rt = Runtime.create({ python: '3.11' });
    const py = rt.mainThread();
    const ts = rt.threads.current!;
    const o = py.object();
    const seen: string[] = [];
    rt.threads.hooks.gcScheduled = () => seen.push('gc');
    ts.flush();
    const before = rt.threads.threadMetrics(ts.slot).bytecodes;
    ts.scheduleGc();
    for (let i = 0; i < 100; i++) {
      py.incref(o);
      py.decref(o);
    }
    expect(seen).toEqual([]);
    const l = py.list(); // a call: polls
    expect(seen).toEqual(['gc']);
    py.decref(l);
    ts.flush();
    expect(rt.threads.threadMetrics(ts.slot).bytecodes - before).toBeGreaterThanOrEqual(200);
    py.decref(o);
  });
});

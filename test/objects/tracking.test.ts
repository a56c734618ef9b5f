/*
 * GC tracking lists: what is tracked (gc.is_tracked against python3 3.11.7, quoted), the
 * generation-0 count, the list links, and the gc module's seam functions.
 */
import { describe, expect, it } from 'vitest';
import { PyRuntimeError, PyTypeError } from '../../src/errors.ts';
import { GC_HEAD_BYTES } from '../../src/objects/header.ts';
import { maybeUntrackTuple } from '../../src/objects/tuple.ts';
import { trackingGcModule } from '../../src/runtime/tracking-gc.ts';
import { makeRuntime } from './helpers.ts';

describe('gc.is_tracked as CPython 3.11', () => {
  it('atoms, containers, classes, instances, weakrefs', () => {
    const { py } = makeRuntime();
    const A = py.newClass('A');
    const S = py.newClass('S', { slots: ['a'] });
    const cases: [string, number, boolean][] = [
      ['None', py.None, false], // gc.is_tracked(None) -> False
      ['int', py.int(10n ** 20n), false], // gc.is_tracked(10**20) -> False
      ['float', py.float(1.5), false], // -> False
      ['str', py.str('x'), false], // -> False
      ['bytes', py.bytes('x'), false], // -> False
      ['object()', py.object(), false], // -> False
      ['()', py.tuple(), false], // gc.is_tracked(()) -> False
      ['(1, "x")', py.tuple([py.int(1), py.str('x')]), true], // tuples are tracked at creation -> True
      ['[]', py.list(), true], // -> True
      ['set()', py.set(), true], // -> True
      ['{}', py.dict(), false], // -> False
      ['class A', A, true], // -> True
      ['A()', py.instance(A), true], // -> True
      ['S() (slots)', py.instance(S), true], // -> True
      ['weakref.ref(A)', py.weakref(A), true], // -> True
    ];
    for (const [name, o, tracked] of cases) expect([name, py.gc.is_tracked(o)]).toEqual([name, tracked]);
  });

  it('dicts: created untracked, tracked when a container is stored, stay tracked', () => {
    const { py } = makeRuntime();
    const d = py.dict();
    const a = py.str('a');
    const b = py.str('b');
    expect(py.gc.is_tracked(d)).toBe(false); // d = {} -> False
    py.setitem(d, a, py.int(1));
    expect(py.gc.is_tracked(d)).toBe(false); // d['a'] = 1 -> False
    const t = py.tuple([py.int(1), py.int(2)]);
    py.setitem(d, b, t);
    expect(py.gc.is_tracked(d)).toBe(true); // d['b'] = (1, 2) -> True
    py.delitem(d, b);
    expect(py.gc.is_tracked(d)).toBe(true); // del d['b'] -> still True
    const k = py.dict();
    py.setitem(k, t, py.int(1));
    expect(py.gc.is_tracked(k)).toBe(true); // d3[(1, 2)] = 1 -> True
    const A = py.newClass('A');
    const inst = py.instance(A);
    const atoms = py.getattr(inst, '__dict__');
    expect(py.gc.is_tracked(atoms)).toBe(false); // A().__dict__ -> False
    const other = py.instance(A);
    const lst = py.list();
    py.setattr(other, 'x', lst);
    const withList = py.getattr(other, '__dict__');
    expect(py.gc.is_tracked(withList)).toBe(true); // b.x = []; b.__dict__ -> True
    for (const o of [d, a, b, t, k, A, inst, atoms, other, lst, withList]) py.decref(o);
  });

  it('a tuple of atoms can be untracked by the collector (_PyTuple_MaybeUntrack)', () => {
    const { py, rt } = makeRuntime();
    const atoms = py.tuple([py.int(1), py.str('x')]);
    const inner = py.list();
    const holder = py.tuple([inner]);
    maybeUntrackTuple(rt.space, atoms);
    maybeUntrackTuple(rt.space, holder);
    expect(py.gc.is_tracked(atoms)).toBe(false); // t = tuple([1, 'x']); gc.collect(); -> False
    expect(py.gc.is_tracked(holder)).toBe(true); // ([],) stays tracked
    const d = py.dict([[py.str('k'), atoms]]);
    expect(py.gc.is_tracked(d)).toBe(false); // an untracked tuple does not make a dict tracked
    for (const o of [atoms, inner, holder, d]) py.decref(o);
  });
});

describe('generation lists', () => {
  it('gen-0 count is GC allocations minus deallocations; members are linked both ways', () => {
    const { py, rt } = makeRuntime();
    const gcl = rt.space.gcl;
    const c0 = py.gc.get_count()[0];
    const objs = [py.list(), py.dict(), py.set(), py.list()];
    expect(py.gc.get_count()[0]).toBe(c0 + 4); // the untracked dict counts too (gc_alloc)
    py.decref(objs[1]!);
    expect(py.gc.get_count()[0]).toBe(c0 + 3);
    const head = gcl.head(0);
    const members: number[] = [];
    gcl.forEachObject(head, (o) => members.push(o));
    expect(members.slice(-3)).toEqual([objs[0], objs[2], objs[3]]);
    for (const o of members) expect(gcl.next(gcl.prev(o - GC_HEAD_BYTES))).toBe(o - GC_HEAD_BYTES);
    const all = py.gc.get_objects(0);
    expect(py.len(all)).toBe(members.length); // the result list is not among them, as CPython
    py.decref(all);
    for (const o of [objs[0]!, objs[2]!, objs[3]!]) py.decref(o);
  });

  it('thresholds and enable/disable live in the GC state; collect waits for the collector', () => {
    const { py, rt } = makeRuntime();
    expect(py.gc.get_threshold()).toEqual([700, 10, 10]); // gc.get_threshold() -> (700, 10, 10)
    py.gc.set_threshold(100, 5);
    expect(py.gc.get_threshold()).toEqual([100, 5, 10]);
    py.gc.disable();
    expect(py.gc.isenabled()).toBe(false);
    py.gc.enable();
    expect(py.gc.isenabled()).toBe(true);
    // the tracking-only gc module (the seam before the collector plugs in) refuses to collect
    const tracking = trackingGcModule(py, rt.space);
    expect(() => tracking.collect()).toThrow(PyRuntimeError);
    expect(tracking.get_threshold()).toEqual([100, 5, 10]);
    expect(() => tracking.set_threshold(1.5)).toThrow(PyTypeError); // gc.set_threshold(1.5) -> TypeError
    const { py: py13 } = makeRuntime({ python: '3.13' });
    expect(py13.gc.get_threshold()).toEqual([2000, 10, 10]);
  });

  it('gen-0 over its threshold calls the collector hook', () => {
    const { py, rt } = makeRuntime({ gcThresholds: [10, 10, 10] });
    let calls = 0;
    rt.space.onGcThreshold = () => calls++;
    const keep: number[] = [];
    for (let i = 0; i < 15; i++) keep.push(py.list());
    expect(calls).toBeGreaterThanOrEqual(1);
    for (const o of keep) py.decref(o);
  });

  it('get_referents visits what tp_traverse visits', () => {
    const { py } = makeRuntime();
    const x = py.list();
    const y = py.int(5);
    const t = py.tuple([x, y]);
    const refs = py.gc.get_referents(t);
    expect(py.toJS(refs)).toEqual([[], 5]);
    const A = py.newClass('A');
    const a = py.instance(A);
    const r2 = py.gc.get_referents(a);
    expect(py.len(r2)).toBe(1); // the class (its values hold nothing yet)
    for (const o of [x, y, t, refs, A, a, r2]) py.decref(o);
  });
});

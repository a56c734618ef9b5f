/*
 * Reference counts and lifetimes: getrefcount, immortals, dealloc returning memory, weakrefs,
 * finalizers, and a million-long chain freed without recursion. Every test runs under both
 * refcount strategies.
 */
import { describe, expect, it } from 'vitest';
import type { RefcountKind } from '../../src/runtime/config.ts';
import { blocksInUse, makeRuntime } from './helpers.ts';

const STRATEGIES: RefcountKind[] = ['plain', 'atomic'];

describe.each(STRATEGIES)('refcount %s', (refcount) => {
  it('getrefcount: x = object() -> 2; in a list -> 3; removed -> 2', () => {
    const { py, rt } = makeRuntime({ refcount });
    expect(rt.space.rc.kind).toBe(refcount);
    const x = py.object();
    expect(py.sys.getrefcount(x)).toBe(2); // x = object(); sys.getrefcount(x) -> 2
    const l = py.list();
    py.append(l, x);
    expect(py.sys.getrefcount(x)).toBe(3); // l = [x] -> 3
    py.decref(py.pop(l));
    expect(py.sys.getrefcount(x)).toBe(2); // l.pop() -> 2
    const t = py.tuple([x, x]);
    expect(py.sys.getrefcount(x)).toBe(4);
    py.decref(t);
    expect(py.sys.getrefcount(x)).toBe(2);
    py.decref(x);
    py.decref(l);
  });

  it('immortals never change after a million increfs and decrefs', () => {
    const { py } = makeRuntime({ refcount });
    const small = py.int(42);
    const immortals = [py.None, py.True, py.False, small, py.tuple(), py.str('')];
    const before = immortals.map((o) => py.sys.getrefcount(o));
    for (const o of immortals) {
      for (let i = 0; i < 1_000_000; i++) py.incref(o);
      for (let i = 0; i < 1_000_000; i++) py.decref(o);
      for (let i = 0; i < 1_000; i++) py.decref(o); // even unbalanced decrefs
    }
    expect(immortals.map((o) => py.sys.getrefcount(o))).toEqual(before);
    expect(before[0]).toBe(0x3fffffff + 1); // PEP 683's immortal count (+1 for the argument)
  });

  it('a list of 1,000 instances freed returns every size class to its baseline', () => {
    const { py, rt } = makeRuntime({ refcount });
    const A = py.newClass('A');
    const warm = py.instance(A); // first instance: the name 'value' gets interned (immortal)
    py.setattr(warm, 'value', py.None);
    py.decref(warm);
    const before = blocksInUse(rt);
    const l = py.list();
    for (let i = 0; i < 1000; i++) {
      const a = py.instance(A);
      const v = py.int(100_000 + i);
      py.setattr(a, 'value', v);
      py.decref(v);
      py.append(l, a);
      py.decref(a);
    }
    const during = blocksInUse(rt);
    expect(during.get(64)).toBeGreaterThanOrEqual((before.get(64) ?? 0) + 1000); // the 56-byte instances
    py.decref(l);
    expect(blocksInUse(rt)).toEqual(before);
    py.decref(A);
  });

  it('weakref callbacks run exactly once when the referent dies; deref gives None after', () => {
    const { py } = makeRuntime({ refcount });
    const A = py.newClass('A');
    const a = py.instance(A);
    const calls: number[] = [];
    const r1 = py.weakref(a, (_py, ref) => calls.push(ref));
    const r2 = py.weakref(a, (_py, ref) => calls.push(ref));
    const basic = py.weakref(a);
    const basic2 = py.weakref(a);
    expect(basic2).toBe(basic); // weakref.ref(a) is weakref.ref(a) -> True
    py.decref(basic2);
    expect(py.sys.getrefcount(a)).toBe(2); // weak references do not count
    const alive = py.deref(r1);
    expect(alive).toBe(a);
    py.decref(alive);
    py.decref(a);
    expect(calls.sort()).toEqual([r1, r2].sort());
    for (const r of [r1, r2, basic]) {
      const d = py.deref(r);
      expect(d).toBe(py.None);
      py.decref(d);
    }
    // a weakref that dies before its referent never calls back
    const b = py.instance(A);
    let late = 0;
    const r3 = py.weakref(b, () => late++);
    py.decref(r3);
    py.decref(b);
    expect(late).toBe(0);
    expect(calls.length).toBe(2);
    for (const r of [r1, r2, basic]) py.decref(r);
    py.decref(A);
  });

  it('a 1,000,000-long chain frees without a stack overflow', () => {
    const { py, rt } = makeRuntime({ refcount });
    const N = py.newClass('N', { slots: ['next'] });
    const before = blocksInUse(rt);
    let head = py.instance(N);
    for (let i = 1; i < 1_000_000; i++) {
      const n = py.instance(N);
      py.setattr(n, 'next', head);
      py.decref(head);
      head = n;
    }
    expect(py.sys.getrefcount(N)).toBe(1_000_000 + 2); // every instance holds its class
    py.decref(head);
    expect(py.sys.getrefcount(N)).toBe(2);
    expect(blocksInUse(rt)).toEqual(before);
    py.decref(N);
  });

  it('a __del__ finalizer runs once and may resurrect (PEP 442)', () => {
    const { py } = makeRuntime({ refcount });
    const saved = py.list();
    let runs = 0;
    const F = py.newClass('F', {
      del: (p, self) => {
        runs++;
        if (runs === 1) py.append(saved, self); // resurrect the first time
      },
    });
    const f = py.instance(F);
    py.decref(f);
    expect(runs).toBe(1);
    expect(py.len(saved)).toBe(1);
    expect(py.gc.is_finalized(f)).toBe(true);
    py.decref(py.pop(saved)); // dies again: __del__ does not run twice
    expect(runs).toBe(1);
    // a legacy tp_del runs at every dealloc
    let legacy = 0;
    const L = py.newClass('L', { legacyDel: true, del: () => legacy++ });
    py.decref(py.instance(L));
    py.decref(py.instance(L));
    expect(legacy).toBe(2);
    for (const o of [saved, F, L]) py.decref(o);
  });

  it('containers drop what they hold: nested lists, dicts, sets, tuples', () => {
    const { py, rt } = makeRuntime({ refcount });
    const before = blocksInUse(rt);
    const root = py.list();
    for (let i = 0; i < 200; i++) {
      const k = py.str(`key${i}`);
      const v = py.float(i + 0.5);
      const d = py.dict([[k, v]]);
      const s = py.set([k]);
      const t = py.tuple([d, s, v]);
      py.append(root, t);
      for (const o of [k, v, d, s, t]) py.decref(o);
    }
    py.decref(root);
    expect(blocksInUse(rt)).toEqual(before);
  });
});

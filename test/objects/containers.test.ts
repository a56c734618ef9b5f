/*
 * Lists, dicts and sets behave as CPython 3.11's: capacities, resizes, deletes, collisions.
 * Expected figures are python3 (3.11.7) output for the code quoted beside them.
 */
import { describe, expect, it } from 'vitest';
import { KeyError } from '../../src/errors.ts';
import { makeRuntime } from './helpers.ts';

describe('list', () => {
  it('append grows the capacity as list_resize: 4, 8, 16, 24, 32, 40, 52, 64, 76, 92, 108', () => {
    const { py } = makeRuntime();
    const l = py.list();
    const steps: [number, number][] = [];
    let prev = 0;
    for (let i = 0; i < 100; i++) {
      py.append(l, py.None);
      const cap = (py.sys.getsizeof(l) - 56) / 8;
      if (cap !== prev) steps.push([i + 1, cap]);
      prev = cap;
    }
    // l = []; l.append(None) ...: capacity changes at len 1, 5, 9, 17, 25, 33, 41, 53, 65, 77, 93
    expect(steps).toEqual([
      [1, 4],
      [5, 8],
      [9, 16],
      [17, 24],
      [25, 32],
      [33, 40],
      [41, 52],
      [53, 64],
      [65, 76],
      [77, 92],
      [93, 108],
    ]);
    py.decref(l);
  });

  it('pop shrinks when below half (l = [0]*9 grown by appends, then popped)', () => {
    const { py } = makeRuntime();
    const l = py.list();
    for (let i = 0; i < 9; i++) py.append(l, py.None);
    const caps: number[] = [];
    for (let i = 0; i < 9; i++) {
      py.decref(py.pop(l));
      caps.push((py.sys.getsizeof(l) - 56) / 8);
    }
    // l = []; 9 x l.append(None); while l: l.pop(); print((getsizeof(l) - 56) // 8)
    // -> [16, 12, 12, 8, 8, 8, 8, 4, 0]
    expect(caps).toEqual([16, 12, 12, 8, 8, 8, 8, 4, 0]);
    py.decref(l);
  });

  it('list(items) takes (n + 1) & ~1 slots, as list_preallocate_exact', () => {
    const { py } = makeRuntime();
    const items = [1, 2, 3].map((v) => py.int(v));
    const l3 = py.list(items);
    expect(py.sys.getsizeof(l3)).toBe(88); // list((1,2,3)) -> 88
    const ten = Array.from({ length: 10 }, (_, i) => py.int(i));
    const l10 = py.list(ten);
    expect(py.sys.getsizeof(l10)).toBe(136); // list(range(10)) -> 136
    expect(py.toJS(l10)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    py.setitem(l10, -1, items[0]!);
    py.delitem(l10, 0);
    expect(py.toJS(l10)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 1]);
    for (const o of [...items, ...ten, l3, l10]) py.decref(o);
  });
});

describe('dict', () => {
  it('grows like CPython for int keys (d[i] = i)', () => {
    const { py } = makeRuntime();
    const d = py.dict();
    const steps: [number, number][] = [];
    let prev = 0;
    for (let i = 0; i < 2000; i++) {
      py.setitem(d, i, py.None);
      const z = py.sys.getsizeof(d);
      if (z !== prev) steps.push([i + 1, z]);
      prev = z;
    }
    // d = {}; d[i] = i: len 1 -> 224, 6 -> 352, 11 -> 632, 22 -> 1168, 43 -> 2264, 86 -> 4688,
    // 171 -> 9304, 342 -> 18512, 683 -> 36952, 1366 -> 73808
    expect(steps).toEqual([
      [1, 224],
      [6, 352],
      [11, 632],
      [22, 1168],
      [43, 2264],
      [86, 4688],
      [171, 9304],
      [342, 18512],
      [683, 36952],
      [1366, 73808],
    ]);
    expect(py.len(d)).toBe(2000);
    py.decref(d);
  });

  it('grows like CPython for str keys (d["k%d" % i] = i)', () => {
    const { py } = makeRuntime();
    const d = py.dict();
    const steps: [number, number][] = [];
    let prev = 0;
    for (let i = 0; i < 200; i++) {
      const k = py.str(`k${i}`);
      const v = py.int(i);
      py.setitem(d, k, v);
      py.decref(k);
      py.decref(v);
      const z = py.sys.getsizeof(d);
      if (z !== prev) steps.push([i + 1, z]);
      prev = z;
    }
    // len 1 -> 184, 6 -> 272, 11 -> 464, 22 -> 832, 43 -> 1584, 86 -> 3328, 171 -> 6576
    expect(steps).toEqual([
      [1, 184],
      [6, 272],
      [11, 464],
      [22, 832],
      [43, 1584],
      [86, 3328],
      [171, 6576],
    ]);
    for (let i = 0; i < 200; i += 7) {
      const k = py.str(`k${i}`);
      const v = py.getitem(d, k);
      expect(py.toJS(v)).toBe(i);
      py.decref(v);
      py.decref(k);
    }
    py.decref(d);
  });

  it('insert, delete and reinsert many keys; deleted slots stay until a resize', () => {
    const { py } = makeRuntime();
    const d = py.dict();
    const N = 5000;
    for (let i = 0; i < N; i++) py.setitem(d, i, py.True);
    for (let i = 0; i < N; i += 2) py.delitem(d, i);
    expect(py.len(d)).toBe(N / 2);
    for (let i = 0; i < N; i++) {
      const k = py.int(i);
      expect(py.contains(d, k)).toBe(i % 2 === 1);
      py.decref(k);
    }
    for (let i = 0; i < N; i += 2) py.setitem(d, i, py.False);
    expect(py.len(d)).toBe(N);
    const js = py.toJS(d) as Map<number, boolean>;
    expect(js.size).toBe(N);
    expect(js.get(2)).toBe(false);
    expect(js.get(3)).toBe(true);
    // insertion order: odd keys first (they survived), then the re-inserted even ones
    expect([...js.keys()].slice(0, 3)).toEqual([1, 3, 5]);
    expect([...js.keys()][N / 2]).toBe(0);
    // d = dict.fromkeys(range(8)); del all; getsizeof -> 352: dummies keep the table
    const e = py.dict();
    for (let i = 0; i < 8; i++) py.setitem(e, i, py.None);
    for (let i = 0; i < 8; i++) py.delitem(e, i);
    expect(py.sys.getsizeof(e)).toBe(352);
    for (const o of [d, e]) py.decref(o);
  });

  it('keys that collide, and keys that are equal across types', () => {
    const { py } = makeRuntime();
    const d = py.dict();
    // hash(-1) == hash(-2) == -2 in CPython: two distinct keys, one hash
    py.setitem(d, -1, py.True);
    py.setitem(d, -2, py.False);
    expect(py.toJS(d)).toEqual(new Map([[-1, true], [-2, false]]));
    // keys equal mod the table size collide in the index: 0, 8, 16, ... in an 8-slot table
    const m = py.dict();
    for (let i = 0; i < 5; i++) py.setitem(m, i * 8, py.int(i));
    for (let i = 0; i < 5; i++) {
      const v = py.getitem(m, i * 8);
      expect(py.toJS(v)).toBe(i);
      py.decref(v);
    }
    // 1, 1.0 and True are one key ({1: 'a'}[True] == 'a')
    const a = py.str('a');
    const one = py.float(1.0);
    py.setitem(m, 1, a);
    const got = py.getitem(m, py.True);
    expect(py.is(got, a)).toBe(true);
    py.setitem(m, one, py.None);
    expect(py.len(m)).toBe(6);
    // big ints and tuples as keys
    const big = py.int(2n ** 100n);
    const big2 = py.int(2n ** 100n);
    py.setitem(m, big, py.True);
    const t1 = py.tuple([a, big]);
    const t2 = py.tuple([a, big2]);
    py.setitem(m, t1, py.False);
    const hit = py.getitem(m, t2);
    expect(hit).toBe(py.False);
    expect(py.contains(m, big2)).toBe(true);
    // unhashable keys
    const lst = py.list();
    expect(() => py.setitem(m, lst, py.None)).toThrow("unhashable type: 'list'");
    expect(() => py.getitem(m, 999)).toThrow(KeyError);
    for (const o of [d, m, a, one, got, big, big2, t1, t2, hit, lst]) py.decref(o);
  });

  it('a str-only table turns general when a non-str key arrives ({"a": 1}; d[1] = 2)', () => {
    const { py } = makeRuntime();
    const a = py.str('a');
    const d = py.dict([[a, py.int(1)]]);
    expect(py.sys.getsizeof(d)).toBe(184); // {'a': 1} -> 184
    py.setitem(d, 1, py.int(2));
    expect(py.sys.getsizeof(d)).toBe(224); // d[1] = 2 -> 224
    expect(py.toJS(d)).toEqual(new Map<unknown, unknown>([['a', 1], [1, 2]]));
    py.decref(d);
    py.decref(a);
  });
});

describe('instance __dict__ (key-sharing)', () => {
  it('each new instance lowers the shared keys, as 3.11 (296, 288, 280, ... then 832 combined)', () => {
    const { py } = makeRuntime();
    const A = py.newClass('A');
    const sizes: number[] = [];
    const keep: number[] = [];
    // class A: pass; for n in range(20): a = A(); set n attributes a0..; getsizeof(a.__dict__)
    for (let n = 0; n < 20; n++) {
      const a = py.instance(A);
      for (let i = 0; i < n; i++) {
        const v = py.int(i);
        py.setattr(a, `a${i}`, v);
        py.decref(v);
      }
      const d = py.getattr(a, '__dict__');
      sizes.push(py.sys.getsizeof(d));
      expect(py.len(d)).toBe(n);
      py.decref(d);
      keep.push(a);
    }
    expect(sizes).toEqual([
      296, 288, 280, 272, 264, 256, 248, 240, 232, 224, 216, 208, 200, 192, 184, 184, 832, 832, 832, 832,
    ]);
    const last = keep[keep.length - 1]!;
    const v = py.getattr(last, 'a17');
    expect(py.toJS(v)).toBe(17);
    py.decref(v);
    expect(py.toJS(last)).toMatchObject({ __class__: 'A', a0: 0, a18: 18 });
    for (const o of keep) py.decref(o);
    py.decref(A);
  });

  it('attributes set, overwritten and deleted before and after __dict__ is materialised', () => {
    const { py } = makeRuntime();
    const A = py.newClass('A');
    const a = py.instance(A);
    const x = py.int(1000);
    const y = py.int(2000);
    py.setattr(a, 'x', x);
    py.setattr(a, 'y', x);
    py.setattr(a, 'y', y);
    expect(py.sys.getrefcount(x)).toBe(3);
    py.delattr(a, 'x');
    expect(py.sys.getrefcount(x)).toBe(2);
    expect(py.hasattr(a, 'x')).toBe(false);
    py.setattr(a, 'x', x);
    expect(py.toJS(a)).toEqual({ __class__: 'A', y: 2000, x: 1000 });
    const d = py.getattr(a, '__dict__');
    py.setitem(d, 1, py.None); // a non-str key: the dict goes combined
    expect(py.toJS(d)).toEqual(new Map<unknown, unknown>([['y', 2000], ['x', 1000], [1, null]]));
    py.delattr(a, 'y');
    expect(py.sys.getrefcount(y)).toBe(2);
    expect(() => py.delattr(a, 'y')).toThrow("'A' object has no attribute 'y'");
    for (const o of [d, a, A, x, y]) py.decref(o);
  });
});

describe('set', () => {
  it('add, contains, duplicates, toJS', () => {
    const { py } = makeRuntime();
    const s = py.set();
    for (let i = 0; i < 1000; i++) {
      const k = py.int(i % 500);
      py.add_item(s, k);
      py.decref(k);
    }
    expect(py.len(s)).toBe(500);
    const k = py.int(499);
    expect(py.contains(s, k)).toBe(true);
    const no = py.int(500);
    expect(py.contains(s, no)).toBe(false);
    expect((py.toJS(s) as Set<number>).size).toBe(500);
    for (const o of [s, k, no]) py.decref(o);
  });
});

/*
 * sys.getsizeof for every kind of object, against CPython 3.11.7 on 64-bit Linux: each expected
 * value is what `python3 -c "import sys; print(sys.getsizeof(EXPR))"` prints, quoted beside it.
 */
import { describe, expect, it } from 'vitest';
import { makeRuntime } from './helpers.ts';

describe('sys.getsizeof matches CPython 3.11', () => {
  it('the reference table (cpython.md section 2)', () => {
    const { py } = makeRuntime();
    const size = (o: number): number => {
      const n = py.sys.getsizeof(o);
      py.decref(o);
      return n;
    };
    expect(size(py.object())).toBe(16); // object() -> 16
    expect(size(py.None)).toBe(16); // None -> 16
    expect(size(py.int(0))).toBe(28); // 0 -> 28
    expect(size(py.int(1))).toBe(28); // 1 -> 28
    expect(size(py.True)).toBe(28); // True -> 28
    expect(size(py.int(2 ** 30))).toBe(32); // 2**30 -> 32
    expect(size(py.int(2n ** 62n))).toBe(36); // 2**62 -> 36
    expect(size(py.float(1.5))).toBe(24); // 1.5 -> 24
    expect(size(py.str(''))).toBe(49); // '' -> 49
    expect(size(py.str('abc'))).toBe(52); // 'abc' -> 52
    expect(size(py.tuple())).toBe(40); // () -> 40
    expect(size(py.tuple([py.int(1)]))).toBe(48); // (1,) -> 48
    expect(size(py.tuple([py.int(1), py.int(2), py.int(3)]))).toBe(64); // (1,2,3) -> 64
    expect(size(py.list())).toBe(56); // [] -> 56
    expect(size(py.dict())).toBe(64); // {} -> 64
    const a = py.str('a');
    expect(size(py.dict([[a, py.int(1)]]))).toBe(184); // {'a': 1} -> 184
    py.decref(a);
    const A = py.newClass('A');
    const inst = py.instance(A);
    expect(py.sys.getsizeof(inst)).toBe(56); // class A: pass; A() -> 56
    expect(size(py.getattr(inst, '__dict__'))).toBe(296); // A().__dict__ -> 296
    py.decref(inst);
    py.decref(A);
    const S = py.newClass('S', { slots: ['a', 'b'] });
    expect(size(py.instance(S))).toBe(48); // __slots__ = ('a','b') -> 48
    const E = py.newClass('E', { slots: [] });
    expect(size(py.instance(E))).toBe(32); // __slots__ = () -> 32
    const W = py.newClass('W');
    const w = py.instance(W);
    expect(size(py.weakref(w))).toBe(80); // weakref.ref(x) -> 80
    expect(size(py.weakref(w, () => {}))).toBe(80); // weakref.ref(x, cb) -> 80
    for (const o of [w, S, E, W]) py.decref(o);
  });

  it('ints by 30-bit digits, negative alike', () => {
    const { py } = makeRuntime();
    const cases: [number | bigint, number][] = [
      [-1, 28], // -1 -> 28
      [-5, 28], // -5 -> 28
      [257, 28], // 257 -> 28
      [2 ** 29, 28], // 2**29 -> 28
      [2 ** 30 - 1, 28], // 2**30-1 -> 28
      [-(2 ** 30), 32], // -(2**30) -> 32
      [2 ** 60 - 1, 32], // 2**60-1 -> 32 (BigInt below)
      [2n ** 60n, 36], // 2**60 -> 36
      [2n ** 90n, 40], // 2**90 -> 40
      [-(2n ** 90n), 40], // -(2**90) -> 40
    ];
    for (const [v, expected] of cases) {
      const o = py.int(typeof v === 'number' && !Number.isSafeInteger(v) ? BigInt(2 ** 60) - 1n : v);
      expect([v, py.sys.getsizeof(o)]).toEqual([v, expected]);
      py.decref(o);
    }
    const big = py.int(2n ** 200n + 12345n);
    expect(py.toJS(big)).toBe(2n ** 200n + 12345n);
    expect(py.sys.getsizeof(big)).toBe(24 + 4 * 7); // 2**200+12345 -> 52
    py.decref(big);
  });

  it('str kinds: ASCII 49+n, latin-1 73+n, UCS-2 74+2n, UCS-4 76+4n', () => {
    const { py } = makeRuntime();
    const cases: [string, number][] = [
      ['a', 50], // 'a' -> 50
      ['é', 74], // 'é' -> 74
      ['éé', 75], // 'éé' -> 75
      ['aé', 75], // 'aé' -> 75
      ['Ā', 76], // '\u0100' -> 76
      ['ĀĀ', 78], // '\u0100\u0100' -> 78
      ['😀', 80], // '\U0001F600' -> 80
      ['😀😀', 84], // '\U0001F600\U0001F600' -> 84
    ];
    for (const [v, expected] of cases) {
      const o = py.str(v);
      expect([v, py.sys.getsizeof(o), py.len(o), py.toJS(o)]).toEqual([v, expected, [...v].length, v]);
      py.decref(o);
    }
  });

  it('bytes 33+n, sets, classes', () => {
    const { py } = makeRuntime();
    const b0 = py.bytes(new Uint8Array(0));
    const b3 = py.bytes(new Uint8Array([1, 2, 3]));
    expect(py.sys.getsizeof(b0)).toBe(33); // b'' -> 33
    expect(py.sys.getsizeof(b3)).toBe(36); // b'abc' -> 36
    expect(py.toJS(b3)).toEqual(new Uint8Array([1, 2, 3]));
    const one = py.int(1);
    const s1 = py.set([one]);
    expect(py.sys.getsizeof(s1)).toBe(216); // {1} -> 216
    const five = py.set([1, 2, 3, 4, 5].map((v) => py.int(v)));
    expect(py.sys.getsizeof(five)).toBe(728); // set([1,2,3,4,5]) -> 728 (py.set adds one by one)
    const grown = py.set();
    const seen: [number, number][] = [];
    let prev = 0;
    for (let i = 0; i < 200; i++) {
      const k = py.int(i);
      py.add_item(grown, k);
      py.decref(k);
      const z = py.sys.getsizeof(grown);
      if (z !== prev) seen.push([i + 1, z]);
      prev = z;
    }
    // s = set(); s.add(i) ...: len 1 -> 216, 5 -> 728, 19 -> 2264, 77 -> 8408
    expect(seen).toEqual([
      [1, 216],
      [5, 728],
      [19, 2264],
      [77, 8408],
    ]);
    const A = py.newClass('A');
    const S = py.newClass('S', { slots: ['a', 'b'] });
    expect(py.sys.getsizeof(A)).toBe(1688); // class A: pass -> 1688
    expect(py.sys.getsizeof(S)).toBe(920); // class S: __slots__ = ('a','b') -> 920
    const intType = py.getattr(one, '__class__');
    expect(py.sys.getsizeof(intType)).toBe(424); // int -> 424
    for (const o of [b0, b3, one, s1, five, grown, A, S, intType]) py.decref(o);
  });
});

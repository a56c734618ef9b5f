/*
 * Misuse raises the Python error CPython raises (message quoted from python3 3.11.7), and a dead
 * or bogus handle raises PyReferenceError instead of corrupting the heap.
 */
import { describe, expect, it } from 'vitest';
import {
  AttributeError,
  IndexError,
  KeyError,
  PyReferenceError,
  PyTypeError,
  ZeroDivisionError,
} from '../../src/errors.ts';
import { makeRuntime } from './helpers.ts';

describe('py raises Python-style errors', () => {
  it('IndexError', () => {
    const { py } = makeRuntime();
    const l = py.list();
    const t = py.tuple([py.int(1)]);
    expect(() => py.getitem(l, 0)).toThrow(new IndexError('list index out of range')); // [][0]
    expect(() => py.getitem(t, 1)).toThrow(new IndexError('tuple index out of range')); // (1,)[1]
    expect(() => py.pop(l)).toThrow(new IndexError('pop from empty list')); // [].pop()
    py.append(l, py.None);
    expect(() => py.pop(l, 5)).toThrow(new IndexError('pop index out of range')); // [1].pop(5)
    expect(() => py.setitem(l, -2, py.None)).toThrow(new IndexError('list assignment index out of range'));
    const big = py.int(2n ** 80n);
    expect(() => py.getitem(l, big)).toThrow(IndexError); // cannot fit 'int' into an index-sized integer
    for (const o of [l, t, big]) py.decref(o);
  });

  it('KeyError with the key repr', () => {
    const { py } = makeRuntime();
    const d = py.dict();
    const a = py.str('a');
    expect(() => py.getitem(d, a)).toThrow(new KeyError("'a'")); // {}['a'] -> KeyError: 'a'
    expect(() => py.delitem(d, a)).toThrow(KeyError);
    expect(() => py.getitem(d, 7)).toThrow(new KeyError('7'));
    const err = (() => {
      try {
        py.getitem(d, a);
      } catch (e) {
        return e as KeyError;
      }
    })();
    expect(err?.pyType).toBe('KeyError');
    py.decref(d);
    py.decref(a);
  });

  it('AttributeError', () => {
    const { py } = makeRuntime();
    const N = py.newClass('N', { slots: ['next'] });
    const n = py.instance(N);
    expect(() => py.getattr(n, 'next')).toThrow(new AttributeError("'N' object has no attribute 'next'"));
    expect(() => py.setattr(n, 'x', py.None)).toThrow(new AttributeError("'N' object has no attribute 'x'"));
    const A = py.newClass('A');
    const a = py.instance(A);
    expect(() => py.getattr(a, 'x')).toThrow(new AttributeError("'A' object has no attribute 'x'"));
    const one = py.int(1000);
    expect(() => py.setattr(one, 'x', py.None)).toThrow(AttributeError);
    const t = py.tuple();
    expect(() => py.append(t, py.None)).toThrow(new AttributeError("'tuple' object has no attribute 'append'"));
    expect(py.hasattr(a, 'x')).toBe(false);
    for (const o of [N, n, A, a, one]) py.decref(o);
  });

  it('TypeError', () => {
    const { py } = makeRuntime();
    const one = py.int(1);
    const s = py.str('a');
    const t = py.tuple([one]);
    const l = py.list();
    expect(() => py.add(one, s)).toThrow(new PyTypeError("unsupported operand type(s) for +: 'int' and 'str'"));
    expect(() => py.len(one)).toThrow(new PyTypeError("object of type 'int' has no len()"));
    expect(() => py.setitem(t, 0, one)).toThrow(new PyTypeError("'tuple' object does not support item assignment"));
    expect(() => py.getitem(one, 0)).toThrow(new PyTypeError("'int' object is not subscriptable"));
    expect(() => py.lt(l, one)).toThrow(new PyTypeError("'<' not supported between instances of 'list' and 'int'"));
    const d = py.dict();
    expect(() => py.setitem(d, l, one)).toThrow(new PyTypeError("unhashable type: 'list'"));
    expect(() => py.weakref(one)).toThrow(new PyTypeError("cannot create weak reference to 'int' object"));
    const N = py.newClass('N', { slots: ['next'] });
    const n = py.instance(N);
    expect(() => py.weakref(n)).toThrow(new PyTypeError("cannot create weak reference to 'N' object"));
    expect(() => py.instance(one)).toThrow(PyTypeError);
    expect(() => py.incref(1.5 as number)).toThrow(PyTypeError);
    for (const o of [s, t, l, d, N, n]) py.decref(o);
  });

  it('ZeroDivisionError (ints and floats, as CPython)', () => {
    const { py } = makeRuntime();
    const one = py.int(1);
    const zero = py.int(0);
    const f = py.float(1.0);
    const fz = py.float(0.0);
    expect(() => py.floordiv(one, zero)).toThrow(new ZeroDivisionError('integer division or modulo by zero')); // 1//0
    expect(() => py.mod(one, zero)).toThrow(new ZeroDivisionError('integer modulo by zero')); // 1%0
    expect(() => py.floordiv(f, fz)).toThrow(new ZeroDivisionError('float floor division by zero')); // 1.0//0
    expect(() => py.mod(f, zero)).toThrow(new ZeroDivisionError('float modulo')); // 1.0%0
    for (const o of [f, fz]) py.decref(o);
  });

  it('ReferenceError for a freed, never-allocated or garbage handle; the heap stays sound', () => {
    const { py, rt } = makeRuntime();
    const A = py.newClass('A');
    const a = py.instance(A);
    const x = py.float(2.5);
    const l = py.list([x]);
    py.decref(a);
    py.decref(x);
    py.decref(l); // x freed too
    for (const dead of [a, x, l]) {
      expect(() => py.decref(dead)).toThrow(PyReferenceError);
      expect(() => py.incref(dead)).toThrow(PyReferenceError);
      expect(() => py.getattr(dead, 'y')).toThrow(PyReferenceError);
      expect(() => py.sys.getrefcount(dead)).toThrow(PyReferenceError);
    }
    expect(() => py.len(rt.layout.slotsOff + 16 * 12345)).toThrow(PyReferenceError);
    expect(() => py.len(rt.layout.maxBytes - 16)).toThrow(PyReferenceError);
    expect(() => py.len(-16)).toThrow(PyReferenceError);
    const other = py.list();
    expect(() => py.append(other, a)).toThrow(PyReferenceError);
    expect(py.len(other)).toBe(0);
    py.decref(other);
    py.decref(A);
    expect(rt.verifyHeap()).toEqual([]);
  });
});

describe('arithmetic and comparison follow CPython', () => {
  it('floor division and modulo round toward -inf', () => {
    const { py } = makeRuntime();
    const v = (n: number | bigint) => py.int(n);
    const js = (o: number) => {
      const r = py.toJS(o);
      py.decref(o);
      return r;
    };
    // -7//2, -7%2, 7//-2, 7%-2 -> -4 1 -4 -1
    expect([js(py.floordiv(v(-7), v(2))), js(py.mod(v(-7), v(2))), js(py.floordiv(v(7), v(-2))), js(py.mod(v(7), v(-2)))]).toEqual([
      -4, 1, -4, -1,
    ]);
    // -7.5//2, -7.5%2, 7.0%-2 -> -4.0 0.5 -1.0
    expect([js(py.floordiv(py.float(-7.5), v(2))), js(py.mod(py.float(-7.5), v(2))), js(py.mod(py.float(7), v(-2)))]).toEqual([
      -4, 0.5, -1,
    ]);
    // big ints: (2**64 + 1) // -3 and % -3
    expect(js(py.floordiv(v(2n ** 64n + 1n), v(-3)))).toBe(-6148914691236517206n);
    expect(js(py.mod(v(2n ** 64n + 1n), v(-3)))).toBe(-1);
    expect(js(py.mul(v(2 ** 40), v(2 ** 40)))).toBe(2n ** 80n);
    expect(js(py.add(v(2 ** 51), v(2 ** 51)))).toBe(2 ** 52); // a safe integer comes back as a number
    expect(js(py.add(v(2 ** 53), v(2 ** 53)))).toBe(2n ** 54n); // past 2**53 - 1: a bigint
    expect(js(py.sub(v(5), py.True))).toBe(4);
    expect(js(py.neg(v(-(2n ** 70n))))).toBe(2n ** 70n);
    expect(js(py.add(v(1), py.float(0.5)))).toBe(1.5);
  });

  it('results are new objects; small ints are the shared immortals', () => {
    const { py } = makeRuntime();
    const a = py.int(100);
    const b = py.int(200);
    const c = py.add(a, b);
    expect(py.sys.getrefcount(c)).toBe(2);
    const d = py.add(py.int(1), py.int(2));
    expect(py.is(d, py.int(3))).toBe(true); // small ints are cached
    expect(py.lt(a, b)).toBe(py.True);
    expect(py.ge(a, b)).toBe(py.False);
    expect(py.eq(py.int(1), py.float(1.0))).toBe(py.True);
    const s1 = py.str('abc');
    const s2 = py.str('abd');
    expect(py.lt(s1, s2)).toBe(py.True);
    expect(py.truthy(py.int(0))).toBe(false);
    expect(py.truthy(s1)).toBe(true);
    expect(py.truthy(py.list())).toBe(false);
    expect(py.typeName(c)).toBe('int');
    for (const o of [c, s1, s2]) py.decref(o);
  });
});

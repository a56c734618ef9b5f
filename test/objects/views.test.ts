/*
 * py.instance and py.decref skip the per-call "did the buffer grow?" load: they check every
 * address they write against their views instead (the new block, the gen-0 tail, the GC
 * neighbours of a dying instance) and sync when one lies past them. Here a second handle on the
 * same buffer (Runtime.attach, as another thread would) grows the buffer behind the first
 * runtime's back, so the links the fast paths write land past the first runtime's views.
 */
import { describe, expect, it } from 'vitest';
import { GC_HEAD_BYTES } from '../../src/objects/header.ts';
import { singleThreadOps } from '../../src/runtime/single-thread-ops.ts';
import { Runtime } from '../../src/runtime/runtime.ts';
import { makeRuntime } from './helpers.ts';

/** Walk generation 0 through fresh views: every link's back link must agree. */
function gen0(rt: Runtime): number[] {
  const fresh = Runtime.attach(rt.sab).space;
  const i32 = fresh.i32;
  const head = fresh.gcl.head(0);
  const out: number[] = [];
  let prev = head;
  for (let g = i32[head >> 2]!; g !== head; g = i32[g >> 2]!) {
    expect(i32[(g >> 2) + 1]).toBe(prev); // gc_prev of g
    out.push(g + GC_HEAD_BYTES);
    prev = g;
    if (out.length > 1e6) throw new Error('gen-0 ring does not close');
  }
  expect(i32[(head >> 2) + 1]).toBe(prev);
  return out;
}

/** Make instances through py2 until one lies at or past `limit`; returns them all. */
function allocPast(py2: ReturnType<Runtime['pyFor']>, cls: number, limit: number): number[] {
  const xs: number[] = [];
  while (xs.length === 0 || xs[xs.length - 1]! < limit) {
    if (xs.length > 200_000) throw new Error('the buffer did not grow');
    xs.push(py2.instance(cls));
  }
  return xs;
}

describe('fast paths and a buffer grown by another thread', () => {
  it('py.instance links after a gen-0 tail past its views', () => {
    const { rt, py } = makeRuntime();
    py.gc.disable(); // no collection moves the ring's members to older generations
    const N = py.newClass('N', { slots: ['next'] });
    // another size class: its pool is an old one, inside our views (only the tail is not)
    const M = py.newClass('M', { slots: ['a', 'b', 'c', 'd'] });
    const rt2 = Runtime.attach(rt.sab);
    const py2 = rt2.pyFor(singleThreadOps(rt2.config));
    py.decref(py.instance(M));
    const v0 = rt.space.viewBytes;
    const xs = allocPast(py2, N, v0);
    expect(rt.space.viewBytes).toBe(v0); // stale: the tail is past our views
    const o = py.instance(M);
    expect(o).toBeLessThan(v0);
    const ring = gen0(rt);
    expect(ring[ring.length - 1]).toBe(o);
    expect(ring[ring.length - 2]).toBe(xs[xs.length - 1]);
    py.decref(o);
    for (const x of xs) py2.decref(x);
    expect(gen0(rt)).not.toContain(o);
    py.decref(N);
    py.decref(M);
    py.gc.enable();
  });

  it('py.decref of a leaf instance whose GC neighbour lies past its views', () => {
    const { rt, py } = makeRuntime();
    py.gc.disable();
    const N = py.newClass('N', { slots: ['next'] });
    const rt2 = Runtime.attach(rt.sab);
    const py2 = rt2.pyFor(singleThreadOps(rt2.config));
    const o = py.instance(N);
    const v0 = rt.space.viewBytes;
    const xs = allocPast(py2, N, v0);
    // free everything between o and the far object: o's gc_next now lies past our views
    for (const x of xs.slice(0, -1)) py2.decref(x);
    const far = xs[xs.length - 1]!;
    expect(rt.space.viewBytes).toBe(v0);
    const ring = gen0(rt);
    expect(ring[ring.indexOf(o) + 1]).toBe(far);
    py.decref(o);
    const after = gen0(rt);
    expect(after).not.toContain(o);
    expect(after[after.length - 1]).toBe(far);
    py2.decref(far);
    expect(py.sys.getrefcount(N)).toBe(2);
    py.decref(N);
    py.gc.enable();
  });
});

/*
 * Free-threaded generation 0: each thread tracks new containers into a young ring of its own
 * (src/objects/gc-lists.ts), a collection merges the rings into generation 0, and the count is
 * kept per thread and added every LOCAL_ALLOC_COUNT_THRESHOLD.
 */
import { describe, expect, it } from 'vitest';
import { GC_MAX_RINGS } from '../../src/objects/header.ts';
import { LOCAL_ALLOC_COUNT_THRESHOLD, type GcLists } from '../../src/objects/gc-lists.ts';
import { Runtime } from '../../src/runtime/runtime.ts';
import { ftRuntime, otherThread } from './helpers.ts';

/** The objects linked into the ring at head, in order. */
function members(gcl: GcLists, head: number): number[] {
  const out: number[] = [];
  gcl.forEachObject(head, (o) => out.push(o));
  return out;
}

describe('young rings (free-threaded generation 0)', () => {
  it('each thread tracks into its own ring; another thread can untrack and track it back', () => {
    const a = ftRuntime();
    const b = otherThread(a.rt);
    const la = a.py.list();
    const lb = b.py.list();
    const ga = a.rt.space.gcl;
    const gb = b.rt.space.gcl;
    const ringA = ga.ringOf(la);
    const ringB = gb.ringOf(lb);
    expect(ringA).toBeGreaterThan(0);
    expect(ringB).toBeGreaterThan(0);
    expect(ringA).not.toBe(ringB);
    const young = ga.youngHeads();
    expect(members(ga, young[ringA - 1]!)).toContain(la);
    expect(members(ga, young[ringB - 1]!)).toContain(lb);
    expect(members(ga, ga.head(0))).not.toContain(la);
    expect(a.rt.verifyHeap()).toEqual([]);

    // b unlinks a's object (under a's ring lock) and links it into its own ring
    gb.untrack(la);
    expect(ga.isTracked(la)).toBe(false);
    expect(ga.ringOf(la)).toBe(0);
    expect(members(ga, young[ringA - 1]!)).not.toContain(la);
    expect(a.rt.verifyHeap()).toEqual([]);
    gb.track(la);
    expect(ga.ringOf(la)).toBe(ringB);
    expect(members(ga, young[ringB - 1]!)).toContain(la);
    expect(a.rt.verifyHeap()).toEqual([]);

    // the verifier notices a ring number that does not match the ring
    const fw = (la - 16 + 12) >> 2;
    const i32 = a.rt.space.i32;
    const saved = i32[fw]!;
    i32[fw] = (saved & ~(31 << 3)) | (ringA << 3);
    expect(a.rt.verifyHeap().join('\n')).toMatch(/gc_flags name ring/);
    i32[fw] = saved;

    a.py.decref(la);
    b.py.decref(lb);
    expect(a.rt.verifyHeap()).toEqual([]);
  });

  it('slots GC_MAX_RINGS apart share a ring (and its lock) and keep it sound', () => {
    const a = ftRuntime({ maxThreads: GC_MAX_RINGS + 2 });
    const views = [a];
    while (views.length < GC_MAX_RINGS + 1) views.push(otherThread(a.rt));
    const first = views[0]!;
    const last = views[GC_MAX_RINGS]!; // slot GC_MAX_RINGS: ring 1 again
    const made: [typeof first, number][] = [];
    for (let i = 0; i < 50; i++) {
      made.push([first, first.py.list()]);
      made.push([last, last.py.list()]);
    }
    const gcl = first.rt.space.gcl;
    expect(gcl.ringOf(made[0]![1])).toBe(gcl.ringOf(made[1]![1]));
    expect(gcl.youngHeads()).toHaveLength(GC_MAX_RINGS);
    expect(first.rt.verifyHeap()).toEqual([]);
    // free every other one, each by the thread that made it
    for (let i = 0; i < made.length; i += 2) made[i]![0].py.decref(made[i]![1]);
    expect(first.rt.verifyHeap()).toEqual([]);
    for (let i = 1; i < made.length; i += 2) made[i]![0].py.decref(made[i]![1]);
    expect(first.rt.verifyHeap()).toEqual([]);
  });

  it('the lock bits of an object survive tracking (the ring number shares its flags word)', () => {
    const a = ftRuntime();
    const l = a.py.list();
    const gcl = a.rt.space.gcl;
    const fw = (l - 16 + 12) >> 2;
    const i32 = a.rt.space.i32;
    const before = i32[fw]! & ~(31 << 3);
    gcl.untrack(l);
    gcl.track(l);
    expect(i32[fw]! & ~(31 << 3)).toBe(before);
    expect(gcl.ringOf(l)).toBeGreaterThan(0);
    a.py.decref(l);
  });

  it('a collection merges the young rings into generation 0 and clears their ring numbers', () => {
    const a = ftRuntime();
    const gcl = a.rt.space.gcl;
    const keep = a.py.list();
    // a garbage cycle made in this thread's ring
    const x = a.py.list();
    const y = a.py.list();
    a.py.append(x, y);
    a.py.append(y, x);
    a.py.decref(x);
    a.py.decref(y);
    expect(gcl.ringOf(keep)).toBeGreaterThan(0);
    expect(a.py.gc.collect()).toBeGreaterThanOrEqual(2);
    for (const head of gcl.youngHeads()) expect(gcl.listIsEmpty(head)).toBe(true);
    expect(gcl.isTracked(keep)).toBe(true);
    expect(gcl.ringOf(keep)).toBe(0);
    expect(members(gcl, gcl.head(2))).toContain(keep);
    expect(a.rt.verifyHeap()).toEqual([]);
    // get_objects (world stopped, rings merged first) sees new young objects too
    const fresh = a.py.list();
    expect(gcl.ringOf(fresh)).toBeGreaterThan(0);
    const all = a.py.gc.get_objects(0);
    expect(a.py.toJS(all) as unknown[]).toContainEqual([]);
    expect(members(gcl, gcl.head(0))).toContain(fresh);
    a.py.decref(all);
    a.py.decref(fresh);
    a.py.decref(keep);
    expect(a.rt.verifyHeap()).toEqual([]);
  });

  it('freeze, get_freeze_count, unfreeze and get_referrers see objects still in young rings', () => {
    const a = ftRuntime();
    const gcl = a.rt.space.gcl;
    const inner = a.py.list();
    const outer = a.py.list();
    a.py.append(outer, inner);
    expect(gcl.ringOf(outer)).toBeGreaterThan(0);
    const refs = a.py.gc.get_referrers(inner);
    expect(a.py.len(refs)).toBe(1);
    const r0 = a.py.getitem(refs, 0);
    expect(r0).toBe(outer);
    a.py.decref(r0);
    a.py.decref(refs);
    const more = a.py.list(); // young again after get_referrers merged the rings
    expect(gcl.ringOf(more)).toBeGreaterThan(0);
    a.py.gc.freeze();
    expect(a.py.gc.get_freeze_count()).toBeGreaterThanOrEqual(3);
    for (const head of gcl.youngHeads()) expect(gcl.listIsEmpty(head)).toBe(true);
    expect(members(gcl, gcl.head(3))).toEqual(expect.arrayContaining([inner, outer, more]));
    expect(a.rt.verifyHeap()).toEqual([]);
    a.py.gc.unfreeze();
    expect(a.py.gc.get_freeze_count()).toBe(0);
    expect(members(gcl, gcl.head(2))).toEqual(expect.arrayContaining([inner, outer, more]));
    a.py.decref(more);
    a.py.decref(outer);
    a.py.decref(inner);
    expect(a.rt.verifyHeap()).toEqual([]);
  });

  it('generation 0 is counted per thread and added every LOCAL_ALLOC_COUNT_THRESHOLD allocations', () => {
    const a = ftRuntime({ gcThresholds: [0, 10, 10] }); // threshold 0: no automatic collection
    const gcl = a.rt.space.gcl;
    const made: number[] = [];
    // fill up to a flush, so the next LOCAL_ALLOC_COUNT_THRESHOLD - 1 are all pending
    while (gcl.count(0) === 0) made.push(a.py.list());
    const base = gcl.count(0);
    for (let i = 0; i < LOCAL_ALLOC_COUNT_THRESHOLD - 1; i++) made.push(a.py.list());
    expect(gcl.count(0)).toBe(base);
    made.push(a.py.list());
    expect(gcl.count(0)).toBe(base + LOCAL_ALLOC_COUNT_THRESHOLD);
    // deallocations count down the same way: 511 pending, the 512th subtracts them all
    const last = made.splice(made.length - LOCAL_ALLOC_COUNT_THRESHOLD);
    for (const o of last.slice(1)) a.py.decref(o);
    expect(gcl.count(0)).toBe(base + LOCAL_ALLOC_COUNT_THRESHOLD);
    a.py.decref(last[0]!);
    expect(gcl.count(0)).toBe(base);
    for (const o of made) a.py.decref(o);
    expect(a.rt.verifyHeap()).toEqual([]);
  });

  it('with a GIL there are no young rings: generation 0 is one ring, counted exactly', () => {
    const rt = Runtime.create({ python: '3.11', traceEvents: 0 });
    const py = rt.mainThread();
    const gcl = rt.space.gcl;
    expect(gcl.youngHeads()).toEqual([]);
    const c = gcl.count(0);
    const l = py.list();
    expect(gcl.ringOf(l)).toBe(0);
    expect(gcl.count(0)).toBe(c + 1);
    expect(members(gcl, gcl.head(0))).toContain(l);
    py.decref(l);
  });
});

/*
 * Biased reference counting (PEP 703), state by state. Two (or three) Python threads share one
 * buffer from this JS thread: the one that made an object owns it (ob_tid = its ident); the
 * others are non-owners. Polls are driven by hand (py.tick() runs the eval breaker).
 */
import { describe, expect, it } from 'vitest';
import { SHARED_MERGED, SHARED_QUEUED, SHARED_SHIFT, SHARED_WEAKREFS, IMMORTAL_REFCNT } from '../../src/objects/header.ts';
import { brcStats, closeThreadRecord, openThreadRecord, slotOfIdent } from '../../src/objects/brc.ts';
import { BRC_MERGE_BIT, Runtime } from '../../src/runtime/runtime.ts';
import { ST_DONE, slotWord, T_BREAKER } from '../../src/runtime/threadstate.ts';
import { ftRuntime, otherThread, words } from './helpers.ts';

const ONE = 1 << SHARED_SHIFT;

function breakerOf(rt: Runtime): number {
  return Atomics.load(rt.threads.i32, slotWord(rt.layout, rt.threads.current!.slot, T_BREAKER));
}

describe('biased reference counting', () => {
  it('is the 3.13t default; an object is owned by the thread that made it', () => {
    const { rt, py } = ftRuntime();
    expect(rt.config.refcount).toBe('biased');
    const o = py.object();
    expect(words(rt, o)).toEqual({ local: 1, tid: rt.space.ident, shared: 0 });
    expect(rt.space.ident).toBeGreaterThan(0);
    py.decref(o);
  });

  it('the owner counts in ob_ref_local and never touches the shared word', () => {
    const { rt, py } = ftRuntime();
    const o = py.object();
    py.incref(o);
    py.incref(o);
    expect(words(rt, o)).toMatchObject({ local: 3, shared: 0 });
    expect(py.sys.getrefcount(o)).toBe(4);
    py.decref(o);
    py.decref(o);
    expect(words(rt, o)).toMatchObject({ local: 1, shared: 0 });
    py.decref(o);
    expect(rt.space.isLiveObject(o)).toBe(false);
  });

  it('another thread counts in ob_ref_shared as count << 2; getrefcount is local + shared', () => {
    const a = ftRuntime();
    const b = otherThread(a.rt);
    const o = a.py.object();
    b.py.incref(o);
    b.py.incref(o);
    expect(words(a.rt, o)).toEqual({ local: 1, tid: a.rt.space.ident, shared: 2 * ONE });
    expect(a.py.sys.getrefcount(o)).toBe(4);
    expect(b.py.sys.getrefcount(o)).toBe(4);
    b.py.decref(o);
    b.py.decref(o);
    expect(words(a.rt, o)).toMatchObject({ local: 1, shared: 0 });
    a.py.decref(o);
    expect(a.rt.space.isLiveObject(o)).toBe(false);
  });

  it("a non-owner's decref at shared 0 queues the object; the owner merges it at its next poll", () => {
    const a = ftRuntime();
    const b = otherThread(a.rt);
    const o = a.py.object();
    a.py.incref(o); // the reference b will drop: counted in the owner's local count
    const before = brcStats(a.rt.space);
    b.py.decref(o);
    // QUEUED with count 0: the queue holds the dropped reference until the owner merges
    expect(words(a.rt, o)).toMatchObject({ local: 2, shared: SHARED_QUEUED });
    expect(a.rt.space.refcount(o)).toBe(2); // (a py call by the owner would poll, and merge)
    expect(breakerOf(a.rt) & BRC_MERGE_BIT).toBe(BRC_MERGE_BIT);
    expect(brcStats(a.rt.space).queued - before.queued).toBe(1);
    a.py.tick(); // the owner polls: merge local + shared - 1, give the object up
    expect(breakerOf(a.rt) & BRC_MERGE_BIT).toBe(0);
    expect(words(a.rt, o)).toEqual({ local: 0, tid: 0, shared: (1 << SHARED_SHIFT) | SHARED_MERGED });
    expect(brcStats(a.rt.space).merged - before.merged).toBe(1);
    expect(a.py.sys.getrefcount(o)).toBe(2);
    // merged: everyone takes the shared path; the last decref frees it
    a.py.decref(o);
    expect(a.rt.space.isLiveObject(o)).toBe(false);
    expect(a.rt.verifyHeap()).toEqual([]);
  });

  it('the shared count may go negative while queued; the merge balances it', () => {
    const a = ftRuntime();
    const b = otherThread(a.rt);
    const o = a.py.object();
    a.py.incref(o);
    a.py.incref(o); // local 3: the owner's reference and two handed to b
    b.py.decref(o); // queued
    b.py.decref(o); // -1 << 2, still QUEUED
    expect(words(a.rt, o)).toMatchObject({ local: 3, shared: ((-1 << SHARED_SHIFT) | SHARED_QUEUED) | 0 });
    expect(b.py.sys.getrefcount(o)).toBe(3); // 3 + (-1) + getrefcount's own
    a.py.tick();
    expect(words(a.rt, o)).toEqual({ local: 0, tid: 0, shared: (1 << SHARED_SHIFT) | SHARED_MERGED });
    b.py.decref(o); // the last reference, through the shared word: MERGED with count 0 frees
    expect(b.rt.space.isLiveObject(o)).toBe(false);
  });

  it("the owner's local count reaching zero with shared references left merges it (no owner any more)", () => {
    const a = ftRuntime();
    const b = otherThread(a.rt);
    const o = a.py.object();
    b.py.incref(o);
    a.py.decref(o); // local 0, shared 1: _Py_MergeZeroLocalRefcount
    expect(words(a.rt, o)).toEqual({ local: 0, tid: 0, shared: ONE | SHARED_MERGED });
    expect(a.py.sys.getrefcount(o)).toBe(2); // still a live handle although ob_ref_local is 0
    b.py.decref(o);
    expect(a.rt.space.isLiveObject(o)).toBe(false);
  });

  it('immortal objects are never written, by the owner or anyone else', () => {
    const a = ftRuntime();
    const b = otherThread(a.rt);
    const five = a.py.int(5); // a small int: static, immortal
    for (const o of [a.py.None, a.py.True, five, a.py.tuple()]) {
      const before = words(a.rt, o);
      expect(before.local).toBe(IMMORTAL_REFCNT);
      a.py.incref(o);
      b.py.incref(o);
      b.py.decref(o);
      b.py.decref(o);
      a.py.decref(o);
      expect(words(a.rt, o)).toEqual(before);
    }
  });

  it('objects of a thread that exited are merged by the thread that drops them', () => {
    const a = ftRuntime();
    const c = otherThread(a.rt);
    const o = c.py.object();
    const l = c.py.list([o]); // c's list: its reference to o is counted in c's local count
    c.py.decref(o);
    const cIdent = c.rt.space.ident;
    const slot = c.rt.threads.current!.slot;
    c.rt.threads.current!.finish(ST_DONE); // c exits: its queue closes, it gives up ownership
    expect(words(a.rt, o)).toMatchObject({ local: 1, tid: cIdent, shared: 0 });
    const before = brcStats(a.rt.space);
    a.py.delitem(l, 0); // the last reference: its owner is gone, so a merges and frees it at once
    expect(a.rt.space.isLiveObject(o)).toBe(false);
    expect(brcStats(a.rt.space).orphaned - before.orphaned).toBe(1);
    a.py.decref(l);
    expect(a.rt.space.isLiveObject(l)).toBe(false);
    // the next thread in c's slot gets a new ident: it does not inherit c's objects
    const spare = Runtime.attach(a.rt.sab).space;
    const next = openThreadRecord(spare, slot);
    expect(next).not.toBe(cIdent);
    expect(slotOfIdent(spare, next)).toBe(slotOfIdent(spare, cIdent));
    closeThreadRecord(spare, slot);
    expect(a.rt.verifyHeap()).toEqual([]);
  });

  it('tryIncref refuses a dying object and an ambiguous shared 0; a weakref makes the shared path sound', () => {
    const a = ftRuntime();
    const b = otherThread(a.rt);
    const cls = a.py.newClass('C');
    const o = a.py.instance(cls);
    expect(b.rt.space.rc.tryIncref(o)).toBe(false); // shared 0: the owner might be at zero
    expect(a.rt.space.rc.tryIncref(o)).toBe(true); // the owner knows its local count
    a.py.decref(o);
    const r = a.py.weakref(o); // marks o: WEAKREFS state
    expect(words(a.rt, o).shared).toBe(SHARED_WEAKREFS);
    expect(b.rt.space.rc.tryIncref(o)).toBe(true);
    expect(words(a.rt, o).shared).toBe(ONE | SHARED_WEAKREFS);
    b.py.decref(o);
    const got = b.py.deref(r);
    expect(got).toBe(o);
    b.py.decref(got);
    a.py.decref(o); // dies: local 0 with shared WEAKREFS -> merged to zero, freed
    expect(a.rt.space.isLiveObject(o)).toBe(false);
    expect(b.rt.space.rc.tryIncref(o)).toBe(false); // the dead header: shared MERGED, count 0
    expect(b.py.deref(r)).toBe(b.py.None);
    a.py.decref(r);
    a.py.decref(cls);
  });

  it('the atomic and plain strategies refuse a zero count in tryIncref', () => {
    for (const refcount of ['atomic', 'plain'] as const) {
      const rt = Runtime.create({ python: '3.11', refcount, maxThreads: 2, traceEvents: 0 });
      const py = rt.mainThread();
      const o = py.object();
      expect(rt.space.rc.tryIncref(o)).toBe(true);
      expect(py.sys.getrefcount(o)).toBe(3);
      rt.space.rc.setCount(o, 0); // as during a dealloc
      expect(rt.space.rc.tryIncref(o)).toBe(false);
      expect(rt.space.refcount(o)).toBe(0);
      rt.space.rc.setCount(o, 1);
      py.decref(o);
    }
  });
});

/*
 * Reads safe against a concurrent drop of the last reference: without a GIL the block of a dead
 * object that other threads may read without a lock (OB_SHARED: an item of a shared list, a weak
 * referent) is not reused until every attached thread passed a quiescent point (QSBR, the thread
 * heap's deferred frees), so a reader that found the object an instant before it died reads a
 * dead header, and its tryIncref fails. A thread's private objects are freed at once.
 */
import { describe, expect, it } from 'vitest';
import { OB_SHARED } from '../../src/objects/header.ts';
import { ST_DONE } from '../../src/runtime/threadstate.ts';
import { ftRuntime, otherThread, words } from './helpers.ts';

describe('QSBR: freed shared objects wait for every attached thread', () => {
  it('a list used by another thread becomes shared, with its items, now and later', () => {
    const a = ftRuntime();
    const b = otherThread(a.rt);
    const [x, y] = [a.py.object(), a.py.object()];
    const l = a.py.list([x]);
    a.py.append(l, x); // the maker's own list: nothing shared
    expect(words(a.rt, l).tid & OB_SHARED).toBe(0);
    expect(words(a.rt, x).tid & OB_SHARED).toBe(0);
    a.py.decref(b.py.getitem(l, 0)); // another thread reads it
    expect(words(a.rt, l).tid & OB_SHARED).toBe(OB_SHARED);
    expect(words(a.rt, x).tid & OB_SHARED).toBe(OB_SHARED);
    a.py.append(l, y); // stored into a shared list: shared too
    expect(words(a.rt, y).tid & OB_SHARED).toBe(OB_SHARED);
    for (const o of [l, x, y]) a.py.decref(o);
  });

  it('a shared object freed while another thread is attached keeps its block until both quiesce', () => {
    const a = ftRuntime();
    const b = otherThread(a.rt);
    const cls = a.py.newClass('C');
    const o = a.py.instance(cls);
    const l = a.py.list([o]);
    a.py.decref(o);
    a.py.decref(b.py.getitem(l, 0)); // l is shared now: b may read its items without a lock
    const block = o - 16; // the GC header starts the block
    a.py.delitem(l, 0); // the last reference
    expect(a.rt.space.isLiveObject(o)).toBe(false); // dead: ob_type 0
    expect(a.rt.heap.isLiveBlock(block)).toBe(true); // ...but its memory not reused yet
    expect(b.rt.space.rc.tryIncref(o)).toBe(false); // a reader that found it gets nothing
    for (let k = 0; k < 4; k++) {
      a.py.compute(5_000); // both threads pass quiescent points
      b.py.compute(5_000);
    }
    expect(a.rt.heap.isLiveBlock(block)).toBe(false);
    a.py.decref(l);
    a.py.decref(cls);
  });

  it("a thread's private objects, and any object of a thread alone, are freed at once", () => {
    const a = ftRuntime();
    const b = otherThread(a.rt);
    const p = a.py.object();
    a.py.decref(p);
    expect(a.rt.heap.isLiveBlock(p)).toBe(false); // never shared: nobody can be reading it
    const x = a.py.object();
    const l = a.py.list([x]);
    a.py.decref(b.py.getitem(l, 0));
    a.py.decref(x);
    a.py.delitem(l, 0);
    expect(a.rt.heap.isLiveBlock(x)).toBe(true); // shared, b attached: deferred
    const ts = b.rt.threads.current!;
    ts.finish(ST_DONE); // b exits: a is alone now
    b.rt.threads.unbind(ts);
    const y = a.py.object();
    a.py.append(l, y);
    a.py.decref(y);
    a.py.delitem(l, 0);
    expect(a.rt.heap.isLiveBlock(y)).toBe(false); // shared, but no other thread attached
    a.py.compute(10_000);
    expect(a.rt.heap.isLiveBlock(x)).toBe(false);
    a.py.decref(l);
    expect(a.rt.verifyHeap()).toEqual([]);
  });
});

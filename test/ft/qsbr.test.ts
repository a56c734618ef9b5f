/*
 * Reads safe against a concurrent drop of the last reference: without a GIL a dead object's
 * block is not reused until every attached thread passed a quiescent point (QSBR, the thread
 * heap's deferred frees), so a reader that found the object an instant before it died reads a
 * dead header, and its tryIncref fails.
 */
import { describe, expect, it } from 'vitest';
import { ST_DONE } from '../../src/runtime/threadstate.ts';
import { ftRuntime, otherThread } from './helpers.ts';

describe('QSBR: freed objects wait for every attached thread', () => {
  it('a block freed while another thread is attached stays allocated, its header dead', () => {
    const a = ftRuntime();
    const b = otherThread(a.rt);
    const cls = a.py.newClass('C');
    const o = a.py.instance(cls);
    const block = o - 16; // the GC header starts the block
    a.py.decref(o);
    expect(a.rt.space.isLiveObject(o)).toBe(false); // dead: ob_type 0
    expect(a.rt.heap.isLiveBlock(block)).toBe(true); // ...but its memory not reused yet
    expect(b.rt.space.rc.tryIncref(o)).toBe(false); // a reader that found it gets nothing
    // both threads pass quiescent points (the eval breaker's periodic slow path)
    for (let k = 0; k < 4; k++) {
      a.py.compute(5_000);
      b.py.compute(5_000);
    }
    expect(a.rt.heap.isLiveBlock(block)).toBe(false);
    a.py.decref(cls);
  });

  it('a thread alone frees at once; the other thread leaving settles what was deferred', () => {
    const a = ftRuntime();
    const b = otherThread(a.rt);
    const x = a.py.object();
    a.py.decref(x);
    expect(a.rt.heap.isLiveBlock(x)).toBe(true); // b is attached: deferred
    const ts = b.rt.threads.current!;
    ts.finish(ST_DONE); // b exits: a is alone now
    b.rt.threads.unbind(ts);
    const y = a.py.object();
    a.py.decref(y);
    expect(a.rt.heap.isLiveBlock(y)).toBe(false); // alone: no reader can exist, freed at once
    a.py.compute(10_000);
    expect(a.rt.heap.isLiveBlock(x)).toBe(false);
    expect(a.rt.verifyHeap()).toEqual([]);
  });
});

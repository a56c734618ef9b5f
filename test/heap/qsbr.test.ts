/*
 * QSBR deferred frees (thread heaps): a block freed with freeDeferred is not reused until every
 * online thread has passed a quiescent point after the free; offline threads hold back nobody;
 * the queue survives its thread (adopted with its pools); the verifier sees the queues.
 */
import { describe, expect, it } from 'vitest';
import { createHeap, GilsimError, InvalidFree, ThreadHeap, type Heap } from '../../src/index.ts';
import { deferChunkEntries } from '../../src/heap/qsbr.ts';

function setup(threads = 3): { h: Heap; t: ThreadHeap[] } {
  const h = createHeap({ maxBytes: 64 << 20, maxThreads: threads });
  return { h, t: Array.from({ length: threads }, (_, slot) => ThreadHeap.attach(h.mem, h.layout, { slot })) };
}
const deferred = (h: Heap): number => h.debugmallocstats().deferredFreesPending;

describe('freeDeferred', () => {
  it('waits until every online thread has passed a quiescent point after the free', () => {
    const { h, t } = setup();
    const [a, b, c] = t as [ThreadHeap, ThreadHeap, ThreadHeap];
    c.qsbrOffline(); // detached: holds back nobody
    const p = a.malloc(64);
    a.freeDeferred(p);
    expect(h.isLiveBlock(p)).toBe(true);
    expect(deferred(h)).toBe(1);
    for (let i = 0; i < 5; i++) {
      a.quiescent();
      expect(a.malloc(64)).not.toBe(p); // never reused while b may still be reading it
    }
    expect(h.isLiveBlock(p)).toBe(true);
    b.quiescent(); // b passes a quiescent point after the free
    a.quiescent();
    expect(h.isLiveBlock(p)).toBe(false);
    expect(deferred(h)).toBe(0);
    expect(h.verifyHeap()).toEqual([]);
  });

  it('a thread that went offline does not hold frees back; one that comes online starts at the current sequence', () => {
    const { h, t } = setup();
    const [a, b, c] = t as [ThreadHeap, ThreadHeap, ThreadHeap];
    b.qsbrOffline();
    c.qsbrOffline();
    const p = a.malloc(64);
    a.freeDeferred(p);
    a.quiescent(); // not yet due: advances the write sequence
    a.quiescent(); // due: a is the only online thread
    expect(h.isLiveBlock(p)).toBe(false);
    b.qsbrOnline();
    const q = a.malloc(64);
    a.freeDeferred(q);
    a.quiescent();
    a.quiescent();
    expect(h.isLiveBlock(q)).toBe(true); // b is online again and has not passed a quiescent point
    b.quiescent();
    a.quiescent();
    expect(h.isLiveBlock(q)).toBe(false);
    expect(h.verifyHeap()).toEqual([]);
  });

  it('many deferred frees fill several chunks and drain completely', () => {
    const { h, t } = setup(2);
    const [a, b] = t as [ThreadHeap, ThreadHeap];
    const base = h.liveBlockCount();
    const n = 5 * deferChunkEntries(a) + 7;
    const ps = Array.from({ length: n }, (_, i) => b.malloc(1 + (i % 500)));
    for (const p of ps) a.freeDeferred(p); // blocks of b's pools: really freed as cross-thread frees
    expect(deferred(h)).toBe(n);
    expect(h.verifyHeap()).toEqual([]);
    for (let i = 0; i < 3 && deferred(h) > 0; i++) {
      b.quiescent();
      a.quiescent();
    }
    expect(deferred(h)).toBe(0);
    b.collect(true);
    expect(h.liveBlockCount()).toBe(base); // the chunks are gone too
    expect(h.debugmallocstats().pendingCrossThreadFrees).toBe(0);
    expect(h.verifyHeap()).toEqual([]);
  });

  it('an exited thread\'s queue is adopted with its pools, and drains', () => {
    const { h, t } = setup();
    const [a, b, c] = t as [ThreadHeap, ThreadHeap, ThreadHeap];
    c.qsbrOffline();
    const ps = Array.from({ length: 100 }, () => a.malloc(40));
    for (const p of ps) a.freeDeferred(p);
    a.abandon(); // b has not passed a quiescent point: the frees stay queued
    const s = h.debugmallocstats();
    expect(s.abandonedThreads).toBe(1);
    expect(s.deferredFreesPending).toBe(100);
    expect(h.verifyHeap()).toEqual([]);
    expect(b.adoptAbandoned()).toBe(1);
    expect(h.debugmallocstats().threads.find((x) => x.slot === 1)!.deferredFrees).toBe(100);
    b.quiescent();
    b.quiescent();
    expect(ps.some((p) => h.isLiveBlock(p))).toBe(false);
    expect(h.liveBlockCount()).toBe(0);
    expect(h.verifyHeap()).toEqual([]);
  });

  it('misuse: not a live block, an unbound handle, the same block queued twice (caught by the verifier)', () => {
    const { h, t } = setup(2);
    const a = t[0]!;
    const p = a.malloc(32);
    a.free(p);
    expect(() => a.freeDeferred(p)).toThrow(InvalidFree);
    const q = a.malloc(32);
    a.freeDeferred(q);
    a.freeDeferred(q);
    expect(h.verifyHeap().join('\n')).toMatch(/queued for deferred free twice/);
    const u = ThreadHeap.attach(h.mem, h.layout);
    expect(() => u.freeDeferred(u.malloc(16))).toThrow(GilsimError);
  });
});

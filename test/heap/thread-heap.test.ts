/*
 * Thread heaps (free-threaded mode), in one JS thread: several ThreadHeap handles bound to
 * different thread slots play the threads. Owner and cross-thread frees, collection of the
 * thread-free lists, a full pool coming back through the delayed-free list, abandonment and
 * adoption, the unbound (shared, locked) mode, raw blocks, and the verifier's new checks.
 */
import { describe, expect, it } from 'vitest';
import { createHeap, InvalidFree, MemoryError, ThreadHeap, type Heap, type HeapProfile } from '../../src/index.ts';
import { POOL_OWNER, POOL_REF_COUNT, POOL_XTHREAD_FREE, TH_STATE, TH_ABANDONED } from '../../src/heap/state.ts';

const BLOCK = 32;

function setup(profile: HeapProfile = '3.11', threads = 4): { h: Heap; t: ThreadHeap[] } {
  const h = createHeap({ profile, maxBytes: 64 << 20, maxThreads: threads });
  const t = Array.from({ length: threads }, (_, slot) => ThreadHeap.attach(h.mem, h.layout, { slot }));
  return { h, t };
}
const poolOf = (h: Heap, p: number): number => p & ~(h.geometry.POOL_SIZE - 1);
const word = (h: Heap, off: number): number => h.mem.i32[off >> 2]!;
const perPool = (h: Heap, size: number): number => Math.floor((h.geometry.POOL_SIZE - h.geometry.POOL_OVERHEAD) / size);
const thread = (h: Heap, slot: number) => h.debugmallocstats().threads.find((s) => s.slot === slot);

describe.each(['3.11', 'legacy'] as HeapProfile[])('profile %s', (profile) => {
  it('the owner allocates from pools it owns and frees them without leaving anything pending', () => {
    const { h, t } = setup(profile);
    const a = t[0]!;
    const ps = Array.from({ length: 3000 }, (_, i) => a.malloc(1 + (i % 300)));
    for (const p of ps) expect(word(h, poolOf(h, p) + POOL_OWNER)).toBe(1);
    expect(thread(h, 0)!.pools).toBeGreaterThan(0);
    expect(h.verifyHeap()).toEqual([]);
    for (const p of ps) a.free(p);
    expect(h.liveBlockCount()).toBe(0);
    const s = h.debugmallocstats();
    expect(s.pendingCrossThreadFrees).toBe(0);
    expect(s.ownedPools).toBe(0); // every pool went back to its arena, owner cleared
    expect(h.verifyHeap()).toEqual([]);
  });

  it('a cross-thread free is pending (not live, counted available) until the owner collects it', () => {
    const { h, t } = setup(profile);
    const [a, b] = t as [ThreadHeap, ThreadHeap];
    const ps = Array.from({ length: 100 }, () => a.malloc(BLOCK));
    const pool = poolOf(h, ps[0]!);
    for (let i = 0; i < 40; i++) b.free(ps[i]!);
    expect(word(h, pool + POOL_REF_COUNT)).toBe(100); // the owner's count has not moved
    expect(word(h, pool + POOL_XTHREAD_FREE)).toBe(ps[39]); // LIFO: the last freed is the head
    expect(ps.slice(0, 40).some((p) => h.isLiveBlock(p))).toBe(false);
    expect(h.liveBlockCount()).toBe(60);
    const s = h.debugmallocstats();
    expect(s.pendingCrossThreadFrees).toBe(40);
    expect(s.classes.find((c) => c.size === BLOCK)!).toMatchObject({ blocksInUse: 60, availBlocks: perPool(h, BLOCK) - 60 });
    expect(thread(h, 0)!.pendingFrees).toBe(40);
    expect(h.verifyHeap()).toEqual([]);
    expect(a.collect()).toBe(40); // hinted: b pushed on a thread-free list of a's
    expect(word(h, pool + POOL_REF_COUNT)).toBe(60);
    expect(a.collect()).toBe(0);
    expect(h.debugmallocstats().pendingCrossThreadFrees).toBe(0);
    expect(h.verifyHeap()).toEqual([]);
  });

  it('double frees are InvalidFree whoever makes them, and change nothing', () => {
    const { h, t } = setup(profile);
    const [a, b, c] = t as [ThreadHeap, ThreadHeap, ThreadHeap];
    const ps = Array.from({ length: 10 }, () => a.malloc(BLOCK));
    b.free(ps[0]!);
    expect(() => b.free(ps[0]!)).toThrow(InvalidFree); // same foreign thread again
    expect(() => c.free(ps[0]!)).toThrow(InvalidFree); // another foreign thread
    expect(() => a.free(ps[0]!)).toThrow(InvalidFree); // the owner, of a block freed by another
    a.free(ps[1]!);
    expect(() => b.free(ps[1]!)).toThrow(InvalidFree); // foreign, of a block the owner freed
    expect(() => b.free(ps[2]! + 16)).toThrow(InvalidFree); // interior pointer
    expect(h.debugmallocstats().pendingCrossThreadFrees).toBe(1);
    expect(h.verifyHeap()).toEqual([]);
  });

  it('the owner reuses blocks freed by others when its freeblock list runs dry, without collect()', () => {
    const { h, t } = setup(profile);
    const [a, b] = t as [ThreadHeap, ThreadHeap];
    const ps = Array.from({ length: 100 }, () => a.malloc(BLOCK));
    const freed = new Set(ps.slice(10, 60));
    for (const p of freed) b.free(p);
    const before = h.debugmallocstats().classes.find((c) => c.size === BLOCK)!.pools;
    // the lazily carved block ahead is handed out first, then the pool's thread-free list is taken
    const next = Array.from({ length: 51 }, () => a.malloc(BLOCK));
    expect(next.slice(1).every((p) => freed.has(p))).toBe(true);
    expect(h.debugmallocstats().classes.find((c) => c.size === BLOCK)!.pools).toBe(before);
    expect(h.verifyHeap()).toEqual([]);
  });

  it('a full pool that receives a cross-thread free comes back through the delayed-free list', () => {
    const { h, t } = setup(profile);
    const [a, b] = t as [ThreadHeap, ThreadHeap];
    const n = perPool(h, BLOCK);
    const ps = Array.from({ length: n }, () => a.malloc(BLOCK));
    expect(new Set(ps.map((p) => poolOf(h, p))).size).toBe(1);
    expect(thread(h, 0)).toMatchObject({ pools: 1, fullPools: 1 });
    b.free(ps[7]!); // the first foreign free into a full pool goes to the owner's delayed list
    b.free(ps[8]!); // the next ones to the pool's thread-free list
    expect(thread(h, 0)).toMatchObject({ delayedFrees: 1, pendingFrees: 2 });
    expect(h.verifyHeap()).toEqual([]);
    // the ring of this class is empty: before taking a new pool, the owner absorbs its delayed list
    const q = a.malloc(BLOCK);
    expect(q).toBe(ps[7]);
    // handing out ps[7] left freeblock dry: the pool's thread-free list (ps[8]) was absorbed
    expect(thread(h, 0)).toMatchObject({ pools: 1, fullPools: 0, delayedFrees: 0, pendingFrees: 0 });
    expect(a.malloc(BLOCK)).toBe(ps[8]);
    expect(thread(h, 0)).toMatchObject({ pools: 1, fullPools: 1 });
    expect(h.verifyHeap()).toEqual([]);
    for (const p of ps) a.free(p);
    expect(h.liveBlockCount()).toBe(0);
    expect(h.verifyHeap()).toEqual([]);
  });

  it('pools emptied by cross-thread frees go back to their arena at collect()', () => {
    const { h, t } = setup(profile);
    const [a, b] = t as [ThreadHeap, ThreadHeap];
    const ps = Array.from({ length: 5000 }, (_, i) => a.malloc(1 + (i % 400)));
    for (const p of ps) b.free(p);
    expect(h.liveBlockCount()).toBe(0);
    expect(h.debugmallocstats().ownedPools).toBeGreaterThan(0);
    expect(h.verifyHeap()).toEqual([]);
    expect(a.collect(true)).toBe(ps.length);
    const s = h.debugmallocstats();
    expect(s.ownedPools).toBe(0);
    expect(s.unusedPools).toBe(s.arenasCurrent * h.geometry.MAX_POOLS_IN_ARENA);
    expect(h.verifyHeap()).toEqual([]);
  });

  it('an exited thread\'s pools are abandoned, keep receiving frees, and are adopted', () => {
    const { h, t } = setup(profile);
    const [a, b, c] = t as [ThreadHeap, ThreadHeap, ThreadHeap];
    const ps = Array.from({ length: 3 * perPool(h, BLOCK) }, () => a.malloc(BLOCK)); // 3 full pools
    const qs = Array.from({ length: 20 }, () => a.malloc(BLOCK)); // and a used one
    b.free(ps[0]!);
    a.abandon();
    expect(a.bound).toBe(false);
    expect(word(h, h.threadHeap(0) + TH_STATE)).toBe(TH_ABANDONED);
    const s = h.debugmallocstats();
    expect(s.abandonedThreads).toBe(1);
    expect(s.abandonedPools).toBe(4);
    expect(h.verifyHeap()).toEqual([]);
    // frees into abandoned pools (full and used) are not lost
    for (let i = 1; i < 100; i++) c.free(ps[i]!);
    for (const q of qs.slice(0, 10)) c.free(q);
    expect(h.liveBlockCount()).toBe(ps.length + qs.length - 110);
    expect(h.verifyHeap()).toEqual([]);
    expect(b.adoptAbandoned()).toBe(1);
    const s2 = h.debugmallocstats();
    expect(s2.abandonedThreads).toBe(0);
    expect(thread(h, 0)).toBeUndefined(); // FREE again
    expect(thread(h, 1)!.adopted).toBe(1);
    expect(s2.pendingCrossThreadFrees).toBe(0); // the adopter collected everything
    for (const p of [...ps.slice(100), ...qs.slice(10)]) expect(word(h, poolOf(h, p) + POOL_OWNER)).toBe(2);
    expect(h.verifyHeap()).toEqual([]);
    for (const p of [...ps.slice(100), ...qs.slice(10)]) b.free(p); // now the owner's frees
    expect(h.liveBlockCount()).toBe(0);
    expect(h.debugmallocstats().ownedPools).toBe(0);
    expect(h.verifyHeap()).toEqual([]);
  });

  it('a thread needing a new pool adopts abandoned pools on its own; a new thread in the slot reclaims', () => {
    const { h, t } = setup(profile);
    const [a, b] = t as [ThreadHeap, ThreadHeap];
    const p = a.malloc(BLOCK);
    a.abandon();
    const q = b.malloc(BLOCK); // b's ring is empty: it adopts a's used pool rather than a new one
    expect(poolOf(h, q)).toBe(poolOf(h, p));
    expect(thread(h, 1)!.adopted).toBe(1);
    b.free(p);
    b.free(q);
    const r = b.malloc(200);
    b.abandon();
    a.bind(1); // a new thread in slot 1 reclaims its record in place
    expect(word(h, poolOf(h, r) + POOL_OWNER)).toBe(2);
    expect(h.debugmallocstats().abandonedThreads).toBe(0);
    a.free(r);
    expect(h.liveBlockCount()).toBe(0);
    expect(h.verifyHeap()).toEqual([]);
    a.abandon(); // owns nothing: FREE at once
    expect(h.debugmallocstats().threads).toEqual(expect.not.arrayContaining([expect.objectContaining({ slot: 1 })]));
    expect(h.verifyHeap()).toEqual([]);
  });

  it('binding checks its slot', () => {
    const { h, t } = setup(profile);
    expect(() => ThreadHeap.attach(h.mem, h.layout, { slot: 0 })).toThrow(/bound to a running thread/);
    expect(() => t[0]!.bind(1)).toThrow(/already bound/);
    t[3]!.abandon();
    expect(() => t[3]!.bind(4)).toThrow(RangeError);
  });
});

describe('unbound handles, raw blocks, errors', () => {
  it('an unbound handle allocates from the shared rings under the lock; GIL-mode blocks are freed that way', () => {
    const h = createHeap({ maxBytes: 64 << 20, maxThreads: 2 });
    const statics = Array.from({ length: 50 }, () => h.malloc(48)); // filled before the threads get heaps
    const u = ThreadHeap.attach(h.mem, h.layout);
    const mine = Array.from({ length: 50 }, () => u.malloc(48));
    for (const p of [...statics, ...mine]) expect(word(h, poolOf(h, p) + POOL_OWNER)).toBe(0);
    const a = ThreadHeap.attach(h.mem, h.layout, { slot: 0 });
    for (const p of statics) a.free(p); // a shared pool: under the lock, through the shared rings
    for (const p of mine) u.free(p);
    expect(() => a.free(statics[0]!)).toThrow(InvalidFree);
    expect(h.liveBlockCount()).toBe(0);
    expect(u.lock.isLocked()).toBe(false);
    expect(h.verifyHeap()).toEqual([]);
  });

  it('raw blocks and realloc through thread heaps; MemoryError leaves the heap sound and unlocked', () => {
    const { h, t } = setup('3.11', 2);
    const [a, b] = t as [ThreadHeap, ThreadHeap];
    let p = a.malloc(24);
    h.mem.u8.fill(7, p, p + 24);
    p = a.realloc(p, 3000); // pymalloc -> raw
    expect(h.mem.u8[p + 23]).toBe(7);
    p = b.realloc(p, 9000); // resized by another thread
    expect(h.mem.u8[p]).toBe(7);
    const z = b.malloc(0);
    a.free(z);
    expect(() => a.malloc(1 << 30)).toThrow(MemoryError);
    expect(a.lock.isLocked()).toBe(false);
    const big: number[] = [];
    try {
      for (;;) big.push(a.malloc(300));
    } catch (e) {
      expect(e).toBeInstanceOf(MemoryError);
    }
    expect(a.lock.isLocked()).toBe(false);
    expect(h.verifyHeap()).toEqual([]);
    for (const q of big) b.free(q);
    b.free(p);
    a.collect(true);
    expect(h.liveBlockCount()).toBe(0);
    expect(h.verifyHeap()).toEqual([]);
  });
});

describe('verifyHeap catches free-threaded corruption', () => {
  function pending(): { h: Heap; a: ThreadHeap; ps: number[] } {
    const { h, t } = setup('3.11', 2);
    const ps = Array.from({ length: 50 }, () => t[0]!.malloc(BLOCK));
    t[1]!.free(ps[0]!);
    t[1]!.free(ps[1]!);
    expect(h.verifyHeap()).toEqual([]);
    return { h, a: t[0]!, ps };
  }

  it('a block twice on a thread-free list', () => {
    const { h, ps } = pending();
    h.mem.i32[ps[0]! >> 2] = ps[1]!; // the tail points back at the head
    expect(h.verifyHeap().join('\n')).toMatch(/pending twice/);
  });

  it('a pending block without its pending bit', () => {
    const { h, ps } = pending();
    const u = ps[1]! >> h.geometry.ALIGNMENT_SHIFT;
    h.mem.i32[h.bitmapBase + h.xfreeDelta + (u >> 5)] &= ~(1 << u);
    expect(h.verifyHeap().join('\n')).toMatch(/pending bit false/);
  });

  it('a pool owned by a thread whose record is FREE', () => {
    const { h, a, ps } = pending();
    h.mem.i32[(poolOf(h, ps[5]!) + POOL_OWNER) >> 2] = 2;
    expect(h.verifyHeap().join('\n')).toMatch(/not in thread 1's usedpools/);
    a.abandon();
  });
});

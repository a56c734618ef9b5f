/*
 * Arena management: usable_arenas order, where new pools come from, when arenas go back.
 */
import { describe, expect, it } from 'vitest';
import { createHeap, type Heap } from '../../src/index.ts';
import { AO_ADDRESS, AO_NEXTARENA, AO_NFREEPOOLS, S_USABLE_ARENAS } from '../../src/heap/state.ts';

const BLOCK = 512; // 31 blocks per pool in 3.11
const PER_POOL = 31;

function arenaOf(h: Heap, p: number): number {
  return Math.floor((p - h.layout.slotsOff) / h.geometry.ARENA_SIZE);
}

/** nfreepools of the usable arenas, in list order, as [arena slot, nfreepools]. */
function usableArenas(h: Heap): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let ao = h.get(S_USABLE_ARENAS); ao !== 0; ao = h.i32[(ao + AO_NEXTARENA) >> 2]) {
    out.push([arenaOf(h, h.i32[(ao + AO_ADDRESS) >> 2]), h.i32[(ao + AO_NFREEPOOLS) >> 2]]);
  }
  return out;
}

/** Fill `n` whole arenas with 512-byte blocks; returns the blocks, grouped by arena slot. */
function fillArenas(h: Heap, n: number): Map<number, number[]> {
  const byArena = new Map<number, number[]>();
  const blocks = n * h.geometry.MAX_POOLS_IN_ARENA * PER_POOL;
  for (let i = 0; i < blocks; i++) {
    const p = h.malloc(BLOCK);
    const a = arenaOf(h, p);
    if (!byArena.has(a)) byArena.set(a, []);
    byArena.get(a)!.push(p);
  }
  return byArena;
}

describe('arena reclaim', () => {
  it('fill 5 arenas, free everything: 4 reclaimed, 1 kept (bpo-37257)', () => {
    const h = createHeap({ maxBytes: 64 << 20 });
    const byArena = fillArenas(h, 5);
    expect(byArena.size).toBe(5);
    let s = h.debugmallocstats();
    expect(s).toMatchObject({ arenasAllocatedTotal: 5, arenasCurrent: 5, arenasHighwater: 5, unusedPools: 0 });
    expect(usableArenas(h)).toEqual([]); // all full
    for (const ps of byArena.values()) for (const p of ps) h.free(p);
    expect(h.verifyHeap()).toEqual([]);
    s = h.debugmallocstats();
    expect(s).toMatchObject({ arenasAllocatedTotal: 5, arenasReclaimed: 4, arenasCurrent: 1, arenasHighwater: 5 });
    expect(s.unusedPools).toBe(64);
    expect(s.total).toBe(1048576);
    expect(usableArenas(h)).toHaveLength(1);
    expect(usableArenas(h)[0]![1]).toBe(64);
  });

  it('a reclaimed arena slot is reused by the next arena (the buffer does not grow again)', () => {
    const h = createHeap({ maxBytes: 64 << 20 });
    const byArena = fillArenas(h, 3);
    const bytes = h.mem.byteLength;
    for (const ps of byArena.values()) for (const p of ps) h.free(p);
    fillArenas(h, 3);
    expect(h.mem.byteLength).toBe(bytes);
    const s = h.debugmallocstats();
    expect(s).toMatchObject({ arenasAllocatedTotal: 5, arenasReclaimed: 2, arenasCurrent: 3, arenasHighwater: 3 });
    expect(h.verifyHeap()).toEqual([]);
  });

  it('one object allocated and freed in a loop does not create an arena each time', () => {
    const h = createHeap({ maxBytes: 64 << 20 });
    for (let i = 0; i < 1000; i++) h.free(h.malloc(100));
    expect(h.debugmallocstats()).toMatchObject({ arenasAllocatedTotal: 1, arenasCurrent: 1 });
  });
});

describe('usable_arenas', () => {
  it('new pools come from the fullest usable arena (fewest free pools)', () => {
    const h = createHeap({ maxBytes: 64 << 20 });
    const byArena = fillArenas(h, 3);
    const [a, b, c] = [...byArena.keys()];
    // Empty 10 pools of arena a, 3 of arena b, 6 of arena c (pools are freed whole).
    const emptyPools = (arena: number, k: number): void => {
      for (const p of byArena.get(arena)!.slice(0, k * PER_POOL)) h.free(p);
    };
    emptyPools(a!, 10);
    emptyPools(b!, 3);
    emptyPools(c!, 6);
    expect(usableArenas(h)).toEqual([
      [b, 3],
      [c, 6],
      [a, 10],
    ]);
    expect(h.verifyHeap()).toEqual([]);
    // A class with no used pool needs a new pool: it must come from b.
    const p = h.malloc(16);
    expect(arenaOf(h, p)).toBe(b);
    expect(usableArenas(h)[0]).toEqual([b, 2]);
    // Two more new pools (two more empty classes) exhaust... b's free pools first.
    expect(arenaOf(h, h.malloc(32))).toBe(b);
    expect(arenaOf(h, h.malloc(48))).toBe(b);
    expect(usableArenas(h)).toEqual([
      [c, 6],
      [a, 10],
    ]);
    expect(arenaOf(h, h.malloc(64))).toBe(c);
    expect(h.verifyHeap()).toEqual([]);
  });

  it('an arena that gains free pools slides right past arenas with fewer (nfp2lasta)', () => {
    const h = createHeap({ maxBytes: 64 << 20 });
    const byArena = fillArenas(h, 4);
    const keys = [...byArena.keys()];
    // give every arena 2 free pools, then one arena more and more
    for (const k of keys) for (const p of byArena.get(k)!.splice(0, 2 * PER_POOL)) h.free(p);
    expect(usableArenas(h).map(([, n]) => n)).toEqual([2, 2, 2, 2]);
    const first = usableArenas(h)[0]![0];
    for (const p of byArena.get(first)!.splice(0, PER_POOL)) h.free(p);
    const order = usableArenas(h);
    expect(order.map(([, n]) => n)).toEqual([2, 2, 2, 3]);
    expect(order[3]![0]).toBe(first);
    expect(h.verifyHeap()).toEqual([]);
  });
});

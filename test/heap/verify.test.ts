/*
 * The verifier must catch real corruption: each case breaks one invariant by hand and expects
 * verifyHeap() to name it (a verifier that always says "sound" would pass every other test).
 */
import { describe, expect, it } from 'vitest';
import { createHeap, type Heap } from '../../src/index.ts';
import {
  AO_NFREEPOOLS,
  POOL_FREEBLOCK,
  POOL_NEXTPOOL,
  POOL_PREVPOOL,
  POOL_REF_COUNT,
  S_RAW_BYTES,
  S_USABLE_ARENAS,
  SEG_KIND,
} from '../../src/heap/state.ts';
import { RAW_HEADER, RB_FREE } from '../../src/heap/raw.ts';

function setup(): { h: Heap; small: number[]; raw: number[] } {
  const h = createHeap({ maxBytes: 64 << 20 });
  const small: number[] = [];
  for (let i = 0; i < 3000; i++) small.push(h.malloc(1 + (i % 200)));
  for (let i = 0; i < small.length; i += 4) h.free(small[i]!);
  const raw = [1000, 2000, 3000, 4000].map((n) => h.malloc(n));
  h.free(raw[1]!);
  expect(h.verifyHeap()).toEqual([]);
  return { h, small: small.filter((_, i) => i % 4 !== 0), raw };
}
const w = (h: Heap, off: number): number => h.i32[off >> 2]!;
const set = (h: Heap, off: number, v: number): void => {
  h.i32[off >> 2] = v;
};
const poolOf = (h: Heap, p: number): number => p & ~(h.geometry.POOL_SIZE - 1);

describe('verifyHeap catches', () => {
  it('a wrong ref.count', () => {
    const { h, small } = setup();
    const pool = poolOf(h, small[0]!);
    set(h, pool + POOL_REF_COUNT, w(h, pool + POOL_REF_COUNT) + 1);
    expect(h.verifyHeap().join('\n')).toMatch(/ref\.count/);
  });

  it('a block twice on a free list', () => {
    const { h, small } = setup();
    const pool = poolOf(h, small[0]!);
    const head = w(h, pool + POOL_FREEBLOCK);
    set(h, head, head); // the head's next is itself
    expect(h.verifyHeap().join('\n')).toMatch(/twice on freeblock/);
  });

  it('a used pool missing from its usedpools ring', () => {
    const { h, small } = setup();
    const pool = poolOf(h, small[0]!);
    const next = w(h, pool + POOL_NEXTPOOL);
    const prev = w(h, pool + POOL_PREVPOOL);
    set(h, prev + POOL_NEXTPOOL, next);
    set(h, next + POOL_PREVPOOL, prev);
    expect(h.verifyHeap().join('\n')).toMatch(/is not in usedpools/);
  });

  it('a live bit on a free block (a block both free and handed out)', () => {
    const { h, small } = setup();
    const pool = poolOf(h, small[0]!);
    const free = w(h, pool + POOL_FREEBLOCK);
    h.markLive(free);
    expect(h.verifyHeap().join('\n')).toMatch(/marked live/);
  });

  it('usable_arenas out of order and a stale nfp2lasta', () => {
    const h = createHeap({ maxBytes: 64 << 20 });
    const ps: number[] = [];
    for (let i = 0; i < 3 * 64 * 31; i++) ps.push(h.malloc(512)); // three full arenas
    for (let i = 0; i < 31 * 5; i++) h.free(ps[i]!); // arena 0: 5 free pools
    for (let i = 64 * 31; i < 64 * 31 + 31 * 2; i++) h.free(ps[i]!); // arena 1: 2 free pools
    expect(h.verifyHeap()).toEqual([]);
    const head = h.get(S_USABLE_ARENAS);
    set(h, head + AO_NFREEPOOLS, 9); // the head now claims more free pools than the next
    const report = h.verifyHeap().join('\n');
    expect(report).toMatch(/not sorted/);
    expect(report).toMatch(/nfp2lasta/);
  });

  it('a segment map entry that disagrees with its arena', () => {
    const { h, small } = setup();
    const slot = Math.floor((small[0]! - h.layout.slotsOff) / h.geometry.ARENA_SIZE);
    set(h, h.seg(slot) + SEG_KIND, 0);
    expect(h.verifyHeap().join('\n')).toMatch(/segment map|free but on no free run/);
  });

  it("a live bit in the other allocator's bitmap (free() trusts a pymalloc live bit to mean a pool block)", () => {
    const { h, small } = setup();
    h.markRawLive(small[0]!); // a raw live bit inside an arena
    expect(h.verifyHeap().join('\n')).toMatch(/raw live bits in an arena/);
    const { h: h2, raw } = setup();
    h2.markLive(raw[0]!); // a pymalloc live bit on a raw block
    expect(h2.verifyHeap().join('\n')).toMatch(/raw segment \d+ has pymalloc live bits/);
  });

  it('a free raw block that lost its FREE flag, and a wrong raw byte count', () => {
    const { h, raw } = setup();
    const b = raw[1]! - RAW_HEADER;
    set(h, b, w(h, b) & ~RB_FREE);
    expect(h.verifyHeap().join('\n')).toMatch(/raw free list holds used block|not marked live/);
    const { h: h2 } = setup();
    h2.set(S_RAW_BYTES, h2.get(S_RAW_BYTES) + 16);
    expect(h2.verifyHeap().join('\n')).toMatch(/raw bytes/);
  });
});

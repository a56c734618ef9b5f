/*
 * The raw allocator (0 and > 512 bytes): TLSF lists, boundary-tag coalescing, segments of many
 * slots, slots given back; and realloc, pymalloc's CPython rule and the raw one.
 */
import { describe, expect, it } from 'vitest';
import { createHeap, type Heap } from '../../src/index.ts';
import { RAW_HEADER, tlsfListOf } from '../../src/heap/raw.ts';
import { TLSF_SL_COUNT } from '../../src/heap/state.ts';

const MiB = 1 << 20;

function fill(h: Heap, p: number, n: number, seed: number): void {
  for (let i = 0; i < n; i++) h.mem.u8[p + i] = (seed + i * 7) & 255;
}
function check(h: Heap, p: number, n: number, seed: number): boolean {
  for (let i = 0; i < n; i++) if (h.mem.u8[p + i] !== ((seed + i * 7) & 255)) return false;
  return true;
}

describe('raw blocks', () => {
  it('0 bytes and 513+ bytes go to the raw allocator, 1..512 to pymalloc', () => {
    const h = createHeap({ maxBytes: 64 << 20 });
    const z = h.malloc(0);
    const z2 = h.malloc(0);
    expect(z).not.toBe(z2);
    expect(h.debugmallocstats().rawBlocks).toBe(2);
    h.malloc(512);
    expect(h.debugmallocstats().rawBlocks).toBe(2);
    h.malloc(513);
    expect(h.debugmallocstats().rawBlocks).toBe(3);
    expect(h.verifyHeap()).toEqual([]);
  });

  it('a 64 MiB block works: a segment of 65 slots, written end to end, given back when freed', () => {
    const h = createHeap({ maxBytes: 80 * MiB });
    const small = h.malloc(100);
    const p = h.malloc(64 * MiB);
    expect(p % 16).toBe(0);
    expect(h.usableSize(p)).toBeGreaterThanOrEqual(64 * MiB);
    let s = h.debugmallocstats();
    expect(s.rawSegments).toBe(1);
    expect(s.rawSlots).toBe(65);
    const u8 = h.mem.u8;
    u8[p] = 1;
    u8[p + 64 * MiB - 1] = 2;
    for (let off = 0; off < 64 * MiB; off += MiB) u8[p + off + 3] = off / MiB;
    expect(h.verifyHeap()).toEqual([]);
    const q = h.realloc(p, 64 * MiB + 100); // grows in place into the segment's tail
    expect(q).toBe(p);
    expect(u8[q + 64 * MiB - 1]).toBe(2);
    for (let off = 0; off < 64 * MiB; off += MiB) expect(u8[q + off + 3]).toBe(off / MiB);
    h.free(q);
    s = h.debugmallocstats();
    expect(s).toMatchObject({ rawSegments: 0, rawSlots: 0, rawBlocks: 0, rawBytesInUse: 0 });
    expect(s.slotsFree).toBe(s.slotsCarved - 1); // only small's arena is left
    expect(h.verifyHeap()).toEqual([]);
    // the freed run is reused whole by the next big block: the buffer does not grow
    const bytes = h.mem.byteLength;
    const again = h.malloc(60 * MiB);
    expect(h.mem.byteLength).toBe(bytes);
    h.free(again);
    h.free(small);
    expect(h.verifyHeap()).toEqual([]);
  });

  it('frees coalesce with both neighbours; a wholly free segment gives its slots back', () => {
    const h = createHeap({ maxBytes: 64 << 20 });
    const ps = [1000, 2000, 3000, 4000, 5000].map((n) => h.malloc(n));
    // consecutive in one segment
    for (let i = 1; i < ps.length; i++) expect(ps[i]!).toBeGreaterThan(ps[i - 1]!);
    expect(h.debugmallocstats().rawSegments).toBe(1);
    h.free(ps[1]!);
    h.free(ps[3]!);
    expect(h.verifyHeap()).toEqual([]);
    h.free(ps[2]!); // merges with both neighbours
    expect(h.verifyHeap()).toEqual([]);
    // the merged hole (2000 + 3000 + 4000 + headers) takes a block of 8000 at ps[1]
    const big = h.malloc(8000);
    expect(big).toBe(ps[1]);
    h.free(big);
    h.free(ps[0]!);
    h.free(ps[4]!);
    const s = h.debugmallocstats();
    expect(s.rawSegments).toBe(0);
    expect(s.slotsFree).toBe(s.slotsCarved);
    expect(h.verifyHeap()).toEqual([]);
  });

  it('best-fit lists: a freed block is reused by a request of about its size', () => {
    const h = createHeap({ maxBytes: 64 << 20 });
    const a = h.malloc(20_000);
    const sep = h.malloc(1000);
    const b = h.malloc(3000);
    const sep2 = h.malloc(1000);
    h.free(a);
    h.free(b);
    expect(h.malloc(2900)).toBe(b);
    expect(h.malloc(19_000)).toBe(a);
    expect([sep, sep2].every((p) => h.isLiveBlock(p))).toBe(true);
    expect(h.verifyHeap()).toEqual([]);
  });

  it('TLSF list index: sizes below 256 split linearly, then 16 lists per power of two', () => {
    expect(tlsfListOf(32)).toBe(2);
    expect(tlsfListOf(255)).toBe(15);
    expect(tlsfListOf(256)).toBe(TLSF_SL_COUNT);
    expect(tlsfListOf(511)).toBe(2 * TLSF_SL_COUNT - 1);
    expect(tlsfListOf(512)).toBe(2 * TLSF_SL_COUNT);
    expect(tlsfListOf(2 ** 30)).toBe(23 * TLSF_SL_COUNT);
    expect(tlsfListOf(2 ** 31 - 16)).toBe(24 * TLSF_SL_COUNT - 1);
    expect(RAW_HEADER).toBe(16);
  });
});

describe('realloc', () => {
  it("pymalloc: stays in place while 4n > 3 * blocksize (CPython's rule), contents kept", () => {
    const h = createHeap({ maxBytes: 64 << 20 });
    const p = h.malloc(64); // class 3, 64-byte block
    fill(h, p, 64, 5);
    expect(h.realloc(p, 64)).toBe(p);
    expect(h.realloc(p, 49)).toBe(p); // 196 > 192
    expect(h.realloc(p, 60)).toBe(p);
    const q = h.realloc(p, 48); // 192 > 192 is false: moves to a 48-byte block
    expect(q).not.toBe(p);
    expect(h.usableSize(q)).toBe(48);
    expect(check(h, q, 48, 5)).toBe(true);
    expect(h.isLiveBlock(p)).toBe(false);
    const r = h.realloc(q, 300); // grows: moves, keeps the 48 bytes
    expect(h.usableSize(r)).toBe(304);
    expect(check(h, r, 48, 5)).toBe(true);
    const s = h.realloc(r, 5000); // to the raw allocator
    expect(h.debugmallocstats().rawBlocks).toBe(1);
    expect(check(h, s, 48, 5)).toBe(true);
    expect(h.verifyHeap()).toEqual([]);
  });

  it('raw: shrinks and grows in place when it can; a shrunk raw block stays raw (as in CPython)', () => {
    const h = createHeap({ maxBytes: 64 << 20 });
    const p = h.malloc(10_000);
    fill(h, p, 10_000, 9);
    const q = h.realloc(p, 100);
    expect(q).toBe(p);
    expect(h.usableSize(q)).toBeLessThan(200);
    expect(h.debugmallocstats().rawBlocks).toBe(1);
    expect(check(h, q, 100, 9)).toBe(true);
    const r = h.realloc(q, 50_000); // the tail was given back and merged: grows in place
    expect(r).toBe(p);
    expect(check(h, r, 100, 9)).toBe(true);
    const blocker = h.malloc(1000);
    fill(h, r, 50_000, 3);
    const moved = h.realloc(r, 2 * MiB); // must move (blocker right after it)
    expect(moved).not.toBe(r);
    expect(check(h, moved, 50_000, 3)).toBe(true);
    expect(h.isLiveBlock(r)).toBe(false);
    expect(h.isLiveBlock(blocker)).toBe(true);
    expect(h.verifyHeap()).toEqual([]);
  });

  it('realloc(0, n) is malloc(n); realloc(p, 0) of a pymalloc block moves to a raw 0-byte block', () => {
    const h = createHeap({ maxBytes: 64 << 20 });
    const p = h.realloc(0, 24);
    expect(h.usableSize(p)).toBe(32);
    const q = h.realloc(p, 0);
    expect(q).not.toBe(p);
    expect(h.isLiveBlock(q)).toBe(true);
    expect(h.debugmallocstats().rawBlocks).toBe(1);
    expect(h.verifyHeap()).toEqual([]);
  });
});

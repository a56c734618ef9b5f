/*
 * MemoryError at the limit (the heap stays valid and usable) and InvalidFree for anything that is
 * not a live block (double free, foreign, interior, unaligned pointers), detected exactly: user
 * data that looks like allocator metadata must not fool it, and a rejected free changes nothing.
 */
import { describe, expect, it } from 'vitest';
import { createHeap, InvalidFree, MemoryError, type Heap, type HeapProfile } from '../../src/index.ts';

const MAX = 8 << 20;

function snapshot(h: Heap): string {
  const s = h.debugmallocstats();
  return JSON.stringify({ ...s, text: undefined }) + s.text;
}

describe.each(['3.11', 'legacy'] as HeapProfile[])('profile %s', (profile) => {
  it('MemoryError when the maximum is reached; the heap stays valid; later allocations that fit succeed', () => {
    const h = createHeap({ profile, maxBytes: MAX });
    const big: number[] = [];
    let error: unknown;
    try {
      for (;;) big.push(h.malloc(300_000));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MemoryError);
    expect((error as MemoryError).pyType).toBe('MemoryError');
    expect(big.length).toBeGreaterThan(5);
    expect(h.mem.byteLength).toBeLessThanOrEqual(MAX);
    expect(h.verifyHeap()).toEqual([]);
    // a huge request fails without changing anything
    const before = snapshot(h);
    expect(() => h.malloc(64 << 20)).toThrow(MemoryError);
    expect(() => h.realloc(big[0]!, 64 << 20)).toThrow(MemoryError);
    expect(snapshot(h)).toBe(before);
    expect(h.isLiveBlock(big[0]!)).toBe(true);
    // small requests still succeed (pymalloc if an arena can be had, else the raw fallback)
    const small: number[] = [];
    for (let i = 0; i < 100; i++) small.push(h.malloc(1 + (i % 512)));
    expect(h.verifyHeap()).toEqual([]);
    // fill up completely with small blocks, then free some and allocate again
    try {
      for (;;) small.push(h.malloc(256));
    } catch (e) {
      expect(e).toBeInstanceOf(MemoryError);
    }
    expect(h.verifyHeap()).toEqual([]);
    for (const p of big.splice(0, 2)) h.free(p);
    for (const p of small.splice(0, 50)) h.free(p);
    expect(h.verifyHeap()).toEqual([]);
    const again = h.malloc(200_000);
    expect(h.isLiveBlock(again)).toBe(true);
    for (let i = 0; i < 50; i++) small.push(h.malloc(64));
    expect(h.verifyHeap()).toEqual([]);
    for (const p of [...big, ...small, again]) h.free(p);
    expect(h.verifyHeap()).toEqual([]);
    expect(h.liveBlockCount()).toBe(0);
  });

  it('InvalidFree on a double free (pymalloc and raw), changing nothing', () => {
    const h = createHeap({ profile, maxBytes: MAX });
    const p = h.malloc(40);
    const keep = h.malloc(40);
    const r = h.malloc(5000);
    h.free(p);
    h.free(r);
    const before = snapshot(h);
    expect(() => h.free(p)).toThrow(InvalidFree);
    expect(() => h.free(r)).toThrow(InvalidFree);
    expect(() => h.realloc(p, 10)).toThrow(InvalidFree);
    expect(snapshot(h)).toBe(before);
    expect(h.verifyHeap()).toEqual([]);
    // the free lists are intact: the next two allocations are distinct
    const a = h.malloc(40);
    const b = h.malloc(40);
    expect(new Set([a, b, keep]).size).toBe(3);
    h.free(a);
    expect(() => h.free(a)).toThrow(/double free/);
    expect(h.isLiveBlock(b)).toBe(true);
  });

  it('InvalidFree on foreign, interior, unaligned and non-integer pointers', () => {
    const h = createHeap({ profile, maxBytes: MAX });
    const p = h.malloc(64);
    const r = h.malloc(10_000);
    const a = h.geometry.ALIGNMENT;
    const slotsOff = h.layout.slotsOff;
    const before = snapshot(h);
    const bad = [
      16, // the buffer header
      h.layout.allocOff, // allocator state
      slotsOff - a, // just before the slot space
      p + a, // interior of a pymalloc block
      p + 1, // unaligned
      p - h.geometry.POOL_OVERHEAD, // the pool header
      r + 1024, // interior of a raw block
      r - 16, // a raw block header
      slotsOff + 40 * h.geometry.ARENA_SIZE, // never carved
      MAX + 4096, // beyond the maximum
      -16,
      p + 0.5,
      Number.NaN,
    ];
    for (const q of bad) {
      expect(() => h.free(q), `free(${q})`).toThrow(InvalidFree);
      expect(h.isLiveBlock(q)).toBe(false);
      expect(() => h.usableSize(q)).toThrow(InvalidFree);
    }
    expect(snapshot(h)).toBe(before);
    expect(h.verifyHeap()).toEqual([]);
    expect(h.isLiveBlock(p) && h.isLiveBlock(r)).toBe(true);
    h.free(0); // free(NULL) is a no-op, as in C
    expect(snapshot(h)).toBe(before);
  });

  it('user data that looks like allocator metadata does not fool free()', () => {
    const h = createHeap({ profile, maxBytes: MAX });
    const a = h.geometry.ALIGNMENT;
    // A raw block whose payload holds a perfect fake raw header at +64 and a fake pool-ish layout.
    const r = h.malloc(8192);
    const i32 = h.mem.i32;
    i32[(r + 48) >> 2] = 4096; // size of a fake "used" block whose payload would be r + 64
    i32[(r + 52) >> 2] = 0;
    // A small block whose neighbour is freed, then its contents copied to look like a free list.
    const blocks = Array.from({ length: 8 }, () => h.malloc(32));
    h.free(blocks[3]!);
    i32[blocks[4]! >> 2] = blocks[3]!; // "next free block" pattern inside a live block
    const before = snapshot(h);
    for (const q of [r + 64, blocks[3]!, blocks[4]! + a]) expect(() => h.free(q)).toThrow(InvalidFree);
    expect(snapshot(h)).toBe(before);
    expect(h.verifyHeap()).toEqual([]);
  });
});

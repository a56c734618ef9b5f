/*
 * Size classes, block sizes and blocks per pool, pinned to CPython's figures for both profiles.
 *
 * The 3.11 column is read off python3 3.11.7's sys._debugmallocstats() on this machine
 * ((blocks in use + avail blocks) / num pools for every class); the legacy column is CPython
 * 2.7 / 3.7's (4096 - 48) // blocksize with 8-byte classes.
 */
import { describe, expect, it } from 'vitest';
import { createHeap, GEOMETRY_3_11, GEOMETRY_LEGACY, type HeapProfile } from '../../src/index.ts';

/** blocks per pool for class 0, 1, 2, ... (python3 3.11.7: 16 B -> 1021, 32 B -> 510, ... 512 B -> 31) */
const BLOCKS_3_11 = [
  1021, 510, 340, 255, 204, 170, 145, 127, 113, 102, 92, 85, 78, 72, 68, 63, 60, 56, 53, 51, 48, 46, 44, 42, 40, 39, 37,
  36, 35, 34, 32, 31,
];
const BLOCKS_LEGACY = [
  506, 253, 168, 126, 101, 84, 72, 63, 56, 50, 46, 42, 38, 36, 33, 31, 29, 28, 26, 25, 24, 23, 22, 21, 20, 19, 18, 18, 17,
  16, 16, 15, 15, 14, 14, 14, 13, 13, 12, 12, 12, 12, 11, 11, 11, 11, 10, 10, 10, 10, 9, 9, 9, 9, 9, 9, 8, 8, 8, 8, 8, 8,
  8, 7,
];

describe('geometry constants (reference section 1)', () => {
  it('3.11: 16-byte alignment, 32 classes, 16 KiB pools, 1 MiB arenas, 48-byte pool header', () => {
    expect(GEOMETRY_3_11).toMatchObject({
      ALIGNMENT: 16,
      SMALL_REQUEST_THRESHOLD: 512,
      NB_SMALL_SIZE_CLASSES: 32,
      POOL_SIZE: 16384,
      ARENA_SIZE: 1048576,
      MAX_POOLS_IN_ARENA: 64,
      POOL_OVERHEAD: 48,
    });
  });
  it('legacy: 8-byte alignment, 64 classes, 4 KiB pools, 256 KiB arenas', () => {
    expect(GEOMETRY_LEGACY).toMatchObject({
      ALIGNMENT: 8,
      NB_SMALL_SIZE_CLASSES: 64,
      POOL_SIZE: 4096,
      ARENA_SIZE: 262144,
      MAX_POOLS_IN_ARENA: 64,
      POOL_OVERHEAD: 48,
    });
  });
});

const cases: Array<[HeapProfile, number[]]> = [
  ['3.11', BLOCKS_3_11],
  ['legacy', BLOCKS_LEGACY],
];

describe.each(cases)('profile %s: every size class', (profile, blocksPerPool) => {
  it('has the right number of classes', () => {
    const h = createHeap({ profile, maxBytes: 64 << 20 });
    expect(blocksPerPool.length).toBe(h.geometry.NB_SMALL_SIZE_CLASSES);
  });

  it('maps request sizes to classes: (n - 1) >> ALIGNMENT_SHIFT, block (i + 1) * ALIGNMENT', () => {
    const h = createHeap({ profile, maxBytes: 64 << 20 });
    const a = h.geometry.ALIGNMENT;
    for (let n = 1; n <= 512; n++) {
      const p = h.malloc(n);
      expect(p % a).toBe(0);
      expect(h.usableSize(p)).toBe(Math.ceil(n / a) * a);
      h.free(p);
    }
    expect(h.verifyHeap()).toEqual([]);
  });

  it.each(blocksPerPool.map((blocks, i) => [i, blocks] as const))(
    'class %i holds CPython\'s %i blocks per pool',
    (cls, blocks) => {
      const h = createHeap({ profile, maxBytes: 64 << 20 });
      const size = (cls + 1) * h.geometry.ALIGNMENT;
      const ps: number[] = [];
      for (let i = 0; i < blocks; i++) ps.push(h.malloc(size));
      let s = h.debugmallocstats();
      expect(s.classes).toEqual([{ class: cls, size, pools: 1, blocksInUse: blocks, availBlocks: 0 }]);
      // all in one pool, consecutive from the pool header on
      const pool = ps[0]! - h.geometry.POOL_OVERHEAD;
      expect(pool % h.geometry.POOL_SIZE).toBe(0);
      ps.forEach((p, i) => expect(p).toBe(pool + h.geometry.POOL_OVERHEAD + i * size));
      // one more block needs a second pool
      h.malloc(size);
      s = h.debugmallocstats();
      expect(s.classes[0]).toMatchObject({ pools: 2, blocksInUse: blocks + 1, availBlocks: blocks - 1 });
      expect(s.bytesLostToQuantization).toBe(2 * ((h.geometry.POOL_SIZE - h.geometry.POOL_OVERHEAD) % size));
      expect(h.verifyHeap()).toEqual([]);
    },
  );
});

/*
 * Walking the heap: every arena, every carved pool, every raw segment, every live block.
 * =======================================================================================
 *
 * The slow, thorough side of the allocator, shared by the statistics (stats.ts), the verifier
 * (verify.ts) and the leak checks of the layers above (Heap.forEachLiveBlock). Nothing here is
 * on an allocation path. Arenas are visited in arena object order, as CPython's
 * _PyObject_DebugMallocStats does; raw segments in slot order.
 */

import { rawKind } from './segments.ts';
import { RAW_HEADER, walkSegment } from './raw.ts';
import {
  AO_ADDRESS,
  AO_POOL_ADDRESS,
  POOL_NEXTOFFSET,
  POOL_REF_COUNT,
  POOL_SZIDX,
  S_MAXARENAS,
  S_NSLOTS,
  SEG_KIND,
  SEG_LEN,
  type HeapState,
} from './state.ts';

/** Calls cb(ao, index) for every arena object that has an arena attached. */
export function forEachArena(st: HeapState, cb: (ao: number, index: number) => void): void {
  st.syncIfGrown();
  const maxarenas = st.get(S_MAXARENAS);
  for (let i = 0; i < maxarenas; i++) {
    const ao = st.arenaObject(i);
    if (st.i32[(ao + AO_ADDRESS) >> 2] !== 0) cb(ao, i);
  }
}

/** Calls cb(pool) for every pool of arena object ao carved so far (used, full or empty). */
export function forEachCarvedPool(st: HeapState, ao: number, cb: (pool: number) => void): void {
  const end = st.i32[(ao + AO_POOL_ADDRESS) >> 2];
  for (let pool = st.i32[(ao + AO_ADDRESS) >> 2]; pool < end; pool += st.poolSize) cb(pool);
}

/** Calls cb(firstSlot, slotCount) for every raw segment. */
export function forEachRawSegment(st: HeapState, cb: (first: number, k: number) => void): void {
  st.syncIfGrown();
  const nslots = st.get(S_NSLOTS);
  for (let s = 0; s < nslots; ) {
    const e = st.seg(s);
    if (st.i32[(e + SEG_KIND) >> 2] === rawKind(s)) {
      const k = Math.max(1, st.i32[(e + SEG_LEN) >> 2]);
      cb(s, k);
      s += k;
    } else s += 1;
  }
}

/** Calls cb(p, usableSize) for every block handed out, pymalloc's then the raw allocator's. */
export function forEachLiveBlock(st: HeapState, cb: (p: number, usableSize: number) => void): void {
  st.syncIfGrown();
  const i32 = st.i32;
  forEachArena(st, (ao) =>
    forEachCarvedPool(st, ao, (pool) => {
      if (i32[(pool + POOL_REF_COUNT) >> 2] === 0) return;
      const size = st.index2size(i32[(pool + POOL_SZIDX) >> 2]);
      const end = pool + i32[(pool + POOL_NEXTOFFSET) >> 2];
      for (let p = pool + st.poolOverhead; p < end; p += size) if (st.isLive(p)) cb(p, size);
    }),
  );
  forEachRawSegment(st, (first, k) => {
    const start = st.slotAddress(first);
    walkSegment(st, start, start + k * st.arenaSize, (b, size, free) => {
      if (!free) cb(b + RAW_HEADER, size - RAW_HEADER);
    });
  });
}

const popcount = (x: number): number => {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
};

/** Blocks of pool `pool` freed by another thread and not yet collected (its pending-free bits). */
export function pendingBlocksIn(st: HeapState, pool: number): number {
  const w0 = st.bitmapBase + st.xfreeDelta + ((pool >> st.alignShift) >> 5);
  const w1 = w0 + ((st.poolSize >> st.alignShift) >> 5);
  let n = 0;
  for (let w = w0; w < w1; w++) if (st.i32[w] !== 0) n += popcount(st.i32[w]);
  return n;
}

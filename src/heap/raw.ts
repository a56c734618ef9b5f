/*
 * The raw allocator: blocks of 0 bytes or more than SMALL_REQUEST_THRESHOLD.
 * ============================================================================
 *
 * CPython hands requests pymalloc does not take to the C library's malloc ("raw" memory). gilsim
 * has no C library, so this file is that malloc: a TLSF allocator (Two-Level Segregated Fit,
 * Masmano et al. 2004) working inside raw segments of the same buffer. Every operation is O(1):
 * no list is walked, a free block of a suitable size is found with two bitmap scans.
 *
 * A raw segment is a run of one or more contiguous slots (segments.ts), cut into blocks that tile
 * it exactly, each starting with a 16-byte header, plus a 16-byte sentinel at the end:
 *
 *   segment start                                                          segment end
 *   | hdr | payload ...     | hdr | payload ... | hdr | payload ...    |  ...  | sentinel |
 *     ^ size|flags, prev_phys, (free only:) next_free, prev_free                  size 0, "used"
 *
 * Header words (RB_* below): `size` (the whole block, header included, a multiple of 16) with
 * two flag bits, FREE and PREV_FREE (the physically previous block is free); `prev_phys` (the
 * physically previous block, 0 for the first block of a segment); and, for free blocks only, the
 * links of its free list. Keeping the links in the header (not the payload) means a free block's
 * bookkeeping is never where the program wrote. The payload starts 16 bytes in, so it is
 * aligned to 16 (and so to ALIGNMENT in both profiles).
 *
 * Boundary tags: freeing a block merges it at once with a free neighbour on either side (found
 * through prev_phys and size), so no two free blocks are ever adjacent. When the merged block
 * covers its whole segment, the segment's slots are given back to the slot space.
 *
 * The TLSF index: a free block of size s is on list (fl, sl), where fl = floor(log2 s) and sl
 * splits [2^fl, 2^(fl+1)) in TLSF_SL_COUNT equal parts (sizes below 2^TLSF_FL_SHIFT share fl 0,
 * split linearly). A first-level bitmap says which fl have any non-empty list, one second-level
 * bitmap per fl says which of its lists are non-empty. To allocate s bytes, s is rounded up to
 * the next list boundary so that every block on the chosen list is big enough ("good fit"), then
 * the first non-empty list at or above it is found with find-first-set on the bitmaps. The found
 * block is split if the rest can make a block of its own.
 *
 * A request no free block can satisfy gets a new segment of just enough slots. A block of many
 * megabytes is simply a segment of many slots.
 */

import { allocSlots, freeSlots, rawKind } from './segments.ts';
import {
  RAW_GRAIN,
  S_RAW_BLOCKS,
  S_RAW_BYTES,
  S_RAW_FL_BITMAP,
  S_RAW_SEGMENTS,
  S_RAW_SLOTS,
  SEG_KIND,
  SEG_LEN,
  TLSF_FL_COUNT,
  TLSF_FL_SHIFT,
  TLSF_SL_COUNT,
  TLSF_SL_LOG2,
  type HeapState,
} from './state.ts';

/* ---- the raw block header ---- */

/** size of the block (header included) | FREE | PREV_FREE */
export const RB_SIZE = 0;
/** the physically previous block in the segment, 0 for the first */
export const RB_PREV_PHYS = 4;
/** free blocks only: links of the block's TLSF free list */
export const RB_NEXT_FREE = 8;
export const RB_PREV_FREE = 12;
export const RAW_HEADER = RAW_GRAIN;
export const RB_FREE = 1;
export const RB_PREV_FREE_BIT = 2;
export const RB_FLAGS = RAW_GRAIN - 1;
/** The smallest block: a header and one grain of payload (what malloc(0) gets). */
export const RAW_MIN_BLOCK = RAW_HEADER + RAW_GRAIN;

const W_SIZE = RB_SIZE >> 2;
const W_PREV_PHYS = RB_PREV_PHYS >> 2;
const W_NEXT_FREE = RB_NEXT_FREE >> 2;
const W_PREV_FREE = RB_PREV_FREE >> 2;

/** Whole block size for a request of n bytes. */
export function rawBlockSize(n: number): number {
  return Math.max(RAW_MIN_BLOCK, Math.ceil((n + RAW_HEADER) / RAW_GRAIN) * RAW_GRAIN);
}

export function rawSizeOf(st: HeapState, b: number): number {
  return st.i32[(b >> 2) + W_SIZE] & ~RB_FLAGS;
}

/** Usable bytes of the raw block whose payload is p. */
export function rawUsableSize(st: HeapState, p: number): number {
  return rawSizeOf(st, p - RAW_HEADER) - RAW_HEADER;
}

/* ---- the TLSF index ---- */

/** Index of the most significant set bit (x > 0). */
const fls = (x: number): number => 31 - Math.clz32(x);
/** Index of the least significant set bit (x != 0). */
const ffs = (x: number): number => 31 - Math.clz32(x & -x);

/** List index of a free block of `size` bytes: fl * TLSF_SL_COUNT + sl. */
export function tlsfListOf(size: number): number {
  if (size < 1 << TLSF_FL_SHIFT) return size >> (TLSF_FL_SHIFT - TLSF_SL_LOG2);
  const f = fls(size);
  const sl = (size >>> (f - TLSF_SL_LOG2)) ^ TLSF_SL_COUNT;
  return (f - TLSF_FL_SHIFT + 1) * TLSF_SL_COUNT + sl;
}

function headWord(st: HeapState, list: number): number {
  return (st.tlsfHeads >> 2) + list;
}

function insertFree(st: HeapState, b: number, size: number): void {
  const i32 = st.i32;
  const list = tlsfListOf(size);
  const fl = (list / TLSF_SL_COUNT) | 0;
  const sl = list % TLSF_SL_COUNT;
  const head = i32[headWord(st, list)];
  i32[(b >> 2) + W_NEXT_FREE] = head;
  i32[(b >> 2) + W_PREV_FREE] = 0;
  if (head !== 0) i32[(head >> 2) + W_PREV_FREE] = b;
  i32[headWord(st, list)] = b;
  st.set(S_RAW_FL_BITMAP, st.get(S_RAW_FL_BITMAP) | (1 << fl));
  i32[(st.tlsfSlBitmaps >> 2) + fl] |= 1 << sl;
}

function removeFree(st: HeapState, b: number, size: number): void {
  const i32 = st.i32;
  const list = tlsfListOf(size);
  const next = i32[(b >> 2) + W_NEXT_FREE];
  const prev = i32[(b >> 2) + W_PREV_FREE];
  if (prev !== 0) i32[(prev >> 2) + W_NEXT_FREE] = next;
  else i32[headWord(st, list)] = next;
  if (next !== 0) i32[(next >> 2) + W_PREV_FREE] = prev;
  if (i32[headWord(st, list)] === 0) {
    const fl = (list / TLSF_SL_COUNT) | 0;
    const slw = (st.tlsfSlBitmaps >> 2) + fl;
    i32[slw] &= ~(1 << list % TLSF_SL_COUNT);
    if (i32[slw] === 0) st.set(S_RAW_FL_BITMAP, st.get(S_RAW_FL_BITMAP) & ~(1 << fl));
  }
}

/** A free block of at least `size` bytes (still on its list), or 0. */
function findSuitable(st: HeapState, size: number): number {
  if (size >= 2 ** 31) return 0;
  // Round up to the next list boundary: every block on that list (and above) is big enough.
  const rounded = size < 1 << TLSF_FL_SHIFT ? size : size + (1 << (fls(size) - TLSF_SL_LOG2)) - 1;
  if (rounded >= 2 ** 31) return 0;
  const list = tlsfListOf(rounded);
  let fl = (list / TLSF_SL_COUNT) | 0;
  if (fl >= TLSF_FL_COUNT) return 0;
  const i32 = st.i32;
  let slMap = i32[(st.tlsfSlBitmaps >> 2) + fl] & (~0 << list % TLSF_SL_COUNT);
  if (slMap === 0) {
    const flMap = st.get(S_RAW_FL_BITMAP) & (~0 << (fl + 1));
    if (flMap === 0) return 0;
    fl = ffs(flMap);
    slMap = i32[(st.tlsfSlBitmaps >> 2) + fl];
  }
  return i32[headWord(st, fl * TLSF_SL_COUNT + ffs(slMap))];
}

/* ---- malloc / free / realloc ---- */

/** Allocate n bytes (any n >= 0). Returns the payload offset (marked live), or 0 when no slots are left. */
export function rawMalloc(st: HeapState, n: number): number {
  st.syncIfGrown(); // blocks and neighbours may lie in slots carved past our views
  const bs = rawBlockSize(n);
  let b = findSuitable(st, bs);
  if (b !== 0) removeFree(st, b, rawSizeOf(st, b));
  else {
    b = newSegment(st, bs);
    if (b === 0) return 0;
  }
  useBlock(st, b, bs);
  st.set(S_RAW_BLOCKS, st.get(S_RAW_BLOCKS) + 1);
  st.set(S_RAW_BYTES, st.get(S_RAW_BYTES) + rawSizeOf(st, b) - RAW_HEADER);
  const p = b + RAW_HEADER;
  st.markRawLive(p);
  return p;
}

/** Turn free block b (off its list) into a used block of at least bs bytes, splitting off the rest. */
function useBlock(st: HeapState, b: number, bs: number): void {
  const i32 = st.i32;
  const size = rawSizeOf(st, b);
  const flags = i32[(b >> 2) + W_SIZE] & RB_PREV_FREE_BIT;
  if (size - bs >= RAW_MIN_BLOCK) {
    i32[(b >> 2) + W_SIZE] = bs | flags;
    const rest = b + bs;
    i32[(rest >> 2) + W_SIZE] = (size - bs) | RB_FREE;
    i32[(rest >> 2) + W_PREV_PHYS] = b;
    i32[((b + size) >> 2) + W_PREV_PHYS] = rest; // its PREV_FREE stays set
    insertFree(st, rest, size - bs);
  } else {
    i32[(b >> 2) + W_SIZE] = size | flags;
    i32[((b + size) >> 2) + W_SIZE] &= ~RB_PREV_FREE_BIT;
  }
}

/** A fresh segment big enough for a bs-byte block: returns its one free block (on no list), or 0. */
function newSegment(st: HeapState, bs: number): number {
  const k = Math.ceil((bs + RAW_HEADER) / st.arenaSize);
  const s = allocSlots(st, k);
  if (s < 0) return 0;
  const i32 = st.i32;
  for (let i = s; i < s + k; i++) i32[(st.seg(i) + SEG_KIND) >> 2] = rawKind(s);
  i32[(st.seg(s) + SEG_LEN) >> 2] = k;
  const b = st.slotAddress(s);
  const sentinel = b + k * st.arenaSize - RAW_HEADER;
  i32[(b >> 2) + W_SIZE] = (sentinel - b) | RB_FREE;
  i32[(b >> 2) + W_PREV_PHYS] = 0;
  i32[(sentinel >> 2) + W_SIZE] = RB_PREV_FREE_BIT; // size 0, "used"; the block before it is free
  i32[(sentinel >> 2) + W_PREV_PHYS] = b;
  st.set(S_RAW_SEGMENTS, st.get(S_RAW_SEGMENTS) + 1);
  st.set(S_RAW_SLOTS, st.get(S_RAW_SLOTS) + k);
  return b;
}

/** Free the raw block whose payload is p (the caller has checked it is live and cleared its raw live bit). */
export function rawFree(st: HeapState, p: number): void {
  st.syncIfGrown(); // blocks and neighbours may lie in slots carved past our views
  const i32 = st.i32;
  let b = p - RAW_HEADER;
  let size = rawSizeOf(st, b);
  st.set(S_RAW_BLOCKS, st.get(S_RAW_BLOCKS) - 1);
  st.set(S_RAW_BYTES, st.get(S_RAW_BYTES) - (size - RAW_HEADER));
  let next = b + size;
  if ((i32[(b >> 2) + W_SIZE] & RB_PREV_FREE_BIT) !== 0) {
    const prev = i32[(b >> 2) + W_PREV_PHYS];
    const psize = rawSizeOf(st, prev);
    removeFree(st, prev, psize);
    b = prev;
    size += psize;
  }
  if ((i32[(next >> 2) + W_SIZE] & RB_FREE) !== 0) {
    const nsize = rawSizeOf(st, next);
    removeFree(st, next, nsize);
    size += nsize;
    next += nsize;
  }
  if (i32[(b >> 2) + W_PREV_PHYS] === 0 && rawSizeOf(st, next) === 0) {
    releaseSegment(st, b);
    return;
  }
  i32[(b >> 2) + W_SIZE] = size | RB_FREE;
  i32[(next >> 2) + W_PREV_PHYS] = b;
  i32[(next >> 2) + W_SIZE] |= RB_PREV_FREE_BIT;
  insertFree(st, b, size);
}

/** The segment starting at `start` is wholly free: give its slots back. */
function releaseSegment(st: HeapState, start: number): void {
  const s = (start - st.slotsOff) >> st.arenaBits;
  const k = st.i32[(st.seg(s) + SEG_LEN) >> 2];
  freeSlots(st, s, k);
  st.set(S_RAW_SEGMENTS, st.get(S_RAW_SEGMENTS) - 1);
  st.set(S_RAW_SLOTS, st.get(S_RAW_SLOTS) - k);
}

/**
 * Resize the raw block p in place to hold n bytes, if it can: shrink (splitting off the tail) or
 * grow into a free next block. Returns true when done; false leaves the block untouched (the
 * caller then allocates, copies and frees).
 */
export function rawResizeInPlace(st: HeapState, p: number, n: number): boolean {
  st.syncIfGrown(); // blocks and neighbours may lie in slots carved past our views
  const i32 = st.i32;
  const b = p - RAW_HEADER;
  const size = rawSizeOf(st, b);
  const bs = rawBlockSize(n);
  if (bs > size) {
    const next = b + size;
    if ((i32[(next >> 2) + W_SIZE] & RB_FREE) === 0) return false;
    const nsize = rawSizeOf(st, next);
    if (size + nsize < bs) return false;
    removeFree(st, next, nsize);
    i32[(b >> 2) + W_SIZE] = (size + nsize) | (i32[(b >> 2) + W_SIZE] & RB_PREV_FREE_BIT);
    const after = next + nsize;
    i32[(after >> 2) + W_PREV_PHYS] = b;
    i32[(after >> 2) + W_SIZE] &= ~RB_PREV_FREE_BIT;
  }
  trimBlock(st, b, bs);
  st.set(S_RAW_BYTES, st.get(S_RAW_BYTES) + rawSizeOf(st, b) - size);
  return true;
}

/** Used block b holds at least bs bytes: give its tail back as a free block if it makes one. */
function trimBlock(st: HeapState, b: number, bs: number): void {
  const i32 = st.i32;
  const size = rawSizeOf(st, b);
  if (size - bs < RAW_MIN_BLOCK) return;
  i32[(b >> 2) + W_SIZE] = bs | (i32[(b >> 2) + W_SIZE] & RB_PREV_FREE_BIT);
  let rest = size - bs;
  const r = b + bs;
  let next = b + size;
  if ((i32[(next >> 2) + W_SIZE] & RB_FREE) !== 0) {
    const nsize = rawSizeOf(st, next);
    removeFree(st, next, nsize);
    rest += nsize;
    next += nsize;
  }
  i32[(r >> 2) + W_SIZE] = rest | RB_FREE;
  i32[(r >> 2) + W_PREV_PHYS] = b;
  i32[(next >> 2) + W_PREV_PHYS] = r;
  i32[(next >> 2) + W_SIZE] |= RB_PREV_FREE_BIT;
  insertFree(st, r, rest);
}

/* ---- walking (for the verifier, stats and leak checks) ---- */

/** Calls visit(b, size, free) for every block of the segment starting at `start`; returns the sentinel. */
export function walkSegment(
  st: HeapState,
  start: number,
  end: number,
  visit: (b: number, size: number, free: boolean, flags: number, prevPhys: number) => boolean | void,
): number {
  const i32 = st.i32;
  let b = start;
  while (b < end) {
    const word = i32[(b >> 2) + W_SIZE];
    const size = word & ~RB_FLAGS;
    if (size === 0) return b;
    if (visit(b, size, (word & RB_FREE) !== 0, word & RB_FLAGS, i32[(b >> 2) + W_PREV_PHYS]) === false) return -1;
    b += size;
  }
  return -1;
}

/** Free list links of block b: [next_free, prev_free]. */
export function rawFreeLinks(st: HeapState, b: number): [number, number] {
  return [st.i32[(b >> 2) + W_NEXT_FREE], st.i32[(b >> 2) + W_PREV_FREE]];
}

/*
 * The slot space: where arenas and raw segments come from.
 * =========================================================
 *
 * CPython asks the OS for each 1 MiB arena (mmap) and gives it back (munmap); its raw allocator
 * (malloc) does the same for big blocks. gilsim's "OS" is the tail of the shared buffer: from
 * `layout.slotsOff` on, the buffer is cut into slots of ARENA_SIZE bytes. Slot s lives at
 * `slotsOff + s * ARENA_SIZE`; slotsOff is a multiple of ARENA_SIZE, so every slot is
 * arena-aligned and every pool in it pool-aligned (no pool is lost to arena alignment).
 *
 * A slot is one of:
 *   - free: carved once, given back since, waiting on the free run list;
 *   - an arena: pymalloc's, holding MAX_POOLS_IN_ARENA pools;
 *   - part of a raw segment: a run of one or more contiguous slots that the raw allocator cuts
 *     into blocks (a 64 MiB block takes a segment of 65 slots: the block plus its header).
 *
 * The segment map has one entry per slot saying which (see SEG_* in state.ts). It is how free(p)
 * learns in O(1) whether p is pymalloc's, the raw allocator's or nobody's: the slot of p is
 * `(p - slotsOff) >> ARENA_BITS` (CPython 3.11 answers the same question with its arena radix
 * tree, `address_in_range`).
 *
 * Carving: slots are handed out lowest address first from the free run list; when no free run
 * is long enough, the buffer grows by whole slots (a free run at the very end is extended rather
 * than skipped), never past maxBytes. Giving back: a SharedArrayBuffer cannot shrink, so a slot
 * given back goes on the free run list, coalesced with free neighbours so that a later raw
 * segment can reuse the whole run. Slot operations are rare (once per megabyte) and scan the
 * free run list, which holds at most one run per gap between live slots.
 */

import { S_FREESLOTS, S_NSLOTS, SEG_KIND, SEG_LEN, SEG_NEXT, SEG_PREV, type HeapState } from './state.ts';

/** SEG_KIND of a free or never-carved slot. */
export const SEG_FREE = 0;

/** SEG_KIND of the slot of the arena with index `arenaindex` (always > 0). */
export function arenaKind(arenaindex: number): number {
  return arenaindex + 1;
}

/** SEG_KIND of every slot of the raw segment starting at slot `first` (always < 0). */
export function rawKind(first: number): number {
  return -(first + 1);
}

/** Carve `k` contiguous slots; returns the first slot index, or -1 when the maximum is reached.
 *  The caller sets the slots' SEG_KIND. */
export function allocSlots(st: HeapState, k: number): number {
  const i32 = st.i32;
  let best = -1;
  for (let r = st.get(S_FREESLOTS); r !== 0; r = i32[(st.seg(r - 1) + SEG_NEXT) >> 2]) {
    const s = r - 1;
    if (i32[(st.seg(s) + SEG_LEN) >> 2] >= k && (best < 0 || s < best)) best = s;
  }
  if (best >= 0) {
    takeFromRun(st, best, k);
    return best;
  }
  return carveAtEnd(st, k);
}

/** No free run fits: grow the buffer, reusing a free run that ends at the last carved slot. */
function carveAtEnd(st: HeapState, k: number): number {
  const nslots = st.get(S_NSLOTS);
  let start = nslots;
  if (nslots > 0 && st.i32[(st.seg(nslots - 1) + SEG_KIND) >> 2] === SEG_FREE) {
    start = nslots - st.i32[(st.seg(nslots - 1) + SEG_LEN) >> 2];
  }
  const end = start + k;
  if (end > st.maxSlots || !st.mem.growTo(st.slotAddress(end))) return -1;
  st.sync();
  if (start < nslots) unlinkRun(st, start);
  st.set(S_NSLOTS, end);
  return start;
}

/** Give back `k` slots starting at `s`: they become a free run, merged with free neighbours. */
export function freeSlots(st: HeapState, s: number, k: number): void {
  const i32 = st.i32;
  for (let i = s; i < s + k; i++) i32[(st.seg(i) + SEG_KIND) >> 2] = SEG_FREE;
  if (s > 0 && i32[(st.seg(s - 1) + SEG_KIND) >> 2] === SEG_FREE) {
    const left = s - i32[(st.seg(s - 1) + SEG_LEN) >> 2];
    k += i32[(st.seg(left) + SEG_LEN) >> 2];
    unlinkRun(st, left);
    s = left;
  }
  const right = s + k;
  if (right < st.get(S_NSLOTS) && i32[(st.seg(right) + SEG_KIND) >> 2] === SEG_FREE) {
    k += i32[(st.seg(right) + SEG_LEN) >> 2];
    unlinkRun(st, right);
  }
  linkRun(st, s, k);
}

/** Take the first k slots of the free run at s; the rest (if any) stays a free run. */
function takeFromRun(st: HeapState, s: number, k: number): void {
  const len = st.i32[(st.seg(s) + SEG_LEN) >> 2];
  unlinkRun(st, s);
  if (len > k) linkRun(st, s + k, len - k);
}

function linkRun(st: HeapState, s: number, len: number): void {
  const i32 = st.i32;
  const e = st.seg(s);
  i32[(e + SEG_LEN) >> 2] = len;
  i32[(st.seg(s + len - 1) + SEG_LEN) >> 2] = len;
  const head = st.get(S_FREESLOTS);
  i32[(e + SEG_NEXT) >> 2] = head;
  i32[(e + SEG_PREV) >> 2] = 0;
  if (head !== 0) i32[(st.seg(head - 1) + SEG_PREV) >> 2] = s + 1;
  st.set(S_FREESLOTS, s + 1);
}

function unlinkRun(st: HeapState, s: number): void {
  const i32 = st.i32;
  const e = st.seg(s);
  const next = i32[(e + SEG_NEXT) >> 2];
  const prev = i32[(e + SEG_PREV) >> 2];
  if (prev !== 0) i32[(st.seg(prev - 1) + SEG_NEXT) >> 2] = next;
  else st.set(S_FREESLOTS, next);
  if (next !== 0) i32[(st.seg(next - 1) + SEG_PREV) >> 2] = prev;
  i32[(e + SEG_NEXT) >> 2] = 0;
  i32[(e + SEG_PREV) >> 2] = 0;
}

/** SEG_KIND of the slot holding offset p, or SEG_FREE when p is outside the carved slot space. */
export function slotKindAt(st: HeapState, p: number): number {
  const d = p - st.slotsOff;
  if (!(d >= 0 && d < st.slotSpace)) return SEG_FREE;
  return st.i32[(st.seg(d >> st.arenaBits) + SEG_KIND) >> 2];
}

/** The free runs as [first slot, length] pairs (for the verifier and stats). */
export function freeRuns(st: HeapState): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const limit = st.maxSlots + 1;
  for (let r = st.get(S_FREESLOTS); r !== 0 && out.length <= limit; r = st.i32[(st.seg(r - 1) + SEG_NEXT) >> 2]) {
    out.push([r - 1, st.i32[(st.seg(r - 1) + SEG_LEN) >> 2]]);
  }
  return out;
}

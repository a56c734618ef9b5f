/*
 * pymalloc: CPython's small-object allocator, block by block.
 * ============================================================
 *
 * Python programs allocate huge numbers of small objects and free most of them soon after.
 * pymalloc (CPython's Objects/obmalloc.c) serves every request of 1..SMALL_REQUEST_THRESHOLD
 * (512) bytes from a three-level structure; everything else (0 bytes, or more than 512) goes to
 * the raw allocator (raw.ts here, the C library's malloc in CPython).
 *
 *   arena  ARENA_SIZE bytes (1 MiB in 3.11, 256 KiB in the legacy profile), one slot of the
 *          buffer (segments.ts), cut into MAX_POOLS_IN_ARENA (64) pools.
 *   pool   POOL_SIZE bytes (16 KiB / 4 KiB), holding blocks of ONE size class. It starts with
 *          a 48-byte header (POOL_OVERHEAD) and the rest is blocks:
 *
 *            pool                                                     pool + POOL_SIZE
 *            | header (48 B) | block | block | block | ... | block |  waste  |
 *            ^ ref.count, freeblock, nextpool, prevpool,               ^ (POOL_SIZE - 48) %
 *              arenaindex, szidx, nextoffset, maxnextoffset              blocksize: "lost to
 *                                                                        quantization"
 *   block  (szidx + 1) * ALIGNMENT bytes. A request of n bytes takes size class
 *          (n - 1) >> ALIGNMENT_SHIFT: 1..16 bytes class 0, 17..32 class 1, ... 497..512 class 31
 *          (in 3.11; the legacy profile has 64 classes of 8-byte steps).
 *
 * A pool is in exactly one of three states:
 *   used   some blocks handed out, some available: it is linked in the ring usedpools[szidx];
 *   full   every block handed out: linked nowhere;
 *   empty  no block handed out: on its arena's freepools list, ready for any size class.
 *
 * usedpools[i] is a circular doubly linked list of the used pools of size class i. Its head is a
 * fake pool header (the "sentinel") positioned so that its nextpool/prevpool fields ARE the two
 * words usedpools[2i], usedpools[2i+1]: the ring is empty when the head's nextpool points back at
 * the head. malloc takes the first pool of the ring and pops a block from its `freeblock` list,
 * a LIFO list threaded through the free blocks' first word. That is the whole fast path:
 *
 *     pool = usedpools[2 * size]
 *     if pool != pool.nextpool:          (the ring is not empty)
 *         pool.ref.count += 1
 *         bp = pool.freeblock
 *         pool.freeblock = *bp           (the next free block)
 *         if pool.freeblock == NULL: pool_extend(pool)     (slow: carve, or the pool is full)
 *         return bp
 *
 * Lazy carving: a pool is never cut up in advance. A fresh pool hands out its first block and
 * puts only the second on freeblock; `nextoffset` marks the first block never used. When the
 * freeblock list runs dry, pool_extend carves one more block at nextoffset (while
 * nextoffset <= maxnextoffset = POOL_SIZE - blocksize); when nothing is left the pool is full
 * and leaves its ring. So a pool's untouched tail is never written, as in CPython.
 *
 * free(p): the pool of p is `p & ~(POOL_SIZE - 1)` (pools are POOL_SIZE-aligned). Push p on the
 * pool's freeblock list and decrement ref.count. If the pool was full (freeblock was NULL) it is
 * linked at the FRONT of its ring again; if its count reaches 0 it leaves the ring and goes on
 * its arena's freepools, and the arena bookkeeping in arena.ts runs.
 *
 * When a ring is empty, allocate_from_new_pool takes an empty pool from the head of
 * usable_arenas (arena.ts) and links it at the front of the ring. If the pool last held the same
 * size class its header and free list are still valid; otherwise the header is initialised.
 *
 * Everything here is written against a `usedpools` base offset rather than one global; the
 * free-threaded mode (thread-heap.ts, thread-pools.ts) gives each thread its own rings over the
 * same arenas, with its own copy of this fast path and the ring helpers exported below.
 *
 * Pointers are Int32 byte offsets into the buffer, 0 = NULL; the pool header keeps C's 64-bit
 * layout (pointer fields 8 bytes, of which we use the low word), see state.ts.
 */

import { takeFreePool, returnPoolToArena } from './arena.ts';
import {
  POOL_FREEBLOCK,
  POOL_MAXNEXTOFFSET,
  POOL_NEXTOFFSET,
  POOL_NEXTPOOL,
  POOL_PREVPOOL,
  POOL_REF_COUNT,
  POOL_SZIDX,
  HeapState,
} from './state.ts';

/* Int32 indices of the pool header fields, relative to pool >> 2. */
const W_COUNT = POOL_REF_COUNT >> 2;
const W_FREEBLOCK = POOL_FREEBLOCK >> 2;
const W_NEXTPOOL = POOL_NEXTPOOL >> 2;
const W_PREVPOOL = POOL_PREVPOOL >> 2;
const W_SZIDX = POOL_SZIDX >> 2;
const W_NEXTOFFSET = POOL_NEXTOFFSET >> 2;
const W_MAXNEXTOFFSET = POOL_MAXNEXTOFFSET >> 2;
/** usedpools[2i] lies this far into its ring's sentinel (a module-local copy: V8 folds it). */
const NEXTPOOL_BYTES = POOL_NEXTPOOL;
/** usedpools[2i] is i * 16 bytes from the base: two 8-byte pointers per class. */
const USEDPOOLS_CLASS_SHIFT = 4;

/**
 * The fast paths, as methods of the thread's heap handle (Heap extends this class), so that the
 * JIT sees one object and inlines them into malloc/free: measured, a module function taking the
 * state as an argument costs about half again as much per malloc+free.
 */
export class Pymalloc extends HeapState {
  /**
   * Allocate a block for 1..SMALL_REQUEST_THRESHOLD bytes (the caller checks the range) from the
   * rings at `usedpools`. Returns the block, marked live, or 0 when no arena could be had.
   */
  protected pymallocAlloc(usedpools: number, nbytes: number): number {
    const i32 = this.i32;
    const size = (nbytes - 1) >> this.alignShift;
    const slot = usedpools + (size << USEDPOOLS_CLASS_SHIFT); // usedpools[2 * size]
    const pool = i32[slot >> 2];
    // The ring is empty when its first pool is the sentinel itself (pool == pool->nextpool in
    // CPython): the sentinel's nextpool field IS usedpools[2 * size], so compare addresses.
    if (pool === slot - NEXTPOOL_BYTES) return this.pymallocAllocFromNewPool(usedpools, size);
    if (pool >= this.viewEnd) return this.pymallocAllocAfterSync(usedpools, nbytes, pool);
    const pw = pool >> 2;
    i32[pw + W_COUNT]++;
    const bp = i32[pw + W_FREEBLOCK];
    const next = i32[bp >> 2];
    i32[pw + W_FREEBLOCK] = next;
    if (next === 0) poolExtend(this, pool, size);
    const u = bp >> this.alignShift; // mark bp live (see HeapState.markLive)
    i32[this.bitmapBase + (u >> 5)] |= 1 << u;
    return bp;
  }

  /** The first pool of the ring lies past our views: another thread carved its arena. */
  private pymallocAllocAfterSync(usedpools: number, nbytes: number, pool: number): number {
    this.sync();
    if (pool >= this.viewEnd) throw new Error(`heap corrupt: usedpools holds pool ${pool}, past the buffer`);
    return this.pymallocAlloc(usedpools, nbytes);
  }

  /** The ring is empty: allocate_from_new_pool, then mark the block live. */
  private pymallocAllocFromNewPool(usedpools: number, size: number): number {
    const bp = allocateFromNewPool(this, usedpools, size);
    if (bp !== 0) this.markLive(bp);
    return bp;
  }

  /** Free block p of an arena. The caller has checked that p is live and cleared its live bit. */
  protected pymallocFree(usedpools: number, p: number): void {
    const i32 = this.i32;
    const pool = p & this.poolMask;
    const pw = pool >> 2;
    const lastfree = i32[pw + W_FREEBLOCK];
    i32[p >> 2] = lastfree;
    i32[pw + W_FREEBLOCK] = p;
    const count = i32[pw + W_COUNT] - 1;
    i32[pw + W_COUNT] = count;
    if (lastfree === 0) {
      // The pool was full, so it was in no list: link it at the front of its ring.
      insertToUsedpool(this, usedpools, pool);
    } else if (count === 0) {
      // The pool was used and is now empty: it goes back to its arena.
      insertToFreepool(this, pool);
    }
  }
}

/** The pool's freeblock list ran dry: carve the next never-used block, or unlink a full pool. */
function poolExtend(st: HeapState, pool: number, size: number): void {
  const i32 = st.i32;
  const pw = pool >> 2;
  const nextoffset = i32[pw + W_NEXTOFFSET];
  if (nextoffset <= i32[pw + W_MAXNEXTOFFSET]) {
    const fb = pool + nextoffset;
    i32[pw + W_FREEBLOCK] = fb;
    i32[pw + W_NEXTOFFSET] = nextoffset + st.index2size(size);
    i32[fb >> 2] = 0;
    return;
  }
  // Full: unlink from its ring (its neighbours may be in arenas past our views).
  st.syncIfGrown();
  const next = i32[pw + W_NEXTPOOL];
  const prev = i32[pw + W_PREVPOOL];
  st.i32[(next >> 2) + W_PREVPOOL] = prev;
  st.i32[(prev >> 2) + W_NEXTPOOL] = next;
}

/** The ring of this size class is empty: take an empty pool, link it at the front, hand out a block. */
function allocateFromNewPool(st: HeapState, usedpools: number, size: number): number {
  st.syncIfGrown();
  const pool = takeFreePool(st);
  if (pool === 0) return 0;
  return useNewPool(st, usedpools, size, pool);
}

/**
 * Put the empty pool `pool` to use for size class `size`: link it into the (empty) ring of that
 * class at `usedpools` and hand out its first block (not marked live). Shared with the
 * free-threaded mode (thread-pools.ts), which takes the pool under the arena lock.
 */
export function useNewPool(st: HeapState, usedpools: number, size: number, pool: number): number {
  const i32 = st.i32;
  const pw = pool >> 2;
  const head = i32[(usedpools + (size << USEDPOOLS_CLASS_SHIFT)) >> 2]; // the sentinel: the ring is empty
  i32[pw + W_NEXTPOOL] = head;
  i32[pw + W_PREVPOOL] = head;
  i32[(head >> 2) + W_NEXTPOOL] = pool;
  i32[(head >> 2) + W_PREVPOOL] = pool;
  i32[pw + W_COUNT] = 1;
  if (i32[pw + W_SZIDX] === size) {
    // The pool last held this size class: its header and free list are still good.
    const bp = i32[pw + W_FREEBLOCK];
    i32[pw + W_FREEBLOCK] = i32[bp >> 2];
    return bp;
  }
  // Initialise the header: hand out the first block, put only the second on the free list.
  const blocksize = st.index2size(size);
  i32[pw + W_SZIDX] = size;
  const bp = pool + st.poolOverhead;
  i32[pw + W_NEXTOFFSET] = st.poolOverhead + 2 * blocksize;
  i32[pw + W_MAXNEXTOFFSET] = st.poolSize - blocksize;
  const fb = bp + blocksize;
  i32[pw + W_FREEBLOCK] = fb;
  i32[fb >> 2] = 0;
  return bp;
}

/** Link a pool that was full at the front of its ring (most recently freed pools are used first). */
export function insertToUsedpool(st: HeapState, usedpools: number, pool: number): void {
  st.syncIfGrown(); // the ring's pools may be in arenas past our views
  const i32 = st.i32;
  const pw = pool >> 2;
  const next = i32[(usedpools + (i32[pw + W_SZIDX] << USEDPOOLS_CLASS_SHIFT)) >> 2]; // first pool, or the sentinel
  linkAfter(i32, pool, i32[(next >> 2) + W_PREVPOOL]);
}

/** Link `pool` into a ring right after `prev` (a pool or a ring's sentinel). */
export function linkAfter(i32: Int32Array, pool: number, prev: number): void {
  const pw = pool >> 2;
  const next = i32[(prev >> 2) + W_NEXTPOOL];
  i32[pw + W_NEXTPOOL] = next;
  i32[pw + W_PREVPOOL] = prev;
  i32[(next >> 2) + W_PREVPOOL] = pool;
  i32[(prev >> 2) + W_NEXTPOOL] = pool;
}

/** An used pool became empty: unlink it from its ring and give it to its arena. */
function insertToFreepool(st: HeapState, pool: number): void {
  st.syncIfGrown();
  unlinkPool(st.i32, pool);
  returnPoolToArena(st, pool);
}

/** Unlink `pool` from the ring it is in (usedpools, or a thread heap's ring of full pools). */
export function unlinkPool(i32: Int32Array, pool: number): void {
  const pw = pool >> 2;
  const next = i32[pw + W_NEXTPOOL];
  const prev = i32[pw + W_PREVPOOL];
  i32[(next >> 2) + W_PREVPOOL] = prev;
  i32[(prev >> 2) + W_NEXTPOOL] = next;
}

/** Block size of the pymalloc block p (p must be in an arena). */
export function pymallocBlockSize(st: HeapState, p: number): number {
  return st.index2size(st.i32[((p & st.poolMask) >> 2) + W_SZIDX]);
}

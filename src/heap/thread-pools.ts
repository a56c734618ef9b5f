/*
 * A thread's own pools: the owner's slow paths in the free-threaded mode.
 * ========================================================================
 *
 * A thread heap (thread-heap.ts) keeps pymalloc's three pool states for the pools it owns, with
 * one change: a full pool is not "linked nowhere" but on the thread's ring of FULL pools, so that
 * whoever adopts the pools of an exited thread (abandon.ts) can find every one of them.
 *
 *   used   in the owner's usedpools[szidx] ring (freeblock != NULL)
 *   full   in the owner's full ring (freeblock == NULL); its xthread_free word carries
 *          XT_USE_DELAYED until another thread frees into it (xfree.ts)
 *   empty  given back to its arena under the arena lock, owner cleared
 *
 * Only the owner moves a pool between these states, and only the owner writes its ref.count,
 * freeblock and links. Blocks other threads free wait on the pool's thread-free list (still
 * counted in ref.count) until the owner absorbs them:
 *
 *   - when the pool's freeblock runs dry during malloc (before carving: the freed blocks are
 *     reused first, as mimalloc does when a page's local free list is empty);
 *   - when the owner would otherwise take a new pool (the delayed_free list: blocks freed into
 *     full pools, see xfree.ts);
 *   - at collect(), which the runtime calls at its polls.
 *
 * The ring of full pools costs the owner nothing on the fast paths: a pool moves there from
 * pool_extend's "full" case, and back from free's "was full" case, both already slow paths.
 */

import { returnPoolToArena, takeFreePool } from './arena.ts';
import { linkAfter, unlinkPool, useNewPool } from './pymalloc.ts';
import {
  fullRingHead,
  POOL_FREEBLOCK,
  POOL_MAXNEXTOFFSET,
  POOL_NEXTOFFSET,
  POOL_NEXTPOOL,
  POOL_OWNER,
  POOL_REF_COUNT,
  POOL_SZIDX,
  POOL_XTHREAD_FREE,
  S_ABANDONED,
  usedpoolsHead,
  XT_FLAGS,
  XT_USE_DELAYED,
} from './state.ts';
import type { ThreadHeap } from './thread-heap.ts';
import { adoptAbandoned } from './abandon.ts';
import { absorbList, processDelayed, takeThreadFreeList } from './xfree.ts';

const W_COUNT = POOL_REF_COUNT >> 2;
const W_FREEBLOCK = POOL_FREEBLOCK >> 2;
const W_NEXTOFFSET = POOL_NEXTOFFSET >> 2;
const W_MAXNEXTOFFSET = POOL_MAXNEXTOFFSET >> 2;
const W_SZIDX = POOL_SZIDX >> 2;
const W_OWNER = POOL_OWNER >> 2;
const W_XTHREAD = POOL_XTHREAD_FREE >> 2;

/**
 * malloc just took the last block of `pool`'s freeblock list. Refill the list from the blocks
 * other threads freed, else carve the next block, else the pool is full: it moves to the full
 * ring and asks the next foreign freer to tell us (XT_USE_DELAYED).
 */
export function ownerPoolExtend(th: ThreadHeap, pool: number, size: number): void {
  const i32 = th.i32;
  const pw = pool >> 2;
  if ((i32[pw + W_XTHREAD] & ~XT_FLAGS) !== 0 && absorbList(th, pool, takeThreadFreeList(th, pool)) > 0) return;
  const nextoffset = i32[pw + W_NEXTOFFSET];
  if (nextoffset <= i32[pw + W_MAXNEXTOFFSET]) {
    const fb = pool + nextoffset;
    i32[pw + W_FREEBLOCK] = fb;
    i32[pw + W_NEXTOFFSET] = nextoffset + th.index2size(size);
    i32[fb >> 2] = 0;
    return;
  }
  // Full, unless a block was pushed meanwhile: set the flag only on an empty thread-free list.
  for (;;) {
    const old = Atomics.load(i32, pw + W_XTHREAD);
    if ((old & ~XT_FLAGS) !== 0) {
      absorbList(th, pool, takeThreadFreeList(th, pool));
      return;
    }
    if (Atomics.compareExchange(i32, pw + W_XTHREAD, old, old | XT_USE_DELAYED) === old) break;
  }
  th.syncIfGrown(); // ring neighbours may lie in arenas past our views
  unlinkPool(th.i32, pool);
  linkAfter(th.i32, pool, fullRingHead(th.rec));
}

/**
 * The owner freed or absorbed blocks of `pool`: if it was full (freeblock was NULL) it goes back
 * to the front of its usedpools ring; if nothing is handed out any more it goes to its arena.
 */
export function ownerPoolChanged(th: ThreadHeap, pool: number, wasFull: boolean): void {
  th.syncIfGrown(); // ring neighbours may lie in arenas past our views
  const i32 = th.i32;
  if (i32[(pool >> 2) + W_COUNT] === 0) {
    unlinkPool(i32, pool);
    releasePool(th, pool);
  } else if (wasFull) {
    unlinkPool(i32, pool);
    linkAfter(i32, pool, usedpoolsHead(th.rings, i32[(pool >> 2) + W_SZIDX]));
  }
}

/** An empty pool (unlinked) goes back to its arena: no owner, under the arena lock. */
export function releasePool(th: ThreadHeap, pool: number): void {
  const i32 = th.i32;
  i32[(pool >> 2) + W_OWNER] = 0;
  i32[(pool >> 2) + W_XTHREAD] = 0;
  th.lock.lock();
  try {
    th.syncIfGrown();
    returnPoolToArena(th, pool);
  } finally {
    th.lock.unlock();
  }
}

/**
 * The ring of size class `size` is empty. Before taking a new pool from the arenas: absorb the
 * delayed_free list (a full pool of this class may come back), adopt an exited thread's pools
 * if any wait. Returns a block (marked live), or 0 when no arena can be had.
 */
export function ownerAllocFromNewPool(th: ThreadHeap, size: number): number {
  const n = (size + 1) << th.alignShift;
  if (processDelayed(th) > 0 && !ringEmpty(th, size)) return th.malloc(n);
  if (Atomics.load(th.i32, (th.base + S_ABANDONED) >> 2) > 0 && adoptAbandoned(th, 1) > 0 && !ringEmpty(th, size)) {
    return th.malloc(n);
  }
  th.lock.lock();
  let pool: number;
  try {
    th.syncIfGrown();
    pool = takeFreePool(th);
  } finally {
    th.lock.unlock();
  }
  if (pool === 0) return 0;
  const i32 = th.i32;
  i32[(pool >> 2) + W_OWNER] = th.ownerTag;
  i32[(pool >> 2) + W_XTHREAD] = 0;
  const bp = useNewPool(th, th.rings, size, pool);
  th.markLive(bp);
  return bp;
}

function ringEmpty(th: ThreadHeap, size: number): boolean {
  const head = usedpoolsHead(th.rings, size);
  return th.i32[(head + POOL_NEXTPOOL) >> 2] === head;
}

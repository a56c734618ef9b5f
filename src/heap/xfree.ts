/*
 * Cross-thread frees: a block freed by a thread that does not own its pool.
 * ==========================================================================
 *
 * In the free-threaded mode (thread-heap.ts) only a pool's owner may touch its free list, count
 * and links. Another thread freeing one of its blocks does what mimalloc's _mi_free_block_mt
 * does, and nothing more:
 *
 *   1. checks the block is live (its live bit, written by the owner, is set) and sets its
 *      pending-free bit with one atomic OR: if the bit was already set the block was already
 *      freed (by this thread or any other), an InvalidFree;
 *   2. pushes the block on the pool's thread-free list with a compare-and-swap on the pool's
 *      xthread_free word (the link goes in the block's first word), and sets the owner's hint.
 *
 *          pool header                          blocks freed by other threads
 *          xthread_free ---> [b3] ---> [b7] ---> [b1] ---> NULL
 *
 * The owner takes the whole list with one atomic exchange and absorbs it: clears each block's
 * pending and live bits, splices the list onto its freeblock list, lowers ref.count by its length
 * (absorbList). ref.count counted the pending blocks all along, so a pool with pending frees can
 * never look empty and go back to its arena while another thread is still pushing into it.
 *
 * Full pools: a full pool sits on its owner's full ring, and the owner would not look at its
 * thread-free list until it happened to walk that ring. So when the owner makes a pool full it
 * sets XT_USE_DELAYED in its xthread_free word (only while the list is empty). The first foreign
 * freer that sees the flag clears it (CAS) and pushes its block on the OWNER's delayed_free list
 * (a list in the owner's thread heap record) instead; later freers see no flag and use the
 * pool's list. The owner looks at its delayed_free list whenever it would take a new pool and at
 * collect(): absorbing such a block makes the pool used again (back in its usedpools ring), and
 * its thread-free list is absorbed in turn when the pool's freeblock runs dry. One delayed block
 * per full pool: O(1) for the owner to find every full pool that regained space (mimalloc's
 * thread_delayed_free).
 *
 * Owners change only when a record is adopted (abandon.ts): the adopter rewrites POOL_OWNER of
 * every pool, then seals the old record's delayed_free list (TH_SEALED). A freer that meets a
 * sealed list reads the pool's owner again; a block that still lands on a record that no longer
 * owns its pool (a freer that read the old owner just before the seal and was slow) is forwarded
 * when that record's list is processed: pushed again, to whoever owns the pool now.
 */

import {
  fullRingHead,
  POOL_FREEBLOCK,
  POOL_NEXTPOOL,
  POOL_OWNER,
  POOL_REF_COUNT,
  POOL_SZIDX,
  POOL_XTHREAD_FREE,
  TH_COLLECTED,
  TH_DELAYED,
  TH_SEALED,
  TH_XFREE_HINT,
  usedpoolsHead,
  XT_FLAGS,
  XT_USE_DELAYED,
  type HeapState,
} from './state.ts';
import type { ThreadHeap } from './thread-heap.ts';
import { ownerPoolChanged } from './thread-pools.ts';

const W_COUNT = POOL_REF_COUNT >> 2;
const W_FREEBLOCK = POOL_FREEBLOCK >> 2;
const W_NEXTPOOL = POOL_NEXTPOOL >> 2;
const W_SZIDX = POOL_SZIDX >> 2;
const W_OWNER = POOL_OWNER >> 2;
const W_XTHREAD = POOL_XTHREAD_FREE >> 2;
/** Re-reads of a pool's owner past a sealed delayed_free list before calling the heap corrupt
 *  (an adopter writes every new owner before it seals, so one re-read is enough). */
const SEALED_SPINS = 1 << 20;

/** Free block p of a pool we do not own: the shared rings' (owner 0) or another thread's. */
export function freeForeignPool(th: ThreadHeap, p: number, pool: number, owner: number): void {
  if (owner === 0) {
    th.sharedFree(p);
    return;
  }
  const i32 = th.i32;
  const u = p >> th.alignShift;
  const wi = th.bitmapBase + (u >> 5);
  const bit = 1 << u;
  if ((i32[wi] & bit) === 0 || (Atomics.or(i32, wi + th.xfreeDelta, bit) & bit) !== 0) {
    throw th.invalidFree(p);
  }
  pushRemote(th, p, pool);
}

/** Push pending block p (its pending bit set) on its pool's thread-free list, or on the owner's
 *  delayed_free list if the pool asked for it. */
export function pushRemote(st: HeapState, p: number, pool: number): void {
  const i32 = st.i32;
  const xw = (pool >> 2) + W_XTHREAD;
  for (;;) {
    const old = Atomics.load(i32, xw);
    if ((old & XT_USE_DELAYED) !== 0) {
      if (Atomics.compareExchange(i32, xw, old, old & ~XT_USE_DELAYED) === old) {
        pushDelayed(st, p, pool);
        return;
      }
      continue;
    }
    i32[p >> 2] = old & ~XT_FLAGS;
    if (Atomics.compareExchange(i32, xw, old, p | (old & XT_FLAGS)) === old) break;
  }
  const owner = i32[(pool >> 2) + W_OWNER];
  if (owner > 0) {
    const hint = (st.threadHeap(owner - 1) + TH_XFREE_HINT) >> 2;
    if (i32[hint] === 0) i32[hint] = 1;
  }
}

/** Push p on the delayed_free list of its pool's owner (re-reading the owner past a seal). */
function pushDelayed(st: HeapState, p: number, pool: number): void {
  const i32 = st.i32;
  for (let tries = 0; ; tries++) {
    const owner = Atomics.load(i32, (pool >> 2) + W_OWNER);
    if (owner === 0 || tries > SEALED_SPINS) throw new Error(`heap corrupt: pool ${pool} asked for delayed frees but its owner ${owner - 1} owns nothing`);
    const dw = (st.threadHeap(owner - 1) + TH_DELAYED) >> 2;
    const old = Atomics.load(i32, dw);
    if (old === TH_SEALED) continue; // adopted: the adopter wrote the new owner before sealing
    i32[p >> 2] = old;
    if (Atomics.compareExchange(i32, dw, old, p) === old) return;
  }
}

/** Take the pool's whole thread-free list (its flags stay). Returns its first block or 0. */
export function takeThreadFreeList(th: ThreadHeap, pool: number): number {
  const i32 = th.i32;
  const xw = (pool >> 2) + W_XTHREAD;
  for (;;) {
    const old = Atomics.load(i32, xw);
    if ((old & ~XT_FLAGS) === 0) return 0;
    if (Atomics.compareExchange(i32, xw, old, old & XT_FLAGS) === old) return old & ~XT_FLAGS;
  }
}

/**
 * The owner absorbs a list of pending blocks of `pool` (linked through their first word): clears
 * their pending and live bits, splices them onto freeblock, lowers ref.count. No state change:
 * the caller moves the pool if needed. Returns the number of blocks.
 */
export function absorbList(th: ThreadHeap, pool: number, head: number): number {
  if (head === 0) return 0;
  const i32 = th.i32;
  const pw = pool >> 2;
  const limit = th.numblocks(i32[pw + W_SZIDX]);
  let k = 0;
  let last = 0;
  for (let b = head; b !== 0; b = i32[b >> 2]) {
    if (++k > limit || (b & th.poolMask) !== pool) throw new Error(`heap corrupt: thread-free list of pool ${pool} holds ${b}`);
    clearPendingAndLive(th, b);
    last = b;
  }
  i32[last >> 2] = i32[pw + W_FREEBLOCK];
  i32[pw + W_FREEBLOCK] = head;
  i32[pw + W_COUNT] -= k;
  return k;
}

function clearPendingAndLive(th: ThreadHeap, b: number): void {
  const u = b >> th.alignShift;
  const wi = th.bitmapBase + (u >> 5);
  const bit = 1 << u;
  Atomics.and(th.i32, wi + th.xfreeDelta, ~bit);
  th.i32[wi] &= ~bit;
}

/** Absorb our delayed_free list (blocks freed into our full pools). Returns blocks absorbed. */
export function processDelayed(th: ThreadHeap): number {
  const dw = (th.rec + TH_DELAYED) >> 2;
  if (th.i32[dw] === 0) return 0; // a plain read is enough to see that nothing waits
  return processDelayedList(th, Atomics.exchange(th.i32, dw, 0));
}

/**
 * Absorb a delayed_free list taken from a record: blocks of pools we own are absorbed one by one
 * (each may bring a full pool back to its ring, or empty it); others are forwarded.
 */
export function processDelayedList(th: ThreadHeap, head: number): number {
  let n = 0;
  const limit = th.slotSpace >> th.alignShift;
  for (let b = head; b !== 0 && b !== TH_SEALED; ) {
    if (++n > limit) throw new Error('heap corrupt: a delayed_free list has a cycle');
    th.syncIfGrown();
    const i32 = th.i32;
    const next = i32[b >> 2];
    const pool = b & th.poolMask;
    if (i32[(pool >> 2) + W_OWNER] === th.ownerTag) {
      const wasFull = i32[(pool >> 2) + W_FREEBLOCK] === 0;
      i32[b >> 2] = 0;
      absorbList(th, pool, b);
      ownerPoolChanged(th, pool, wasFull);
    } else {
      pushRemote(th, b, pool);
      n--;
    }
    b = next;
  }
  return n;
}

/** collect(): the delayed_free list, and every pool's thread-free list when hinted (or `all`). */
export function collectThreadHeap(th: ThreadHeap, all: boolean): number {
  let n = processDelayed(th);
  const hint = (th.rec + TH_XFREE_HINT) >> 2;
  if (all || th.i32[hint] !== 0) {
    th.i32[hint] = 0;
    n += collectOwnedPools(th);
  }
  if (n !== 0) th.i32[(th.rec + TH_COLLECTED) >> 2] += n;
  return n;
}

/** Absorb the thread-free lists of all our pools: full ones first (they may move to a ring). */
function collectOwnedPools(th: ThreadHeap): number {
  th.syncIfGrown();
  let n = 0;
  const full = fullRingHead(th.rec);
  for (let pool = th.i32[(full >> 2) + W_NEXTPOOL]; pool !== full; ) {
    const next = th.i32[(pool >> 2) + W_NEXTPOOL];
    const k = absorbList(th, pool, takeThreadFreeList(th, pool));
    if (k > 0) ownerPoolChanged(th, pool, true);
    n += k;
    pool = next;
  }
  for (let c = 0; c < th.nbClasses; c++) {
    const head = usedpoolsHead(th.rings, c);
    for (let pool = th.i32[(head >> 2) + W_NEXTPOOL]; pool !== head; ) {
      const next = th.i32[(pool >> 2) + W_NEXTPOOL];
      const k = absorbList(th, pool, takeThreadFreeList(th, pool));
      if (k > 0 && th.i32[(pool >> 2) + W_COUNT] === 0) ownerPoolChanged(th, pool, false);
      n += k;
      pool = next;
    }
  }
  return n;
}

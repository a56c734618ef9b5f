/*
 * Thread heap records: binding, abandonment and adoption.
 * ========================================================
 *
 * A thread heap record (one per thread slot, state.ts) goes through four states, changed with
 * compare-and-swap on its TH_STATE word:
 *
 *        bind (a thread starts in this slot)          abandon (it exits, owning pools)
 *   FREE ------------------------------------> ACTIVE -------------------------------> ABANDONED
 *    ^  <------------------------------------    |  ^                                     |  |
 *    |      abandon (it exits owning nothing)       |  bind (a new thread in the same slot |  |
 *    |                                              +---- reclaims the pools in place) ----+  |
 *    +------------------------------- ADOPTING <----------------------------------------------+
 *                 (adopted: pools,            adoptAbandoned() by another thread, or on its own
 *                  pending and deferred        when it needs a new pool (mimalloc's reclaim of
 *                  frees now the adopter's)    abandoned segments)
 *
 * Abandoning keeps the pools owned by the record: foreign frees into them go on as before (onto
 * their thread-free lists, or the record's delayed_free list for full pools), so no block freed
 * into an abandoned pool is lost. Whoever adopts the record rewrites POOL_OWNER of each of its
 * pools, links them into its own rings (used pools into usedpools, full ones into its full ring),
 * seals the old delayed_free list (TH_SEALED: late freers re-read the owner, see xfree.ts) and
 * absorbs it, appends the old deferred-free queue to its own (qsbr.ts), empties the record and
 * sets it FREE, then collects the thread-free lists of everything it adopted.
 *
 * A record is never freed, so a slow freer that read an old owner can never write into memory
 * that became something else; at worst its block lands on a record that no longer owns the pool
 * and is forwarded from there.
 */

import { DeadlockError, GilsimError } from '../errors.ts';
import { linkAfter } from './pymalloc.ts';
import { appendDeferredQueue, processDeferred, qsbrOffline } from './qsbr.ts';
import {
  fullRingHead,
  initThreadHeapRecord,
  POOL_NEXTPOOL,
  POOL_OWNER,
  POOL_PREVPOOL,
  S_ABANDONED,
  TH_ABANDONED,
  TH_ACTIVE,
  TH_ADOPTED,
  TH_ADOPTING,
  TH_BINDS,
  TH_DEFER_COUNT,
  TH_DELAYED,
  TH_FREE,
  TH_SEALED,
  TH_STATE,
  TH_USEDPOOLS,
  TH_XFREE_HINT,
  usedpoolsHead,
  type HeapState,
} from './state.ts';
import type { ThreadHeap } from './thread-heap.ts';
import { collectThreadHeap, processDelayedList } from './xfree.ts';

/** one wait for an adoption in progress to finish */
const ADOPTION_WAIT_MS = 1;
/** how long bind waits for an adoption of its record before calling it stuck */
const ADOPTION_DEADLINE_MS = 10_000;

const W_NEXTPOOL = POOL_NEXTPOOL >> 2;
const W_OWNER = POOL_OWNER >> 2;

const abandonedWord = (st: HeapState): number => (st.base + S_ABANDONED) >> 2;

/** Claim the record of `slot` for a starting thread: FREE -> ACTIVE, or reclaim ABANDONED. */
export function bindThreadHeap(th: ThreadHeap, slot: number): void {
  const i32 = th.i32;
  const rec = th.threadHeap(slot);
  const sw = (rec + TH_STATE) >> 2;
  const deadline = performance.now() + ADOPTION_DEADLINE_MS;
  for (;;) {
    const s = Atomics.load(i32, sw);
    if (s === TH_FREE && Atomics.compareExchange(i32, sw, TH_FREE, TH_ACTIVE) === TH_FREE) {
      Atomics.store(i32, (rec + TH_DELAYED) >> 2, 0); // unseal
      break;
    }
    if (s === TH_ABANDONED && Atomics.compareExchange(i32, sw, TH_ABANDONED, TH_ACTIVE) === TH_ABANDONED) {
      Atomics.sub(i32, abandonedWord(th), 1);
      break;
    }
    if (s === TH_ACTIVE) throw new GilsimError(`the thread heap of slot ${slot} is bound to a running thread`);
    if (s === TH_ADOPTING) Atomics.wait(i32, sw, TH_ADOPTING, ADOPTION_WAIT_MS);
    if (performance.now() > deadline) throw new DeadlockError(`the thread heap of slot ${slot} stayed in state ${s} for ${ADOPTION_DEADLINE_MS} ms`);
  }
  i32[(rec + TH_XFREE_HINT) >> 2] = 0;
  i32[(rec + TH_BINDS) >> 2]++;
}

/** The thread exits: absorb and free what is due, then leave the record ABANDONED or FREE. */
export function abandonThreadHeap(th: ThreadHeap): void {
  const rec = th.rec;
  if (th.i32[(rec + TH_DEFER_COUNT) >> 2] !== 0) processDeferred(th);
  collectThreadHeap(th, true);
  qsbrOffline(th);
  const i32 = th.i32;
  const sw = (rec + TH_STATE) >> 2;
  if (ownsPools(th, rec) || i32[(rec + TH_DEFER_COUNT) >> 2] !== 0) {
    Atomics.add(i32, abandonedWord(th), 1);
    Atomics.store(i32, sw, TH_ABANDONED);
  } else {
    // Nothing to leave behind. A block may still arrive on our delayed list from a freer that read
    // an owner of long ago: seal, and forward whatever came.
    const d = Atomics.exchange(i32, (rec + TH_DELAYED) >> 2, TH_SEALED);
    if (d !== 0 && d !== TH_SEALED) processDelayedList(th, d);
    initThreadHeapRecord(th, rec);
    Atomics.store(i32, sw, TH_FREE);
  }
  Atomics.notify(i32, sw);
}

/** True when record rec has a pool in its rings or its full ring. */
export function ownsPools(st: HeapState, rec: number): boolean {
  const i32 = st.i32;
  const full = fullRingHead(rec);
  if (i32[(full >> 2) + W_NEXTPOOL] !== full) return true;
  for (let c = 0; c < st.nbClasses; c++) {
    const head = usedpoolsHead(rec + TH_USEDPOOLS, c);
    if (i32[(head >> 2) + W_NEXTPOOL] !== head) return true;
  }
  return false;
}

/** Adopt up to `max` ABANDONED records. Returns how many. */
export function adoptAbandoned(th: ThreadHeap, max: number): number {
  let n = 0;
  for (let r = 0; r < th.maxThreads && n < max; r++) {
    if (r === th.slot || Atomics.load(th.i32, abandonedWord(th)) <= 0) continue;
    const sw = (th.threadHeap(r) + TH_STATE) >> 2;
    if (Atomics.load(th.i32, sw) !== TH_ABANDONED) continue;
    if (Atomics.compareExchange(th.i32, sw, TH_ABANDONED, TH_ADOPTING) !== TH_ABANDONED) continue;
    adoptRecord(th, th.threadHeap(r));
    n++;
  }
  return n;
}

/** Take everything record `from` (ADOPTING, ours to change) holds, then set it FREE. */
function adoptRecord(th: ThreadHeap, from: number): void {
  th.syncIfGrown();
  const i32 = th.i32;
  movePools(th, fullRingHead(from), fullRingHead(th.rec));
  for (let c = 0; c < th.nbClasses; c++) movePools(th, usedpoolsHead(from + TH_USEDPOOLS, c), usedpoolsHead(th.rings, c));
  // Every pool names us now: seal the old delayed list (late freers re-read the owner) and absorb it.
  processDelayedList(th, Atomics.exchange(i32, (from + TH_DELAYED) >> 2, TH_SEALED));
  appendDeferredQueue(th, from);
  initThreadHeapRecord(th, from);
  Atomics.sub(i32, abandonedWord(th), 1);
  Atomics.store(i32, (from + TH_STATE) >> 2, TH_FREE);
  Atomics.notify(i32, (from + TH_STATE) >> 2);
  th.i32[(th.rec + TH_ADOPTED) >> 2]++;
  collectThreadHeap(th, true);
}

/** Move every pool of the ring headed by `fromHead` to the end of the ring headed by `toHead`,
 *  making it ours. */
function movePools(th: ThreadHeap, fromHead: number, toHead: number): void {
  const i32 = th.i32;
  for (let pool = i32[(fromHead >> 2) + W_NEXTPOOL]; pool !== fromHead; ) {
    const next = i32[(pool >> 2) + W_NEXTPOOL];
    Atomics.store(i32, (pool >> 2) + W_OWNER, th.ownerTag);
    linkAfter(i32, pool, i32[(toHead + POOL_PREVPOOL) >> 2]);
    pool = next;
  }
}

/*
 * The verifier's free-threaded half: rings of every owner, thread-free and delayed-free lists,
 * ownership, thread heap records, deferred-free queues.
 * ============================================================================================
 *
 * verify.ts walks every arena and pool; this file gives it what it needs to judge a pool in the
 * free-threaded mode (thread-heap.ts) and checks the thread heap records themselves:
 *
 *   rings      every ring (the shared usedpools, each record's usedpools and full ring) is well
 *              linked both ways; used rings hold only their class; no pool is in two rings. A
 *              pool in record r's rings has POOL_OWNER r + 1; a shared pool has owner 0.
 *   pending    the blocks waiting for their owner (on a pool's thread-free list, or on any
 *              record's delayed_free list) are blocks of that pool, carved, each once, with live
 *              AND pending bits set; the pending bits of a pool are exactly those blocks; a
 *              pool with a non-empty thread-free list does not carry XT_USE_DELAYED.
 *   records    each record is FREE (empty, sealed, offline), ACTIVE or ABANDONED (offline);
 *              S_ABANDONED counts the ABANDONED ones; a pool's owner is never a FREE record.
 *   deferred   each queue's chunks are live blocks of the chunk size, entries within bounds, the
 *              count agrees, every queued block is live and queued once in the whole heap.
 */

import { pymallocBlockSize } from './pymalloc.ts';
import { rawUsableSize } from './raw.ts';
import { slotKindAt } from './segments.ts';
import { deferChunkBytes, deferChunkEntries, DC_NEXT, DC_RD, DC_WR, forEachDeferred } from './qsbr.ts';
import {
  fullRingHead,
  POOL_NEXTPOOL,
  POOL_PREVPOOL,
  POOL_SZIDX,
  QSBR_OFFLINE,
  S_ABANDONED,
  TH_ABANDONED,
  TH_ACTIVE,
  TH_DEFER_COUNT,
  TH_DEFER_HEAD,
  TH_DEFER_TAIL,
  TH_DELAYED,
  TH_FREE,
  TH_QSBR_SEQ,
  TH_SEALED,
  TH_STATE,
  TH_USEDPOOLS,
  usedpoolsHead,
  type HeapState,
} from './state.ts';

type Err = (msg: string) => void;
type Field = (off: number) => number;

/** Where a pool is linked: which owner's ring (0: the shared rings), used (of class cls) or full. */
export interface RingEntry {
  owner: number;
  full: boolean;
  cls: number;
}

/** Walk one ring; record its pools in `rings`. */
function walkRing(
  st: HeapState,
  head: number,
  entry: RingEntry,
  name: string,
  rings: Map<number, RingEntry>,
  err: Err,
  f: Field,
): void {
  let prev = head;
  let steps = 0;
  for (let pool = f(head + POOL_NEXTPOOL); pool !== head; pool = f(pool + POOL_NEXTPOOL)) {
    if (++steps > st.maxSlots * st.poolsInArena + 1 || rings.has(pool)) {
      err(`${name} has a cycle or a pool in two rings (pool ${pool})`);
      return;
    }
    rings.set(pool, entry);
    if (f(pool + POOL_PREVPOOL) !== prev) err(`${name}: pool ${pool} prevpool ${f(pool + POOL_PREVPOOL)} != ${prev}`);
    if (!entry.full && f(pool + POOL_SZIDX) !== entry.cls) err(`${name}: pool ${pool} has szidx ${f(pool + POOL_SZIDX)}`);
    prev = pool;
  }
  if (f(head + POOL_PREVPOOL) !== prev) err(`${name}: head prevpool ${f(head + POOL_PREVPOOL)} != last pool ${prev}`);
}

/** Every ring of the heap: the shared ones (and `usedpools` if a handle uses others), each record's. */
export function collectRings(st: HeapState, usedpools: number, err: Err, f: Field): Map<number, RingEntry> {
  const rings = new Map<number, RingEntry>();
  const sets = usedpools === st.usedpoolsShared ? [st.usedpoolsShared] : [st.usedpoolsShared, usedpools];
  for (const set of sets) {
    for (let c = 0; c < st.nbClasses; c++) walkRing(st, usedpoolsHead(set, c), { owner: 0, full: false, cls: c }, `usedpools[${c}]`, rings, err, f);
  }
  for (let r = 0; r < st.maxThreads; r++) {
    const rec = st.threadHeap(r);
    walkRing(st, fullRingHead(rec), { owner: r + 1, full: true, cls: -1 }, `thread ${r} full ring`, rings, err, f);
    for (let c = 0; c < st.nbClasses; c++) {
      walkRing(st, usedpoolsHead(rec + TH_USEDPOOLS, c), { owner: r + 1, full: false, cls: c }, `thread ${r} usedpools[${c}]`, rings, err, f);
    }
  }
  for (let c = 0; c < st.nbClasses; c++) {
    const head = usedpoolsHead(st.nullRings, c);
    if (f(head + POOL_NEXTPOOL) !== head || f(head + POOL_PREVPOOL) !== head) err(`null ring ${c} is not empty`);
  }
  return rings;
}

/** The blocks on every record's delayed_free list: block -> record index. */
export function collectDelayed(st: HeapState, err: Err, f: Field): Map<number, number> {
  const delayed = new Map<number, number>();
  const limit = st.slotSpace >> st.alignShift;
  for (let r = 0; r < st.maxThreads; r++) {
    for (let b = f(st.threadHeap(r) + TH_DELAYED); b !== 0 && b !== TH_SEALED; b = f(b)) {
      if (delayed.has(b) || delayed.size > limit) {
        err(`thread ${r} delayed_free list: block ${b} twice (or a cycle)`);
        break;
      }
      const d = b - st.slotsOff;
      if (d < 0 || d >= st.slotSpace || (b & st.alignMask) !== 0) {
        err(`thread ${r} delayed_free list holds ${b}, not a block`);
        break;
      }
      delayed.set(b, r);
    }
  }
  return delayed;
}

/** The pending blocks of used or full pool `pool` (its thread-free list plus delayed ones), checked. */
export function verifyPending(
  st: HeapState,
  pool: number,
  size: number,
  nextoffset: number,
  xthread: number,
  flags: number,
  delayedHere: number[],
  err: Err,
  f: Field,
): Set<number> {
  const pending = new Set<number>();
  const numblocks = st.numblocks(f(pool + POOL_SZIDX));
  const check = (b: number, where: string): boolean => {
    const off = b - pool - st.poolOverhead;
    if ((b & st.poolMask) !== pool || off < 0 || off % size !== 0 || b >= pool + nextoffset) {
      err(`pool ${pool}: ${where} holds ${b}, not a carved block of it`);
      return false;
    }
    if (pending.has(b)) {
      err(`pool ${pool}: block ${b} pending twice (${where})`);
      return false;
    }
    pending.add(b);
    if (!st.liveBit(b) || !st.pendingBit(b)) err(`pool ${pool}: pending block ${b} (${where}) has live bit ${st.liveBit(b)}, pending bit ${st.pendingBit(b)}`);
    return true;
  };
  for (let b = xthread; b !== 0; b = f(b)) {
    if (pending.size > numblocks || !check(b, 'thread-free list')) break;
  }
  if (xthread !== 0 && flags !== 0) err(`pool ${pool}: non-empty thread-free list with flags ${flags}`);
  for (const b of delayedHere) check(b, 'a delayed_free list');
  return pending;
}

/** The thread heap records and their deferred-free queues. Returns the blocks queued for deferred free. */
export function verifyThreadRecords(st: HeapState, owners: Set<number>, err: Err, f: Field): Set<number> {
  let abandoned = 0;
  const deferred = new Set<number>();
  const chunkBytes = deferChunkBytes(st);
  const cap = deferChunkEntries(st);
  for (let r = 0; r < st.maxThreads; r++) {
    const rec = st.threadHeap(r);
    const state = f(rec + TH_STATE);
    const seq = f(rec + TH_QSBR_SEQ);
    if (state === TH_ABANDONED) abandoned++;
    if (state === TH_FREE) {
      if (owners.has(r + 1)) err(`thread ${r}'s record is FREE but owns pools`);
      if (f(rec + TH_DELAYED) !== TH_SEALED) err(`thread ${r}'s record is FREE but its delayed_free list is ${f(rec + TH_DELAYED)}`);
      if (f(rec + TH_DEFER_HEAD) !== 0 || f(rec + TH_DEFER_COUNT) !== 0) err(`thread ${r}'s record is FREE but has deferred frees`);
      if (seq !== QSBR_OFFLINE) err(`thread ${r}'s record is FREE but online (read sequence ${seq})`);
    } else if (state === TH_ABANDONED) {
      if (seq !== QSBR_OFFLINE) err(`thread ${r}'s record is ABANDONED but online (read sequence ${seq})`);
    } else if (state !== TH_ACTIVE) err(`thread ${r}'s record in state ${state}`);
    if (f(rec + TH_DELAYED) === TH_SEALED && state !== TH_FREE) err(`thread ${r}'s record is in state ${state} with a sealed delayed_free list`);
    verifyQueue(st, r, rec, chunkBytes, cap, deferred, err, f);
  }
  if (f(st.base + S_ABANDONED) !== abandoned) err(`S_ABANDONED is ${f(st.base + S_ABANDONED)}, ${abandoned} records are ABANDONED`);
  return deferred;
}

function verifyQueue(
  st: HeapState,
  r: number,
  rec: number,
  chunkBytes: number,
  cap: number,
  deferred: Set<number>,
  err: Err,
  f: Field,
): void {
  const head = f(rec + TH_DEFER_HEAD);
  const tail = f(rec + TH_DEFER_TAIL);
  if ((head === 0) !== (tail === 0)) err(`thread ${r}: deferred queue head ${head}, tail ${tail}`);
  let last = 0;
  let chunks = 0;
  for (let c = head; c !== 0; c = f(c + DC_NEXT)) {
    if (++chunks > st.slotSpace >> st.alignShift) {
      err(`thread ${r}: deferred queue has a cycle`);
      return;
    }
    if (!st.isLive(c)) err(`thread ${r}: deferred chunk ${c} is not a live block`);
    else if (usableSize(st, c) < chunkBytes) err(`thread ${r}: deferred chunk ${c} holds ${usableSize(st, c)} bytes, not ${chunkBytes}`);
    const rd = f(c + DC_RD);
    const wr = f(c + DC_WR);
    if (!(rd >= 0 && rd <= wr && wr <= cap)) {
      err(`thread ${r}: deferred chunk ${c} has rd ${rd}, wr ${wr} (capacity ${cap})`);
      return;
    }
    last = c;
  }
  if (last !== tail) err(`thread ${r}: deferred queue tail ${tail}, last chunk ${last}`);
  let n = 0;
  forEachDeferred(st, rec, (p) => {
    n++;
    if (deferred.has(p)) err(`block ${p} queued for deferred free twice`);
    deferred.add(p);
    if (!st.isLive(p)) err(`thread ${r}: block ${p} queued for deferred free is not live`);
  });
  if (n !== f(rec + TH_DEFER_COUNT)) err(`thread ${r}: ${n} deferred frees queued, the count says ${f(rec + TH_DEFER_COUNT)}`);
}

function usableSize(st: HeapState, p: number): number {
  return slotKindAt(st, p) > 0 ? pymallocBlockSize(st, p) : rawUsableSize(st, p);
}

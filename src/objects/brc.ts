/*
 * Thread records: who runs in each thread slot, and the queues that reach it.
 * ===========================================================================
 *
 * Biased reference counting (refcount/biased.ts) needs to name an object's owner and to hand
 * it objects ("merge this one, its shared count went below zero"); finalizers and weakref
 * callbacks, which are JS functions living in the table of the thread that registered them,
 * need to reach that thread too (pending.ts). Both go through one THREAD RECORD per thread slot,
 * in a block of the heap made when the runtime is created (its offset in RS_THREAD_RECORDS):
 *
 *   record r (thread slot r), one 64-byte line:
 *   +0   TR_BRC_HEAD   the biased-refcount queue: a stack of nodes pushed by any thread with
 *                      a compareExchange, taken whole by the owner with one exchange (Python/brc.c
 *                      keeps an array under a mutex; a lock-free stack fits the buffer better).
 *                      CLOSED (-1) while no thread runs in the slot.
 *   +4   TR_IDENT      the ident of the thread running in the slot, 0 when none
 *   +8   TR_GEN        how many threads have run in the slot (the ident's generation)
 *   +12  TR_CALLS      the pending-calls stack (pending.ts), same protocol, CLOSED when none
 *   +16  TR_QUEUED     objects queued to this slot's threads (statistics, Atomics.add)
 *   +20  TR_MERGED     objects those threads merged from their queues
 *   +24  TR_ORPHANED   objects whose owner had exited, merged by the thread that dropped them
 *   +28  TR_CALLS_RUN  pending calls run
 *   +32  the young GC ring of ring number r + 1 (free-threaded): its head (16 bytes), its lock
 *        and its contention counter, up to +56 (objects/gc-lists.ts: TR_YOUNG_*)
 *   then WEAKREF_LOCKS words: the striped locks of the weakref lists (weakref.ts), after the
 *   records; then ONLINE_WORD on a line of its own: how many threads are attached (free-threaded
 *   runtimes count it, runtime.ts). A thread that frees an object while it is the only one
 *   attached frees it at once: nobody else can be reading it, QSBR has nothing to wait for.
 *
 * A thread's IDENT is gen * maxThreads + slot + 1: unique for the life of the runtime (a slot is
 * reused, its ident is not), so an object owned by a thread that exited is never mistaken for an
 * object of the slot's next thread. ob_tid holds the ident; (ident - 1) % maxThreads is the slot.
 *
 * A node is a 16-byte pymalloc block: | next | object | kind | - |. The pusher allocates it from
 * its own heap, the popping thread frees it (a cross-thread free under thread heaps).
 *
 * Queueing an object (BrcQueue.queue): read the head; if the slot is CLOSED or runs a thread with
 * another ident, the owner is gone: merge here, with _Py_ExplicitMergeRefcount(-1) (no one else
 * can touch the local count any more). Otherwise push, count, and set MERGE_REFCOUNTS in the
 * owner's eval breaker (through `space.notifyThread`). The owner merges the whole stack at its
 * next poll (`mergeQueued`).
 *
 * Leaving (`closeThreadRecord`, at thread exit): run pending calls, merge the queue, give up
 * ownership (the strategy's owner id becomes 0: no more local count changes by this thread),
 * clear the ident, then swap CLOSED in and merge what was pushed meanwhile. A pusher that lost
 * the race finds CLOSED or another ident and merges the object itself. Objects the exiting thread
 * still owns keep its ident in ob_tid and their local count; the first decref that would queue
 * one merges it instead (so they are freed when their count reaches zero, never leaked).
 */

import { dropCallList, runCallList, runPendingCalls } from './pending.ts';
import type { ObjectSpace } from './space.ts';
import { RS_THREAD_RECORDS } from './statics.ts';
import type { BiasedRefcount } from './refcount/biased.ts';

export const TR_BRC_HEAD = 0;
export const TR_IDENT = 4;
export const TR_GEN = 8;
export const TR_CALLS = 12;
export const TR_QUEUED = 16;
export const TR_MERGED = 20;
export const TR_ORPHANED = 24;
export const TR_CALLS_RUN = 28;
export const THREAD_RECORD_BYTES = 64;
/** the striped locks of the weakref lists (CPython: NUM_WEAKREF_LIST_LOCKS, 127; ours is small) */
export const WEAKREF_LOCKS = 16;
/** head value of a queue whose slot runs no thread */
export const CLOSED = -1;

/* a node: | next | object | kind | - | */
export const NODE_NEXT = 0;
export const NODE_OBJECT = 4;
export const NODE_KIND = 8;
export const NODE_BYTES = 16;

/** The online count's line, after the records and the weakref locks. */
const ONLINE_LINE_BYTES = 64;

function onlineOffset(maxThreads: number): number {
  return maxThreads * THREAD_RECORD_BYTES + WEAKREF_LOCKS * 4;
}

/** Bytes of the records block for `maxThreads` slots. */
export function threadRecordsBytes(maxThreads: number): number {
  return onlineOffset(maxThreads) + ONLINE_LINE_BYTES;
}

/** Word index of the count of attached threads. */
export function onlineWord(s: ObjectSpace): number {
  return (s.records + onlineOffset(s.layout.maxThreads)) >> 2;
}

/** Creator: allocate and initialise the records (every slot CLOSED). */
export function initThreadRecords(s: ObjectSpace): void {
  const n = s.layout.maxThreads;
  const bytes = threadRecordsBytes(n);
  const p = s.mallocRaw(bytes);
  s.u8.fill(0, p, p + bytes);
  for (let r = 0; r < n; r++) {
    const rec = p + r * THREAD_RECORD_BYTES;
    s.i32[(rec + TR_BRC_HEAD) >> 2] = CLOSED;
    s.i32[(rec + TR_CALLS) >> 2] = CLOSED;
  }
  Atomics.store(s.i32, (s.layout.runtimeOff + RS_THREAD_RECORDS) >> 2, p);
}

/** Offset of the records block (0 in a buffer made before thread records existed). */
export function threadRecordsAt(s: ObjectSpace): number {
  return Atomics.load(s.i32, (s.layout.runtimeOff + RS_THREAD_RECORDS) >> 2);
}

export function recordOf(s: ObjectSpace, slot: number): number {
  return s.records + slot * THREAD_RECORD_BYTES;
}

/** The slot of the thread with this ident. */
export function slotOfIdent(s: ObjectSpace, ident: number): number {
  return (ident - 1) % s.layout.maxThreads;
}

/** Word index of field `f` of slot `slot`'s record. */
export function recWord(s: ObjectSpace, slot: number, f: number): number {
  return (recordOf(s, slot) + f) >> 2;
}

/** Word index of weakref lock k (0..WEAKREF_LOCKS-1). */
export function weakrefLockWord(s: ObjectSpace, k: number): number {
  return (s.records + s.layout.maxThreads * THREAD_RECORD_BYTES + 4 * k) >> 2;
}

/* ================= a thread enters and leaves its slot ================= */

/** The largest generation that keeps every ident within an Int32. */
function maxGen(s: ObjectSpace): number {
  return Math.floor((2 ** 31 - 1 - s.layout.maxThreads) / s.layout.maxThreads);
}

/**
 * A Python thread starts in `slot` on this JS thread: give it a fresh ident, open its queues.
 * Returns the ident.
 */
export function openThreadRecord(s: ObjectSpace, slot: number): number {
  const i32 = s.i32;
  const gen = Atomics.add(i32, recWord(s, slot, TR_GEN), 1) % maxGen(s);
  const ident = gen * s.layout.maxThreads + slot + 1;
  Atomics.store(i32, recWord(s, slot, TR_IDENT), ident);
  // a record left open by a thread that never closed it (its worker died): merge what it held
  const stale = Atomics.exchange(i32, recWord(s, slot, TR_BRC_HEAD), 0);
  if (stale !== CLOSED && stale !== 0) mergeList(s, stale);
  const calls = Atomics.exchange(i32, recWord(s, slot, TR_CALLS), 0);
  if (calls !== CLOSED && calls !== 0) dropCallList(s, calls);
  return ident;
}

/** The thread in `slot` ends (see the essay): after this, nothing reaches it any more. */
export function closeThreadRecord(s: ObjectSpace, slot: number): void {
  const i32 = s.i32;
  runPendingCalls(s, slot);
  mergeQueued(s, slot);
  s.rc.setOwner(0);
  Atomics.store(i32, recWord(s, slot, TR_IDENT), 0);
  const rest = Atomics.exchange(i32, recWord(s, slot, TR_BRC_HEAD), CLOSED);
  if (rest !== 0 && rest !== CLOSED) mergeList(s, rest);
  const calls = Atomics.exchange(s.i32, recWord(s, slot, TR_CALLS), CLOSED);
  if (calls !== 0 && calls !== CLOSED) runCallList(s, slot, calls);
}

/* ================= the biased-refcount queue ================= */

/**
 * BrcQueue.queue: o's shared word was just set to QUEUED by a thread that does not own it.
 * Push it to its owner, or merge it here when the owner is gone (true: deallocate it).
 */
export function queueToOwner(s: ObjectSpace, rc: BiasedRefcount, o: number, owner: number): boolean {
  const slot = slotOfIdent(s, owner);
  const node = s.heap.malloc(NODE_BYTES);
  if (node + NODE_BYTES > s.viewBytes) s.sync();
  const i32 = s.i32;
  const head = recWord(s, slot, TR_BRC_HEAD);
  const ident = recWord(s, slot, TR_IDENT);
  i32[(node + NODE_OBJECT) >> 2] = o;
  i32[(node + NODE_KIND) >> 2] = 0;
  for (;;) {
    const h = Atomics.load(i32, head);
    if (h === CLOSED || Atomics.load(i32, ident) !== owner) {
      s.heap.free(node);
      Atomics.add(i32, recWord(s, slot, TR_ORPHANED), 1);
      return rc.explicitMerge(o, -1) === 0;
    }
    i32[(node + NODE_NEXT) >> 2] = h;
    if (Atomics.compareExchange(i32, head, h, node) === h) break;
  }
  Atomics.add(i32, recWord(s, slot, TR_QUEUED), 1);
  s.notifyThread(slot, MERGE_REFCOUNTS);
  return false;
}

/** The eval-breaker request "merge your queued refcounts" (runtime.ts gives it a breaker bit). */
export const MERGE_REFCOUNTS = 1;
/** The eval-breaker request "run your pending calls". */
export const PENDING_CALLS = 2;

/**
 * _Py_brc_merge_refcounts: the owner (in `slot`) takes its whole queue and merges each object,
 * dropping the reference the queue held; objects that reach zero are deallocated. Returns how
 * many it merged.
 */
export function mergeQueued(s: ObjectSpace, slot: number): number {
  const word = recWord(s, slot, TR_BRC_HEAD);
  // only the owner closes its queue, and the owner is the caller: the load cannot go stale
  const seen = Atomics.load(s.i32, word);
  if (seen === 0 || seen === CLOSED) return 0;
  const h = Atomics.exchange(s.i32, word, 0);
  const n = mergeList(s, h);
  Atomics.add(s.i32, recWord(s, slot, TR_MERGED), n);
  return n;
}

function mergeList(s: ObjectSpace, first: number): number {
  const rc = s.rc as BiasedRefcount;
  let n = 0;
  for (let node = first; node !== 0; ) {
    if (node + NODE_BYTES > s.viewBytes) s.sync(); // pushed by a thread that grew the buffer
    const i32 = s.i32;
    const next = i32[(node + NODE_NEXT) >> 2]!;
    const o = i32[(node + NODE_OBJECT) >> 2]!;
    s.heap.free(node);
    if (o >= s.viewBytes) s.sync();
    if (rc.explicitMerge(o, -1) === 0) s.dealloc(o);
    n++;
    node = next;
  }
  return n;
}

/** What the records say about biased refcounting, summed over the slots. */
export interface BrcStats {
  queued: number;
  merged: number;
  orphaned: number;
  callsRun: number;
}

export function brcStats(s: ObjectSpace): BrcStats {
  const out: BrcStats = { queued: 0, merged: 0, orphaned: 0, callsRun: 0 };
  if (s.records === 0) return out;
  for (let r = 0; r < s.layout.maxThreads; r++) {
    out.queued += Atomics.load(s.i32, recWord(s, r, TR_QUEUED));
    out.merged += Atomics.load(s.i32, recWord(s, r, TR_MERGED));
    out.orphaned += Atomics.load(s.i32, recWord(s, r, TR_ORPHANED));
    out.callsRun += Atomics.load(s.i32, recWord(s, r, TR_CALLS_RUN));
  }
  return out;
}

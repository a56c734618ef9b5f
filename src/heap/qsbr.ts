/*
 * QSBR: freeing a block only once no thread can still be reading it.
 * ====================================================================
 *
 * Without a GIL a thread may read an object (say, an item of a list, to incref it) while another
 * thread drops the last reference and frees it. CPython 3.13t makes such reads safe with
 * quiescent-state-based reclamation (Python/qsbr.c, after FreeBSD's GUS): memory that readers
 * may still hold is not reused until every thread has passed a quiescent point, a moment where
 * it holds no reference it read before (the eval breaker's polls, in CPython).
 *
 *   write sequence   S_QSBR_WR_SEQ, shared, odd, advanced by QSBR_INCR.
 *   read sequence    per thread (TH_QSBR_SEQ, its own cache line): at each quiescent point the
 *                    thread copies the write sequence there. QSBR_OFFLINE (0) while the thread
 *                    is detached or gone: it reads nothing, so it holds back nobody.
 *   goal             freeDeferred(p) tags p with the next sequence, current + QSBR_INCR (and
 *                    advances the write sequence itself every QSBR_DEFERRED_LIMIT deferrals, so
 *                    the shared word is not written on every call). p may be reused once every
 *                    online thread's read sequence has reached the goal: each has then passed a
 *                    quiescent point after the free.
 *
 * The deferred blocks wait in the thread's queue, in the buffer (so that an abandoned thread's
 * queue is adopted like its pools, and the verifier sees it): a list of chunks, each a pymalloc
 * block of SMALL_REQUEST_THRESHOLD bytes taken from the thread's own heap, holding (block, goal)
 * pairs in order. The freed block itself is not touched until it is really freed (a reader may
 * still be looking at it). The queue is processed at quiescent() and whenever a chunk fills:
 * every entry whose goal the slowest online thread has reached is freed (oldest first).
 * `S_QSBR_RD_MIN` caches the last minimum computed, so that most polls read one word.
 *
 *   chunk:  | next | rd | wr | - | p0 goal0 | p1 goal1 | ...      (DEFER_CHUNK_ENTRIES pairs)
 *
 * Sequences are Int32 and compared modulo 2^32 (a goal is always within 2^31 of the minimum).
 * Everything here is optional: the object layer decides which frees must be deferred.
 */

import {
  QSBR_INCR,
  QSBR_OFFLINE,
  S_QSBR_RD_MIN,
  S_QSBR_WR_SEQ,
  TH_ACTIVE,
  TH_DEFER_COUNT,
  TH_DEFER_HEAD,
  TH_DEFER_TAIL,
  TH_DEFERRALS,
  TH_QSBR_SEQ,
  TH_STATE,
  type HeapState,
} from './state.ts';
import type { ThreadHeap } from './thread-heap.ts';

/** Deferrals a thread makes before it advances the shared write sequence (CPython's value). */
export const QSBR_DEFERRED_LIMIT = 10;

/* The chunk header (byte offsets in a chunk). */
export const DC_NEXT = 0;
export const DC_RD = 4;
export const DC_WR = 8;
export const DC_ENTRIES = 16;
/** bytes per entry: the block, its goal */
export const DC_ENTRY_BYTES = 8;

/** Bytes of a chunk (the largest pymalloc block) and the entries it holds. */
export function deferChunkBytes(st: HeapState): number {
  return st.smallThreshold;
}
export function deferChunkEntries(st: HeapState): number {
  return (deferChunkBytes(st) - DC_ENTRIES) / DC_ENTRY_BYTES;
}

/** a is at or past b, modulo 2^32 */
export function seqGE(a: number, b: number): boolean {
  return ((a - b) | 0) >= 0;
}

const wrWord = (st: HeapState): number => (st.base + S_QSBR_WR_SEQ) >> 2;
const rdMinWord = (st: HeapState): number => (st.base + S_QSBR_RD_MIN) >> 2;
const word = (th: ThreadHeap, f: number): number => (th.rec + f) >> 2;

/**
 * A quiescent point: publish the write sequence as ours, then free what is due. The write
 * sequence may be read plainly (a stale value only holds others back a little longer); the store
 * must be atomic, so that no read of a shared object before it can be ordered after it.
 */
export function quiescent(th: ThreadHeap): void {
  Atomics.store(th.i32, word(th, TH_QSBR_SEQ), th.i32[wrWord(th)]);
  if (th.i32[word(th, TH_DEFER_COUNT)] !== 0) processDeferred(th);
}

export function qsbrOffline(th: ThreadHeap): void {
  Atomics.store(th.i32, word(th, TH_QSBR_SEQ), QSBR_OFFLINE);
}

export function qsbrOnline(th: ThreadHeap): void {
  Atomics.store(th.i32, word(th, TH_QSBR_SEQ), Atomics.load(th.i32, wrWord(th)));
}

/** Queue p to be freed once every thread now online has passed a quiescent point. */
export function freeDeferred(th: ThreadHeap, p: number): void {
  if (!th.isLive(p)) throw th.invalidFree(p, 'deferred free of');
  const goal = deferredAdvance(th);
  if (enqueue(th, p, goal)) processDeferred(th);
}

/** The goal for a block freed now (CPython's _Py_qsbr_deferred_advance). */
function deferredAdvance(th: ThreadHeap): number {
  const i32 = th.i32;
  const dw = word(th, TH_DEFERRALS);
  if (++i32[dw] < QSBR_DEFERRED_LIMIT) return (Atomics.load(i32, wrWord(th)) + QSBR_INCR) | 0;
  i32[dw] = 0;
  return (Atomics.add(i32, wrWord(th), QSBR_INCR) + QSBR_INCR) | 0;
}

/** Append (p, goal) to our queue. Returns true when a chunk just filled (time to process). */
function enqueue(th: ThreadHeap, p: number, goal: number): boolean {
  const cap = deferChunkEntries(th);
  let tail = th.i32[word(th, TH_DEFER_TAIL)];
  if (tail === 0 || th.i32[(tail + DC_WR) >> 2] === cap) tail = newChunk(th);
  const i32 = th.i32; // newChunk may have grown the buffer
  const wr = i32[(tail + DC_WR) >> 2];
  const e = tail + DC_ENTRIES + wr * DC_ENTRY_BYTES;
  i32[e >> 2] = p;
  i32[(e >> 2) + 1] = goal;
  i32[(tail + DC_WR) >> 2] = wr + 1;
  i32[word(th, TH_DEFER_COUNT)]++;
  return wr + 1 === cap;
}

function newChunk(th: ThreadHeap): number {
  const c = th.malloc(deferChunkBytes(th));
  const i32 = th.i32;
  // read the tail only now: malloc may have adopted an abandoned record, appending its queue
  const tail = i32[word(th, TH_DEFER_TAIL)];
  i32[(c + DC_NEXT) >> 2] = 0;
  i32[(c + DC_RD) >> 2] = 0;
  i32[(c + DC_WR) >> 2] = 0;
  if (tail === 0) i32[word(th, TH_DEFER_HEAD)] = c;
  else i32[(tail + DC_NEXT) >> 2] = c;
  i32[word(th, TH_DEFER_TAIL)] = c;
  return c;
}

/**
 * Free every queued block whose goal the slowest online thread has reached, oldest first; stop at
 * the first that is not due. If something stays queued past the write sequence, advance it, so
 * the goals are reached as soon as every thread passes its next quiescent point.
 */
export function processDeferred(th: ThreadHeap): number {
  let freed = 0;
  let min = Atomics.load(th.i32, rdMinWord(th));
  for (;;) {
    const head = th.i32[word(th, TH_DEFER_HEAD)];
    if (head === 0) break;
    const rd = th.i32[(head + DC_RD) >> 2];
    const wr = th.i32[(head + DC_WR) >> 2];
    if (rd === wr) {
      if (!dropHeadChunk(th, head)) break;
      continue;
    }
    const e = head + DC_ENTRIES + rd * DC_ENTRY_BYTES;
    const goal = th.i32[(e >> 2) + 1];
    if (!seqGE(min, goal)) {
      min = computeReadMin(th);
      if (!seqGE(min, goal)) {
        if (seqGE(goal, Atomics.load(th.i32, wrWord(th)))) Atomics.add(th.i32, wrWord(th), QSBR_INCR);
        break;
      }
    }
    const p = th.i32[e >> 2];
    th.i32[(head + DC_RD) >> 2] = rd + 1;
    th.i32[word(th, TH_DEFER_COUNT)]--;
    freed++;
    th.free(p);
  }
  return freed;
}

/** The head chunk is used up: unlink and free it. Returns true when another chunk follows. */
function dropHeadChunk(th: ThreadHeap, head: number): boolean {
  const i32 = th.i32;
  const next = i32[(head + DC_NEXT) >> 2];
  i32[word(th, TH_DEFER_HEAD)] = next;
  if (next === 0) i32[word(th, TH_DEFER_TAIL)] = 0;
  th.free(head);
  return next !== 0;
}

/** The smallest read sequence of the online threads (the write sequence if none), cached. */
export function computeReadMin(st: HeapState): number {
  const i32 = st.i32;
  let min = Atomics.load(i32, wrWord(st));
  for (let r = 0; r < st.maxThreads; r++) {
    const rec = st.threadHeap(r);
    const seq = Atomics.load(i32, (rec + TH_QSBR_SEQ) >> 2);
    if (seq !== QSBR_OFFLINE && Atomics.load(i32, (rec + TH_STATE) >> 2) === TH_ACTIVE && !seqGE(seq, min)) min = seq;
  }
  Atomics.store(i32, rdMinWord(st), min);
  return min;
}

/** Adopt the deferred queue of record `from` (abandon.ts): its chunks go after ours. */
export function appendDeferredQueue(th: ThreadHeap, from: number): void {
  const i32 = th.i32;
  const head = i32[(from + TH_DEFER_HEAD) >> 2];
  if (head === 0) return;
  const tail = i32[word(th, TH_DEFER_TAIL)];
  if (tail === 0) i32[word(th, TH_DEFER_HEAD)] = head;
  else i32[(tail + DC_NEXT) >> 2] = head;
  i32[word(th, TH_DEFER_TAIL)] = i32[(from + TH_DEFER_TAIL) >> 2];
  i32[word(th, TH_DEFER_COUNT)] += i32[(from + TH_DEFER_COUNT) >> 2];
}

/** Calls cb(p, goal) for every entry of record rec's deferred queue (verifier, stats). */
export function forEachDeferred(st: HeapState, rec: number, cb: (p: number, goal: number, chunk: number) => void): void {
  const i32 = st.i32;
  const limit = st.slotSpace >> st.alignShift;
  let n = 0;
  for (let c = i32[(rec + TH_DEFER_HEAD) >> 2]; c !== 0; c = i32[(c + DC_NEXT) >> 2]) {
    if (++n > limit) throw new Error('heap corrupt: a deferred-free queue has a cycle');
    const wr = i32[(c + DC_WR) >> 2];
    for (let k = i32[(c + DC_RD) >> 2]; k < wr; k++) {
      const e = c + DC_ENTRIES + k * DC_ENTRY_BYTES;
      cb(i32[e >> 2], i32[(e >> 2) + 1], c);
    }
  }
}

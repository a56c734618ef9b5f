/*
 * The generation lists: tracking containers for the cyclic GC (the collection itself is src/gc).
 * ===============================================================================================
 *
 * A container that the cyclic GC may have to look at is TRACKED: its GC header (the 16 bytes
 * before the object, see objects/header.ts) is linked into a doubly linked ring, one ring per
 * generation, exactly as CPython's `PyGC_Head` lists. Each ring is closed by a list head: a
 * 16-byte pseudo GC header in the GC STATE region whose gc_next/gc_prev point at the first and
 * last member (an empty ring's head points at itself). Links are byte offsets of GC headers.
 * gc_next == 0 means "not tracked" (`gc.is_tracked`), as `_PyObject_GC_IS_TRACKED`.
 *
 * New containers are appended to generation 0 (the tail, as `gc_list_append`). Generation 0's
 * count is the number of GC-type allocations minus deallocations since the last collection
 * (untracked dicts count too, as in CPython's gc_alloc / PyObject_GC_Del).
 *
 * The GC STATE region (layout.gcOff, GC_STATE_BYTES) starts with:
 *
 *   +0    line 0   list heads, 16 B each: generation 0 at +0, 1 at +16, 2 at +32, and the
 *                  permanent generation (gc.freeze) at +48. Word layout as a GC header:
 *                  +0 gc_next, +4 gc_prev, +8/+12 unused.
 *   +64   line 1   +64 count[0], +68 count[1], +72 count[2] (CPython's generations[i].count)
 *                  +76 threshold[0], +80 threshold[1], +84 threshold[2]
 *                  +88 enabled (1/0), +92 collecting (1/0)
 *                  +96 long_lived_total, +100 long_lived_pending
 *                  +104 list lock (0 free, 1 held, 2 contended: the heap's ArenaLock): taken
 *                       around link/unlink only when threads run without a GIL
 *                  +108 times the list lock was found taken
 *   +128  ...      free for src/gc: stats per generation, debug flags, the collection log.
 *
 * Every field on lines 0 and 1 is written by whichever thread allocates or frees containers;
 * under a GIL that is one thread at a time.
 *
 * YOUNG RINGS (free-threaded only). Without a GIL, one generation-0 ring would be one lock and
 * one list head that every thread writes at every container creation and dealloc: the cache
 * line bounces between cores and allocation stops scaling (measured: a tuples-only alloc-storm,
 * 2 threads, found the list lock taken 47-64 thousand times a run; with young rings, never).
 * CPython 3.13t has no generation lists at
 * all (its collector walks the mimalloc heaps) and counts allocations per thread. Here each
 * thread tracks new containers into a ring of its own, in its thread record (brc.ts, bytes
 * 32-63 of the record's line):
 *
 *   +32  TR_YOUNG_HEAD        a 16-byte pseudo GC header closing the ring (gc_next, gc_prev)
 *   +48  TR_YOUNG_LOCK        the ring's lock (the heap's ArenaLock: 0 free, 1 held, 2 contended)
 *   +52  TR_YOUNG_CONTENDED   times it was found taken
 *
 * Slot k tracks into ring 1 + k % GC_MAX_RINGS (the head in the record of slot ring-1), and the
 * ring number is kept in the object's gc_flags (bits 3-7) so that whichever thread untracks it
 * takes that ring's lock: its own, without contention, unless it frees another thread's young
 * object. Objects in the generations' rings have ring 0 and use the list lock. The young rings
 * are part of generation 0: a collection (and every gc function that walks or moves rings) runs
 * with the world stopped and first merges them into generation 0's ring (`mergeYoung`),
 * clearing each member's ring number. Generation 0's count is counted per thread and added to
 * count[0] every LOCAL_ALLOC_COUNT_THRESHOLD allocations or deallocations, as 3.13t does.
 *
 * No Node imports.
 */

import { ArenaLock } from '../heap/lock.ts';


export const NUM_GENERATIONS = 3;
/** thread record fields of the young rings (record layout: objects/brc.ts) */
export const TR_YOUNG_HEAD = 32;
export const TR_YOUNG_LOCK = 48;
export const TR_YOUNG_CONTENDED = 52;
/** CPython 3.13t's per-thread allocation count flushes at this many (Python/gc_free_threading.c) */
export const LOCAL_ALLOC_COUNT_THRESHOLD = 512;
/** list head offsets, relative to layout.gcOff */
export const GEN_HEAD_BYTES = 16;
export const GC_GEN0_HEAD = 0;
export const GC_PERMANENT_HEAD = NUM_GENERATIONS * GEN_HEAD_BYTES;
export const GC_COUNT0 = 64;
export const GC_THRESHOLD0 = GC_COUNT0 + 4 * NUM_GENERATIONS;
export const GC_ENABLED = GC_THRESHOLD0 + 4 * NUM_GENERATIONS;
export const GC_COLLECTING = GC_ENABLED + 4;
export const GC_LONG_LIVED_TOTAL = GC_COLLECTING + 4;
export const GC_LONG_LIVED_PENDING = GC_LONG_LIVED_TOTAL + 4;
export const GC_LIST_LOCK = GC_LONG_LIVED_PENDING + 4;
/** times a thread found the list lock taken (written under the lock) */
export const GC_LIST_LOCK_CONTENDED = GC_LIST_LOCK + 4;
/** first byte of the GC state left to src/gc */
export const GC_FREE_FOR_COLLECTOR = 128;

/*
 * Hot-path constants, repeated here as literals on purpose: V8 folds a module's own literal
 * constants into the machine code but loads (and TDZ-checks) an imported binding at every use,
 * about 0.4 ns each on these paths. test/objects/mirrors.test.ts checks every copy against its
 * definition.
 */
const GC_HEAD_BYTES = 16;
const W_NEXT = 0;
const W_PREV = 1;
const W_GC_FLAGS = 3;
const GC_RING_SHIFT = 3;
const GC_RING_MASK = 31 << 3;
const GC_MAX_RINGS = 31;
const THREAD_RECORD_BYTES = 64;
export const MIRRORS = { GC_HEAD_BYTES, W_NEXT, W_PREV, W_GC_FLAGS, GC_RING_SHIFT, GC_RING_MASK, GC_MAX_RINGS, THREAD_RECORD_BYTES };
/** [gc] words of a GC header (cover() makes sure all of them are in view) */
const GC_HEAD_WORDS = GC_HEAD_BYTES >> 2;

export class GcLists {
  // [perf-objects] `declare` fields, assigned in the constructor: V8 then tracks them as typed
  // (Smi, boolean, Int32Array) instead of "undefined first" untyped fields
  private declare i32: Int32Array;
  /** offset of the GC STATE region */
  declare readonly base: number;
  /** word indices of the hot fields (the object space's inlined fast paths use them too) */
  declare readonly wGen0: number;
  declare readonly wCount0: number;
  declare readonly wThreshold0: number;
  private declare readonly wEnabled: number;
  private declare readonly wCollecting: number;
  /** the list lock (GC_LIST_LOCK) */
  private declare readonly listLock: ArenaLock;
  /** take the list lock around link/unlink (threads without a GIL) */
  declare readonly locking: boolean;
  /** [young rings] the thread records block (0: no young rings, everything in generation 0) */
  private declare records: number;
  /** [young rings] how many rings (min(GC_MAX_RINGS, maxThreads)) */
  private declare nRings: number;
  /** [young rings] this thread's ring (1..nRings), 0 before a thread is bound */
  private declare ring: number;
  /** [young rings] byte offset of this thread's ring head (generation 0's head while ring is 0) */
  private declare ringHead: number;
  /** [young rings] the lock of each ring, index = ring number; [0] is the list lock */
  private declare locks: ArenaLock[];
  /** [young rings] this thread's allocations minus deallocations not yet added to count[0] */
  private declare localCount: number;

  constructor(i32: Int32Array, gcOff: number, locking: boolean) {
    this.i32 = i32;
    this.base = gcOff;
    this.wGen0 = (gcOff + GC_GEN0_HEAD) >> 2;
    this.wCount0 = (gcOff + GC_COUNT0) >> 2;
    this.wThreshold0 = (gcOff + GC_THRESHOLD0) >> 2;
    this.wEnabled = (gcOff + GC_ENABLED) >> 2;
    this.wCollecting = (gcOff + GC_COLLECTING) >> 2;
    // The heap's futex-style lock (0 free, 1 held, 2 contended): unlock notifies only when a
    // thread sleeps on it, and a taker that waits past its deadline gets a DeadlockError.
    this.listLock = new ArenaLock(this.i32, gcOff + GC_LIST_LOCK, gcOff + GC_LIST_LOCK_CONTENDED);
    this.locking = locking;
    this.records = 0;
    this.nRings = 0;
    this.ring = 0;
    this.ringHead = this.wGen0 << 2;
    this.locks = [this.listLock];
    this.localCount = 0;
  }

  /* ---- young rings (free-threaded) ---- */

  /**
   * Use the young rings in the thread records at `records` (every thread, once the records are
   * known; `init`: the creator, which makes them empty first). No-op with a GIL.
   */
  useRings(records: number, maxThreads: number, init: boolean): void {
    if (!this.locking || records === 0) return;
    this.records = records;
    this.nRings = Math.min(GC_MAX_RINGS, maxThreads);
    this.locks = [this.listLock];
    for (let r = 1; r <= this.nRings; r++) {
      const rec = records + (r - 1) * THREAD_RECORD_BYTES;
      if (init) this.listInit(rec + TR_YOUNG_HEAD);
      this.locks.push(new ArenaLock(this.i32, rec + TR_YOUNG_LOCK, rec + TR_YOUNG_CONTENDED));
    }
  }

  /** A Python thread runs in `slot` on this JS thread: track into its ring from now on. */
  bindSlot(slot: number): void {
    if (this.nRings === 0) return;
    this.ring = 1 + (slot % this.nRings);
    this.ringHead = this.records + (this.ring - 1) * THREAD_RECORD_BYTES + TR_YOUNG_HEAD;
  }

  /** The thread left its slot: add its pending count, track into generation 0 again. */
  unbindSlot(): void {
    this.flushCount();
    this.ring = 0;
    this.ringHead = this.wGen0 << 2;
  }

  /** Heads of the young rings (empty with a GIL). */
  youngHeads(): number[] {
    const out: number[] = [];
    for (let r = 1; r <= this.nRings; r++) out.push(this.records + (r - 1) * THREAD_RECORD_BYTES + TR_YOUNG_HEAD);
    return out;
  }

  /** Every ring that belongs to generation g: its own, and for 0 the young rings too. */
  generationHeads(g: number): number[] {
    return g === 0 ? [this.head(0), ...this.youngHeads()] : [this.head(g)];
  }

  /** The ring number an object's gc_flags hold (0: a generation's ring, or untracked). */
  ringOf(o: number): number {
    return (this.i32[((o - GC_HEAD_BYTES) >> 2) + W_GC_FLAGS]! & GC_RING_MASK) >> GC_RING_SHIFT;
  }

  /**
   * World stopped (a collection, or a gc function that walks rings): move every young ring's
   * members to the tail of generation 0's ring, clearing their ring numbers.
   */
  mergeYoung(): void {
    if (this.nRings === 0) return;
    // [gc] every thread's objects are linked here, some made after this thread's views: take a
    // view of the whole buffer (the world is stopped, nobody grows it meanwhile)
    const sab = this.i32.buffer as SharedArrayBuffer;
    if (this.i32.length < sab.byteLength >> 2) this.i32 = new Int32Array(sab, 0, sab.byteLength >> 2);
    const gen0 = this.head(0);
    for (const head of this.youngHeads()) {
      if (this.listIsEmpty(head)) continue;
      for (let gc = this.first(head); gc !== head; gc = this.next(gc)) {
        const w = (gc >> 2) + W_GC_FLAGS;
        this.i32[w] = this.i32[w]! & ~GC_RING_MASK;
      }
      this.listMerge(head, gen0);
    }
  }

  /** Add this thread's pending allocation count to count[0]. */
  flushCount(): void {
    if (this.localCount === 0) return;
    this.addToCount(this.localCount);
    this.localCount = 0;
  }

  /** count[0] += delta, atomically, never below 0 (frees of objects counted before a collection). */
  private addToCount(delta: number): number {
    const i32 = this.i32;
    let c = Atomics.load(i32, this.wCount0);
    for (;;) {
      const next = Math.max(0, c + delta);
      const seen = Atomics.compareExchange(i32, this.wCount0, c, next);
      if (seen === c) return next;
      c = seen;
    }
  }

  /** New views after the buffer grew (ObjectSpace.sync). */
  setView(i32: Int32Array): void {
    this.i32 = i32;
  }

  /** Creator only: empty rings, thresholds, enabled. */
  init(thresholds: readonly [number, number, number]): void {
    for (let g = 0; g <= NUM_GENERATIONS; g++) this.listInit(this.head(g));
    for (let g = 0; g < NUM_GENERATIONS; g++) {
      this.i32[this.wCount0 + g] = 0;
      this.i32[this.wThreshold0 + g] = thresholds[g]!;
    }
    this.i32[this.wEnabled] = 1;
    this.i32[this.wCollecting] = 0;
  }

  /** Offset of generation g's list head (g = NUM_GENERATIONS: the permanent generation). */
  head(g: number): number {
    return this.base + GC_GEN0_HEAD + g * GEN_HEAD_BYTES;
  }

  /* ---- tracking (the hot path: every container creation and dealloc) ---- */

  /** PyObject_GC_Track: append o's GC header to generation 0. */
  track(o: number): void {
    if (this.locking) return this.trackLocked(o);
    const i32 = this.i32;
    const w = (o - GC_HEAD_BYTES) >> 2;
    const head = this.wGen0;
    const last = i32[head + W_PREV]!;
    const gc = o - GC_HEAD_BYTES;
    i32[w + W_PREV] = last;
    i32[w + W_NEXT] = head << 2;
    i32[(last >> 2) + W_NEXT] = gc;
    i32[head + W_PREV] = gc;
  }

  /** PyObject_GC_UnTrack: unlink o's GC header, marking it untracked. No-op when untracked. */
  untrack(o: number): void {
    if (this.locking) return this.untrackLocked(o);
    const i32 = this.i32;
    const w = (o - GC_HEAD_BYTES) >> 2;
    const next = i32[w + W_NEXT]!;
    if (next === 0) return;
    const prev = i32[w + W_PREV]!;
    i32[(prev >> 2) + W_NEXT] = next;
    i32[(next >> 2) + W_PREV] = prev;
    i32[w + W_NEXT] = 0;
    i32[w + W_PREV] = 0;
  }

  isTracked(o: number): boolean {
    return this.i32[((o - GC_HEAD_BYTES) >> 2) + W_NEXT] !== 0;
  }

  /**
   * A GC-type object was allocated (gc_alloc): count it. True when generation 0 is over its
   * threshold and a collection should start (enabled, threshold non-zero, none running).
   */
  countAlloc(): boolean {
    if (this.locking) return this.countAllocLocal();
    const i32 = this.i32;
    const c = i32[this.wCount0]! + 1;
    i32[this.wCount0] = c;
    const t = i32[this.wThreshold0]!;
    return c > t && t !== 0 && i32[this.wEnabled] !== 0 && i32[this.wCollecting] === 0;
  }

  /** A GC-type object was freed (PyObject_GC_Del). */
  countFree(): void {
    if (this.locking) return this.countFreeLocal();
    const c = this.i32[this.wCount0]!;
    if (c > 0) this.i32[this.wCount0] = c - 1;
  }

  /** Free-threaded gc_alloc: count per thread, add to count[0] every 512 (record_allocation). */
  private countAllocLocal(): boolean {
    if (++this.localCount < LOCAL_ALLOC_COUNT_THRESHOLD) return false;
    const c = this.addToCount(this.localCount);
    this.localCount = 0;
    const i32 = this.i32;
    const t = i32[this.wThreshold0]!;
    return c > t && t !== 0 && i32[this.wEnabled] !== 0 && Atomics.load(i32, this.wCollecting) === 0;
  }

  /** Free-threaded PyObject_GC_Del (record_deallocation); count[0] never goes below 0. */
  private countFreeLocal(): void {
    if (--this.localCount > -LOCAL_ALLOC_COUNT_THRESHOLD) return;
    this.addToCount(this.localCount);
    this.localCount = 0;
  }

  count(g: number): number {
    return this.i32[this.wCount0 + g]!;
  }

  setCount(g: number, n: number): void {
    this.i32[this.wCount0 + g] = n;
  }

  threshold(g: number): number {
    return this.i32[this.wThreshold0 + g]!;
  }

  setThreshold(g: number, n: number): void {
    this.i32[this.wThreshold0 + g] = n;
  }

  get enabled(): boolean {
    return this.i32[this.wEnabled] !== 0;
  }

  set enabled(on: boolean) {
    this.i32[this.wEnabled] = on ? 1 : 0;
  }

  get collecting(): boolean {
    return this.i32[this.wCollecting] !== 0;
  }

  set collecting(on: boolean) {
    this.i32[this.wCollecting] = on ? 1 : 0;
  }

  /* ---- generic ring operations on GC header offsets (for the collector) ---- */

  listInit(head: number): void {
    this.i32[(head >> 2) + W_NEXT] = head;
    this.i32[(head >> 2) + W_PREV] = head;
  }

  listIsEmpty(head: number): boolean {
    return this.i32[(head >> 2) + W_NEXT] === head;
  }

  /** first GC header of the ring (== head when empty) */
  first(head: number): number {
    return this.i32[(head >> 2) + W_NEXT]!;
  }

  next(gc: number): number {
    return this.i32[(gc >> 2) + W_NEXT]!;
  }

  prev(gc: number): number {
    return this.i32[(gc >> 2) + W_PREV]!;
  }

  /** Append GC header gc (not currently linked) at the tail of the ring at head. */
  listAppend(gc: number, head: number): void {
    const i32 = this.i32;
    const last = i32[(head >> 2) + W_PREV]!;
    i32[(gc >> 2) + W_PREV] = last;
    i32[(gc >> 2) + W_NEXT] = head;
    i32[(last >> 2) + W_NEXT] = gc;
    i32[(head >> 2) + W_PREV] = gc;
  }

  /** Unlink GC header gc from whatever ring holds it (it stays "tracked" only if relinked). */
  listRemove(gc: number): void {
    const i32 = this.i32;
    const next = i32[(gc >> 2) + W_NEXT]!;
    const prev = i32[(gc >> 2) + W_PREV]!;
    i32[(prev >> 2) + W_NEXT] = next;
    i32[(next >> 2) + W_PREV] = prev;
    i32[(gc >> 2) + W_NEXT] = 0;
    i32[(gc >> 2) + W_PREV] = 0;
  }

  /** Move gc from its ring to the tail of the ring at head (gc_list_move). */
  listMove(gc: number, head: number): void {
    this.listRemove(gc);
    this.listAppend(gc, head);
  }

  /** Append every member of ring `from` to ring `to`; `from` becomes empty (gc_list_merge). */
  listMerge(from: number, to: number): void {
    if (this.listIsEmpty(from)) return;
    const i32 = this.i32;
    const toLast = i32[(to >> 2) + W_PREV]!;
    const fFirst = i32[(from >> 2) + W_NEXT]!;
    const fLast = i32[(from >> 2) + W_PREV]!;
    i32[(toLast >> 2) + W_NEXT] = fFirst;
    i32[(fFirst >> 2) + W_PREV] = toLast;
    i32[(fLast >> 2) + W_NEXT] = to;
    i32[(to >> 2) + W_PREV] = fLast;
    this.listInit(from);
  }

  listSize(head: number): number {
    let n = 0;
    for (let gc = this.first(head); gc !== head; gc = this.next(gc)) n++;
    return n;
  }

  /** Call fn with each OBJECT (not GC header) offset of the ring; fn must not unlink others. */
  forEachObject(head: number, fn: (o: number) => void): void {
    for (let gc = this.first(head); gc !== head; ) {
      const nx = this.next(gc);
      fn(gc + GC_HEAD_BYTES);
      gc = nx;
    }
  }

  /* ---- slow paths: the list lock, only when threads run without a GIL ---- */

  private trackLocked(o: number): void {
    const ring = this.ring;
    const head = this.ringHead;
    const lock = this.locks[ring]!;
    lock.lock();
    try {
      const gc = o - GC_HEAD_BYTES;
      this.cover(gc); // [gc] see cover()
      this.cover(this.i32[(head >> 2) + W_PREV]!);
      this.listAppend(gc, head);
      // atomic: the word also holds the object's lock, which another thread may be changing
      if (ring !== 0) Atomics.or(this.i32, (gc >> 2) + W_GC_FLAGS, ring << GC_RING_SHIFT);
    } finally {
      lock.unlock();
    }
  }

  private untrackLocked(o: number): void {
    const gc = o - GC_HEAD_BYTES;
    this.cover(gc); // [gc] see cover()
    // Only the thread that owns o (creating or deallocating it) tracks or untracks it, so its
    // ring number cannot change under us; the ring's lock orders us against its neighbours.
    const ring = this.ringOf(o);
    const lock = this.locks[ring] ?? this.listLock;
    lock.lock();
    try {
      if (this.isTracked(o)) {
        this.cover(this.i32[(gc >> 2) + W_NEXT]!);
        this.cover(this.i32[(gc >> 2) + W_PREV]!);
        this.listRemove(gc);
        if (ring !== 0) Atomics.and(this.i32, (gc >> 2) + W_GC_FLAGS, ~GC_RING_MASK);
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * [gc] Without a GIL another thread may have grown the buffer and linked one of ITS new objects
   * into a ring since this thread last took its views. A store through a fixed-length view that
   * does not reach that neighbour is silently dropped (typed arrays ignore out-of-range writes),
   * which breaks the ring (found by test/gc/threads.test.ts: gen0's tail link lost, the list head
   * later merged into generation 1). Under the list lock, widen the view first when a neighbour
   * lies beyond it; the object space replaces it again at its next sync.
   */
  private cover(gc: number): void {
    if ((gc >> 2) + GC_HEAD_WORDS > this.i32.length) {
      const sab = this.i32.buffer as SharedArrayBuffer;
      this.i32 = new Int32Array(sab, 0, sab.byteLength >> 2);
    }
  }
}

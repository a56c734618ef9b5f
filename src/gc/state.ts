/*
 * The GC STATE region: every word the cyclic collector keeps in the shared buffer.
 * ================================================================================
 *
 * The region starts at `layout.gcOff` and is GC_STATE_BYTES (256 KiB) long. Lines 0 and 1 belong
 * to the generation lists (src/objects/gc-lists.ts, written by every thread that allocates or frees a
 * container); everything from byte 128 on belongs to the collector and is written only by the
 * thread that holds the `collecting` flag (gc-lists.ts line 1), one collection at a time. An all-zero
 * region past byte 128 is a valid initial state: nothing needs initialising but the lists.
 *
 *   byte     line   field                        meaning
 *   ------   ----   --------------------------   -----------------------------------------------
 *   +0       0      gen0 head (16 B)             ring of generation 0 (gc_next, gc_prev, -, -)
 *   +16             gen1 head                    ring of generation 1
 *   +32             gen2 head                    ring of generation 2 (the oldest)
 *   +48             permanent head               ring of gc.freeze()'s permanent generation
 *   +64      1      count[0..2]                  generations[i].count (gen0: container allocs
 *                                                minus frees; gen i>0: collections of gen i-1)
 *   +76             threshold[0..2]              generations[i].threshold
 *   +88             enabled                      gc.enable()/disable()
 *   +92             collecting                   1 while a collection runs (claimed by CAS)
 *   +96             long_lived_total             survivors of the last full collection
 *   +100            long_lived_pending           objects promoted into gen2 since then
 *   +104            list lock                    gc-lists.ts: link/unlink lock when there is no GIL
 *   +108            list lock contended count    gc-lists.ts
 *   +128     2      unreachable head (16 B)      move_unreachable's output (a temporary ring)
 *   +144            finalizers head              legacy-finalizer cycles and what they reach
 *   +160            wrcb_to_call head            reachable weakrefs whose callbacks must run
 *   +176            still_unreachable head       handle_resurrected_objects' output
 *   +192     3      seen head                    finalize_garbage's already-finalized ring
 *   +208            (spare list head)
 *   +256     4      debug                        gc.set_debug flags (DEBUG_* below)
 *   +260            garbage                      handle of the gc.garbage list (0 until made)
 *   +264            collector                    thread slot + 1 running the collection (0 none)
 *   +268            log count                    collections ever logged (the log is a ring)
 *   +272            stw collections              collections that stopped the world
 *   +276            (spare)
 *   +320     5-6    stats[g] (f64 x 3 per gen)   collections, collected, uncollectable of each
 *                                                generation (gc.get_stats), g = 0, 1, 2
 *   +392            examined total (f64)         objects examined by every collection
 *   +400            pause total (f64, ms)        sum of every collection's pause
 *   +408            pause max (f64, ms)
 *   +512     8..    LOG: LOG_RECORDS records of LOG_RECORD_BYTES, a ring indexed by
 *                   (log count mod LOG_RECORDS):
 *                     +0  began (f64, the shared clock's ms)   +8  pause (f64, ms)
 *                     +16 generation (i32)    +20 collected    +24 uncollectable
 *                     +28 examined: the objects update_refs visited
 *
 * The counts are doubles where a long run could pass 2^31; the per-record ones fit an i32. No
 * Node imports: the report reads this region through `readGcStats` (stats.ts).
 */

import { GC_STATE_BYTES } from '../heap/layout.ts';
import { GC_FREE_FOR_COLLECTOR, GEN_HEAD_BYTES, NUM_GENERATIONS } from '../objects/gc-lists.ts';

/* ---- temporary list heads (line 2 and 3) ---- */
export const GC_UNREACHABLE_HEAD = GC_FREE_FOR_COLLECTOR;
export const GC_FINALIZERS_HEAD = GC_UNREACHABLE_HEAD + GEN_HEAD_BYTES;
export const GC_WRCB_HEAD = GC_FINALIZERS_HEAD + GEN_HEAD_BYTES;
export const GC_STILL_UNREACHABLE_HEAD = GC_WRCB_HEAD + GEN_HEAD_BYTES;
export const GC_SEEN_HEAD = GC_STILL_UNREACHABLE_HEAD + GEN_HEAD_BYTES;

/* ---- control words (line 4) ---- */
export const GC_DEBUG = 256;
export const GC_GARBAGE = GC_DEBUG + 4;
export const GC_COLLECTOR = GC_GARBAGE + 4;
export const GC_LOG_COUNT = GC_COLLECTOR + 4;
export const GC_STW_COLLECTIONS = GC_LOG_COUNT + 4;

/* ---- statistics (lines 5-6), doubles ---- */
export const GC_STATS = 320;
/** doubles per generation in GC_STATS: collections, collected, uncollectable */
export const STAT_FIELDS = 3;
export const STAT_COLLECTIONS = 0;
export const STAT_COLLECTED = 1;
export const STAT_UNCOLLECTABLE = 2;
export const GC_EXAMINED_TOTAL = GC_STATS + 8 * STAT_FIELDS * NUM_GENERATIONS;
export const GC_PAUSE_TOTAL = GC_EXAMINED_TOTAL + 8;
export const GC_PAUSE_MAX = GC_PAUSE_TOTAL + 8;

/* ---- the collection log ---- */
export const GC_LOG = 512;
export const LOG_RECORD_BYTES = 32;
export const LOG_BEGAN = 0;
export const LOG_PAUSE = 8;
export const LOG_GENERATION = 16;
export const LOG_COLLECTED = 20;
export const LOG_UNCOLLECTABLE = 24;
export const LOG_EXAMINED = 28;
export const LOG_RECORDS = Math.floor((GC_STATE_BYTES - GC_LOG) / LOG_RECORD_BYTES);

/* ---- gc.set_debug flags (CPython's values) ---- */
export const DEBUG_STATS = 1;
export const DEBUG_COLLECTABLE = 2;
export const DEBUG_UNCOLLECTABLE = 4;
export const DEBUG_SAVEALL = 32;
export const DEBUG_LEAK = DEBUG_COLLECTABLE | DEBUG_UNCOLLECTABLE | DEBUG_SAVEALL;

/** One finished collection, as logged. */
export interface CollectionRecord {
  /** the shared clock (ms since the epoch) when it began */
  began: number;
  pauseMs: number;
  generation: number;
  collected: number;
  uncollectable: number;
  examined: number;
}

/** Word (Int32) index of a GC-state byte offset. */
export const gcWord = (gcOff: number, off: number): number => (gcOff + off) >> 2;
/** Float64 index of a GC-state byte offset (8-aligned: gcOff is a cache-line multiple). */
export const gcF64 = (gcOff: number, off: number): number => (gcOff + off) >> 3;

/** Float64 index of generation g's statistic `field`. */
export function statIndex(gcOff: number, g: number, field: number): number {
  return gcF64(gcOff, GC_STATS + 8 * (g * STAT_FIELDS + field));
}

/** Append one collection to the stats and the log (the collecting thread only). */
export function logCollection(i32: Int32Array, f64: Float64Array, gcOff: number, r: CollectionRecord): void {
  const g = r.generation;
  f64[statIndex(gcOff, g, STAT_COLLECTIONS)]! += 1;
  f64[statIndex(gcOff, g, STAT_COLLECTED)]! += r.collected;
  f64[statIndex(gcOff, g, STAT_UNCOLLECTABLE)]! += r.uncollectable;
  f64[gcF64(gcOff, GC_EXAMINED_TOTAL)]! += r.examined;
  f64[gcF64(gcOff, GC_PAUSE_TOTAL)]! += r.pauseMs;
  if (r.pauseMs > f64[gcF64(gcOff, GC_PAUSE_MAX)]!) f64[gcF64(gcOff, GC_PAUSE_MAX)] = r.pauseMs;
  const n = i32[gcWord(gcOff, GC_LOG_COUNT)]!;
  const rec = gcOff + GC_LOG + (n % LOG_RECORDS) * LOG_RECORD_BYTES;
  f64[(rec + LOG_BEGAN) >> 3] = r.began;
  f64[(rec + LOG_PAUSE) >> 3] = r.pauseMs;
  i32[(rec + LOG_GENERATION) >> 2] = g;
  i32[(rec + LOG_COLLECTED) >> 2] = r.collected;
  i32[(rec + LOG_UNCOLLECTABLE) >> 2] = r.uncollectable;
  i32[(rec + LOG_EXAMINED) >> 2] = r.examined;
  // publish last: a reader on another thread takes the count first, then the records below it
  Atomics.store(i32, gcWord(gcOff, GC_LOG_COUNT), n + 1);
}

/** The logged collections still in the ring, oldest first, and how many the ring overwrote. */
export function readLog(i32: Int32Array, f64: Float64Array, gcOff: number): { records: CollectionRecord[]; lost: number } {
  const n = Atomics.load(i32, gcWord(gcOff, GC_LOG_COUNT));
  const first = Math.max(0, n - LOG_RECORDS);
  const records: CollectionRecord[] = [];
  for (let k = first; k < n; k++) {
    const rec = gcOff + GC_LOG + (k % LOG_RECORDS) * LOG_RECORD_BYTES;
    records.push({
      began: f64[(rec + LOG_BEGAN) >> 3]!,
      pauseMs: f64[(rec + LOG_PAUSE) >> 3]!,
      generation: i32[(rec + LOG_GENERATION) >> 2]!,
      collected: i32[(rec + LOG_COLLECTED) >> 2]!,
      uncollectable: i32[(rec + LOG_UNCOLLECTABLE) >> 2]!,
      examined: i32[(rec + LOG_EXAMINED) >> 2]!,
    });
  }
  return { records, lost: first };
}

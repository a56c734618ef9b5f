/*
 * Reading the collector's record, for the report layer.
 *
 * Everything comes from the GC STATE region (state.ts), so any thread (the coordinator after or
 * during a run) can read it without the collector's help: per generation the collections,
 * collected and uncollectable counts (gc.get_stats), and the collection log with each pause.
 * The shape matches the scenario engine's `GcCounters` ({ generations, pausesMs }) and adds the
 * rest of the log.
 */

import type { Layout, Memory } from '../heap/layout.ts';
import { GC_LONG_LIVED_PENDING, GC_LONG_LIVED_TOTAL, NUM_GENERATIONS } from '../objects/gc-lists.ts';
import {
  GC_EXAMINED_TOTAL,
  GC_PAUSE_MAX,
  GC_PAUSE_TOTAL,
  GC_STW_COLLECTIONS,
  STAT_COLLECTED,
  STAT_COLLECTIONS,
  STAT_UNCOLLECTABLE,
  gcF64,
  gcWord,
  readLog,
  statIndex,
  type CollectionRecord,
} from './state.ts';

export interface GcGenerationStats {
  collections: number;
  collected: number;
  uncollectable: number;
}

export interface GcStats {
  /** one entry per generation, 0..2 */
  generations: GcGenerationStats[];
  /** every logged collection's pause, ms, oldest first (the log keeps the last LOG_RECORDS) */
  pausesMs: number[];
  /** the logged collections, oldest first */
  log: CollectionRecord[];
  /** collections older than the log's window (their pauses are in the totals only) */
  lost: number;
  collections: number;
  examinedTotal: number;
  pauseTotalMs: number;
  pauseMaxMs: number;
  pauseP50Ms: number;
  pauseP99Ms: number;
  /** collections that stopped the world (no GIL) */
  stopTheWorld: number;
  longLivedTotal: number;
  longLivedPending: number;
}

/** Nearest-rank percentile of `xs` (0 for an empty list). */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return 0;
  const sorted = [...xs].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

export function readGcStats(mem: Memory, layout: Layout): GcStats {
  const i32 = mem.i32;
  const f64 = mem.f64;
  const off = layout.gcOff;
  const generations: GcGenerationStats[] = [];
  let collections = 0;
  for (let g = 0; g < NUM_GENERATIONS; g++) {
    const c = f64[statIndex(off, g, STAT_COLLECTIONS)]!;
    collections += c;
    generations.push({
      collections: c,
      collected: f64[statIndex(off, g, STAT_COLLECTED)]!,
      uncollectable: f64[statIndex(off, g, STAT_UNCOLLECTABLE)]!,
    });
  }
  const { records, lost } = readLog(i32, f64, off);
  const pausesMs = records.map((r) => r.pauseMs);
  return {
    generations,
    pausesMs,
    log: records,
    lost,
    collections,
    examinedTotal: f64[gcF64(off, GC_EXAMINED_TOTAL)]!,
    pauseTotalMs: f64[gcF64(off, GC_PAUSE_TOTAL)]!,
    pauseMaxMs: f64[gcF64(off, GC_PAUSE_MAX)]!,
    pauseP50Ms: percentile(pausesMs, 50),
    pauseP99Ms: percentile(pausesMs, 99),
    stopTheWorld: i32[gcWord(off, GC_STW_COLLECTIONS)]!,
    longLivedTotal: i32[gcWord(off, GC_LONG_LIVED_TOTAL)]!,
    longLivedPending: i32[gcWord(off, GC_LONG_LIVED_PENDING)]!,
  };
}

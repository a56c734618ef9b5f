/*
 * RunResult: everything one run of a scenario measured, as plain data.
 *
 * The runner fills it from the runtime (thread metrics, timeline rings, allocator and collector
 * statistics); the reports (text tables, JSON, Chrome trace) are pure functions of it. So a
 * report can be tested on a RunResult written by hand, without starting a thread, and a result
 * saved as JSON carries everything but the timeline.
 *
 * Units: times in milliseconds unless the name says otherwise (`...Us` microseconds); timeline
 * timestamps are milliseconds since the run started (`RunResult.startedAt` is the absolute
 * origin, `performance.timeOrigin + performance.now()` of the coordinator).
 */

import type { SizeClassStats } from '../heap/stats.ts';
import type { GilPolicyName, RuntimeConfig } from '../runtime/config.ts';
import type { ParamValue } from './params.ts';

/** A scenario's own figure: flat, so a compare table can lay results side by side. */
export type ResultValue = number | string | boolean | null;
export type Results = Record<string, ResultValue>;

/** The configuration a run used: the resolved profile plus the run's own settings. */
export interface RunConfig extends RuntimeConfig {
  /** the buffer's maximum size in bytes */
  heapMaxBytes: number;
  seed: number;
}

/** One Python thread's share of the GIL (issue 6's JSON `threads[].gil`). */
export interface ThreadGil {
  /** times this thread took the GIL */
  acquisitions: number;
  /** total time spent waiting to take it */
  waitMs: number;
  /** total time holding it */
  holdMs: number;
  /** median and 99th percentile of single waits, microseconds */
  waitP50Us: number;
  waitP99Us: number;
  /** drop requests this thread made, while it waited, on the holder (new GIL) */
  dropRequests: number;
  /** releases this thread was made to do (drop requests honoured, check-interval releases) */
  forcedDrops: number;
}

export interface ThreadReport {
  name: string;
  /** the phase the thread ran in */
  phase: string;
  /** the scenario program it ran */
  program: string;
  /** wall time from the thread's start to its end */
  wallMs: number;
  bytecodes: number;
  gil: ThreadGil;
}

export interface GilSummary {
  policy: GilPolicyName;
  /** handoffs from one thread to another (`switch_number`) */
  switches: number;
  switchesPerSec: number;
  /** time the GIL was held / time at least one thread waited, over the span measured */
  heldMs: number;
  contendedMs: number;
  heldFraction: number;
  contendedFraction: number;
}

/** One row of `sys._debugmallocstats()`'s table (the allocator's own type). */
export type { SizeClassStats };

/** The allocator as `sys._debugmallocstats()` reports it. */
export interface HeapSummary {
  profile: '3.11' | 'legacy';
  smallRequestThreshold: number;
  numSizeClasses: number;
  poolSize: number;
  arenaSize: number;
  arenasAllocated: number;
  arenasReclaimed: number;
  arenasHighwater: number;
  arenasCurrent: number;
  bytesInAllocatedBlocks: number;
  bytesInAvailableBlocks: number;
  unusedPools: number;
  bytesLostToPoolHeaders: number;
  bytesLostToQuantization: number;
  bytesLostToArenaAlignment: number;
  /** bytes held by the raw allocator (requests over the small threshold) */
  rawBytesInUse: number;
  sizeClasses: SizeClassStats[];
}

export interface GcGeneration {
  collections: number;
  collected: number;
  uncollectable: number;
}

export interface GcPauses {
  count: number;
  totalMs: number;
  maxMs: number;
  p50Ms: number;
  p99Ms: number;
}

export interface GcSummary {
  generations: GcGeneration[];
  pauses: GcPauses;
}

/** What one phase measured. */
export interface PhaseReport {
  name: string;
  /** when the phase began, ms since the run started */
  startMs: number;
  wallMs: number;
  threads: string[];
  gil: GilSummary;
  heap: HeapSummary;
  gc: GcSummary;
}

/** A timeline event, from a thread's ring. `t` is ms since the run started. */
export type TimelineKind =
  | 'start' // the thread began (before it first asks for the GIL)
  | 'exit' // the thread ended
  | 'wait_begin' // began waiting for the GIL
  | 'wait_end' // stopped waiting (usually followed at once by take)
  | 'take' // took the GIL
  | 'drop' // released the GIL
  | 'blocked_begin' // began a blocking call (reason says which)
  | 'blocked_end'
  | 'gc_begin' // began a collection, or was parked for one (stop-the-world)
  | 'gc_end';

export type BlockReason = 'io' | 'sleep' | 'lock' | 'native' | 'join' | 'queue' | 'event' | 'cond' | 'other';

export interface TimelineEvent {
  t: number;
  kind: TimelineKind;
  reason?: BlockReason;
}

export interface TimelineTrack {
  name: string;
  /** a small integer id, stable within the run (the trace's tid) */
  tid: number;
  events: TimelineEvent[];
  /** events the ring overwrote before they were read (the track starts late) */
  lost: number;
}

/** A sample of the heap, for the trace's counters. */
export interface HeapSample {
  t: number;
  bytesInUse: number;
  arenas: number;
}

export interface Timeline {
  tracks: TimelineTrack[];
  heap: HeapSample[];
}

/** A thread raised: the run was stopped. */
export interface RunError {
  thread: string;
  /** the Python exception type name when there is one (e.g. 'KeyError') */
  type: string;
  message: string;
  stack: string;
}

export interface RunResult {
  scenario: string;
  description: string;
  params: Record<string, ParamValue>;
  config: RunConfig;
  /** absolute origin of the timeline (ms, coordinator's timeOrigin + now) */
  startedAt: number;
  wallMs: number;
  results: Results;
  phases: PhaseReport[];
  threads: ThreadReport[];
  gil: GilSummary;
  heap: HeapSummary;
  gc: GcSummary;
  timeline: Timeline;
  /** parts of the runtime that were missing, so their figures are zeros (said in the report) */
  missing: string[];
  error?: RunError;
}

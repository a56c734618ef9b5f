/*
 * The engine: what the runner needs from the runtime below it, in one small interface.
 *
 * The runner (runner.ts) knows scenarios, phases and results; the engine knows how to make a
 * runtime for a configuration, start Python threads on worker threads and read the runtime's
 * measurements back. engine-runtime.ts implements it over src/runtime + src/host; a test can
 * implement it with canned figures to check the runner's bookkeeping without threads.
 *
 * Every reading is cumulative since the runtime was made; the runner takes differences.
 * Timestamps are absolute milliseconds (`performance.timeOrigin + performance.now()`, the
 * clock every thread shares, see src/gil/clock.ts).
 */

import type { RuntimeConfig } from '../runtime/config.ts';
import type { GcGeneration, HeapSummary, ThreadGil, TimelineEvent } from './result.ts';

export interface EngineOptions {
  config: RuntimeConfig;
  /** the buffer's maximum size in bytes */
  heapMaxBytes: number;
  /** thread-table slots to reserve: every thread the run will start */
  maxThreads: number;
  /** timeline events each thread's ring holds (0: no timeline) */
  traceEvents: number;
  seed: number;
}

/** One thread to start: a program of a scenario module. */
export interface EngineThreadSpec {
  name: string;
  /** file URL of the scenario module */
  moduleUrl: string;
  /** the function: a dotted path from the module's exports ('default.programs.countdown') */
  fn: string;
  /** the program's key in the scenario's `programs` (or 'warmup'), for messages */
  program: string;
  args: readonly unknown[];
}

export interface EngineThreadResult {
  name: string;
  /** the thread's slot in the thread table (for its metrics and timeline) */
  ident: number;
  /** the program's return value */
  value: unknown;
  /** when the program began and ended, on the worker (module loading excluded) */
  startedAt: number;
  endedAt: number;
}

/** The GIL's global counters, cumulative. */
export interface GilCounters {
  switches: number;
  heldMs: number;
  contendedMs: number;
}

/** One thread's counters, cumulative over its life: its GIL figures and its bytecodes. */
export interface ThreadCounters extends ThreadGil {
  bytecodes: number;
}

export interface GcCounters {
  generations: GcGeneration[];
  /** every collection's pause so far, ms, oldest first */
  pausesMs: number[];
}

export interface Engine {
  /** parts of the runtime that are not there: their readings are zeros */
  readonly missing: readonly string[];
  /**
   * Start every thread at once and wait for all of them. If one raises, the runtime aborts the
   * others and this rejects with a ThreadError (src/errors.ts) naming the thread; a deadlock
   * rejects with a DeadlockError.
   */
  runThreads(threads: readonly EngineThreadSpec[]): Promise<EngineThreadResult[]>;
  gilCounters(): GilCounters;
  /** read right after the thread ended (its slot may be reused later) */
  threadCounters(ident: number): ThreadCounters;
  /** the thread's timeline ring, oldest first; `lost` counts events overwritten */
  timeline(ident: number): { events: TimelineEvent[]; lost: number };
  /** the allocator's full statistics (walks the heap: call between phases) */
  heap(): HeapSummary;
  /** a cheap sample for the trace counters, safe while threads run */
  heapSample(): { bytesInUse: number; arenas: number };
  gc(): GcCounters;
  /**
   * The heap's invariants after the run (verifyHeap: allocator, object headers, GC rings):
   * empty when sound. Optional: an engine without it is not checked.
   */
  verify?(): string[];
  close(): Promise<void>;
}

export type EngineFactory = (o: EngineOptions) => Promise<Engine>;

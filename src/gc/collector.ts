/*
 * When a collection runs, on which thread, and what is recorded about it.
 * =======================================================================
 *
 * One Collector per JS thread binds that thread's object space to the shared GC state. The
 * state is the buffer's (state.ts); the Collector only holds the thread's views, its
 * `gc.callbacks` (JS functions cannot live in the buffer) and the hooks it plugs in.
 *
 * Triggering, as CPython:
 *   - 3.11 (and 2.7): the container allocation that pushes generation 0's count past threshold 0
 *     (enabled, threshold non-zero, no collection running) collects at once, synchronously, in
 *     the allocating thread (_PyObject_GC_Link -> gc_collect_generations).
 *   - 3.12+ (our 3.13 and 3.13t profiles), and any run without a GIL: the allocation only sets
 *     GC_SCHEDULED in the thread's eval breaker (_Py_ScheduleGC); the collection runs at the
 *     thread's next poll, never inside the allocation.
 *   - gc_collect_generations picks the OLDEST generation whose count exceeds its threshold; a
 *     full collection is skipped while long_lived_pending < long_lived_total / 4 (CPython's test,
 *     written that way round), and the next younger generation is considered instead.
 *   - gc.collect(g) collects g at once (0 if a collection is already running).
 * Exactly one collection runs at a time in the whole runtime: the `collecting` word is claimed
 * with a compareExchange.
 *
 * Threads: under a GIL policy the collection runs in the triggering thread, which holds the GIL,
 * so nothing else runs Python code meanwhile (except while a finalizer itself releases the GIL;
 * other threads then find `collecting` set and do not collect). Without a GIL
 * (config.stopTheWorldGc) the collecting thread first stops the world (ThreadSystem.stopTheWorld:
 * STOP_THE_WORLD in every other running thread's eval breaker, bounded waits until each is parked
 * at a safe point or suspended outside Python code), collects, and restarts it. The parked threads
 * record their parked time themselves (threadstate.ts); this file records the collection: the
 * stats per generation, the collection log (state.ts), and the gc slice in the collecting
 * thread's timeline.
 */

import { ValueError } from '../errors.ts';
import { now } from '../gil/clock.ts';
import { newList } from '../objects/list.ts';
import type { ObjectSpace } from '../objects/space.ts';
import type { ThreadSystem } from '../runtime/threads.ts';
import type { ThreadState } from '../runtime/threadstate.ts';
import type { GcInfo } from '../runtime/types.ts';
import { collectMain, type CollectEnv, type CollectResult } from './collect.ts';
import { GcGraph } from './graph.ts';
import { GC_COLLECTING as GC_COLLECTING_WORD, GC_LONG_LIVED_PENDING, GC_LONG_LIVED_TOTAL, NUM_GENERATIONS, type GcLists } from '../objects/gc-lists.ts';
import { GC_COLLECTOR, GC_DEBUG, GC_GARBAGE, GC_STW_COLLECTIONS, gcWord, logCollection } from './state.ts';

export type GcCallback = (phase: 'start' | 'stop', info: GcInfo) => void;

/** Lines kept for DEBUG_STATS and friends when no hook is set. */
const DEBUG_LINES_KEPT = 1000;

export interface CollectorOptions {
  /** the thread system (absent: a single-threaded object space, no stop-the-world) */
  sys?: ThreadSystem | null;
}

export class Collector implements CollectEnv {
  readonly s: ObjectSpace;
  readonly graph: GcGraph;
  readonly gcl: GcLists;
  readonly gcOff: number;
  readonly sys: ThreadSystem | null;
  /** gc.callbacks of this thread */
  readonly callbacks: GcCallback[] = [];
  /** DEBUG_* output; the default keeps the last lines in `debugLines` */
  onDebugLine: (line: string) => void = (line) => {
    this.debugLines.push(line);
    if (this.debugLines.length > DEBUG_LINES_KEPT) this.debugLines.shift();
  };
  readonly debugLines: string[] = [];
  /** 3.12+: schedule through the eval breaker instead of collecting inside the allocation */
  readonly scheduled: boolean;
  private readonly wCollecting: number;
  /** this thread stopped the world and has not restarted it yet */
  private worldStopped = false;

  constructor(s: ObjectSpace, opts: CollectorOptions = {}) {
    this.s = s;
    this.gcl = s.gcl;
    this.gcOff = s.layout.gcOff;
    this.graph = new GcGraph(s);
    this.sys = opts.sys ?? null;
    // Without a GIL, always scheduled (as 3.13t): an allocating thread may be inside a
    // per-object critical section that a thread the collection must stop is waiting for.
    this.scheduled = s.config.python === '3.13' || s.config.python === '3.13t' || s.config.stopTheWorldGc;
    this.wCollecting = gcWord(this.gcOff, GC_COLLECTING_WORD);
  }

  /** Plug into the allocation path and the eval breaker of this thread. */
  install(): this {
    this.s.onGcThreshold = () => this.onThreshold();
    if (this.sys !== null) this.sys.hooks.gcScheduled = () => this.collectGenerations();
    return this;
  }

  /* ---------------- CollectEnv ---------------- */

  debug(): number {
    return this.s.i32[gcWord(this.gcOff, GC_DEBUG)]!;
  }

  setDebug(flags: number): void {
    this.s.i32[gcWord(this.gcOff, GC_DEBUG)] = flags;
  }

  /** The gc.garbage list (borrowed), made on first use and kept for the runtime's life. */
  garbage(): number {
    const w = gcWord(this.gcOff, GC_GARBAGE);
    const have = Atomics.load(this.s.i32, w);
    if (have !== 0) return have;
    const list = newList(this.s, []);
    const prev = Atomics.compareExchange(this.s.i32, w, 0, list);
    if (prev === 0) return list;
    this.s.decref(list); // another thread made it first
    return prev;
  }

  debugLine(line: string): void {
    this.onDebugLine(line);
  }

  /* ---------------- triggering ---------------- */

  /** Generation 0 passed its threshold (called from ObjectSpace.allocGC). */
  private onThreshold(): void {
    const ts = this.sys?.current ?? null;
    if (this.scheduled && ts !== null) ts.scheduleGc();
    else this.collectGenerations();
  }

  /** gc_collect_generations: collect the oldest generation over its threshold. Returns n + m. */
  collectGenerations(): number {
    if (!this.claim()) return 0;
    try {
      const gcl = this.gcl;
      for (let i = NUM_GENERATIONS - 1; i >= 0; i--) {
        if (gcl.count(i) <= gcl.threshold(i)) continue;
        if (i === NUM_GENERATIONS - 1 && this.longLivedPending() < Math.floor(this.longLivedTotal() / 4)) continue;
        return this.collectWithCallback(i);
      }
      return 0;
    } finally {
      this.release();
    }
  }

  /** gc.collect(generation): 0 when a collection is already running. */
  collect(generation: number = NUM_GENERATIONS - 1): number {
    if (!Number.isInteger(generation) || generation < 0 || generation >= NUM_GENERATIONS) {
      throw new ValueError('invalid generation');
    }
    if (!this.claim()) return 0;
    try {
      return this.collectWithCallback(generation);
    } finally {
      this.release();
    }
  }

  longLivedTotal(): number {
    return this.s.i32[gcWord(this.gcOff, GC_LONG_LIVED_TOTAL)]!;
  }

  longLivedPending(): number {
    return this.s.i32[gcWord(this.gcOff, GC_LONG_LIVED_PENDING)]!;
  }

  /** Is a collection running (any thread)? */
  get collecting(): boolean {
    return Atomics.load(this.s.i32, this.wCollecting) !== 0;
  }

  private claim(): boolean {
    return Atomics.compareExchange(this.s.i32, this.wCollecting, 0, 1) === 0;
  }

  private release(): void {
    Atomics.store(this.s.i32, this.wCollecting, 0);
  }

  /* ---------------- one collection, with callbacks, world stopping and records ---------------- */

  private collectWithCallback(generation: number): number {
    this.invokeCallbacks('start', { generation, collected: 0, uncollectable: 0 });
    const r = this.runCollection(generation);
    this.invokeCallbacks('stop', { generation, collected: r.collected, uncollectable: r.uncollectable });
    return r.collected + r.uncollectable;
  }

  private runCollection(generation: number): CollectResult {
    const ts = this.attachedThread();
    const stw = ts !== null && this.s.config.stopTheWorldGc && !this.worldStopped;
    const began = now();
    const i32 = this.s.i32;
    Atomics.store(i32, gcWord(this.gcOff, GC_COLLECTOR), ts === null ? 0 : ts.slot + 1);
    const traceBegan = ts === null ? 0 : ts.gcBegin(generation);
    let r: CollectResult;
    try {
      if (stw) this.stop(ts);
      try {
        this.s.syncIfGrown();
        this.gcl.mergeYoung(); // free-threaded: the threads' young rings join generation 0
        r = collectMain(this, generation);
      } finally {
        if (stw) this.start(ts);
      }
    } finally {
      Atomics.store(this.s.i32, gcWord(this.gcOff, GC_COLLECTOR), 0);
      if (ts !== null) ts.gcEnd(generation, traceBegan);
    }
    const pauseMs = now() - began;
    const v = this.s;
    if (stw) v.i32[gcWord(this.gcOff, GC_STW_COLLECTIONS)] = v.i32[gcWord(this.gcOff, GC_STW_COLLECTIONS)]! + 1;
    logCollection(v.i32, v.f64, this.gcOff, { began, pauseMs, ...r });
    return r;
  }

  /**
   * Run fn with every other thread stopped when threads run without a GIL (else just run it).
   * Re-entrant: a finalizer calling gc.get_objects during a collection is already stopped.
   */
  withWorldStopped<T>(fn: () => T): T {
    const ts = this.attachedThread();
    if (ts === null || !this.s.config.stopTheWorldGc || this.worldStopped) return fn();
    this.stop(ts);
    try {
      return fn();
    } finally {
      this.start(ts);
    }
  }

  private stop(ts: ThreadState): void {
    this.sys!.stopTheWorld(ts);
    this.worldStopped = true;
  }

  private start(ts: ThreadState): void {
    this.worldStopped = false;
    this.sys!.startTheWorld(ts);
  }

  /** The thread state running Python code on this JS thread, if any. */
  private attachedThread(): ThreadState | null {
    const ts = this.sys?.current ?? null;
    return ts !== null && ts.attached ? ts : null;
  }

  private invokeCallbacks(phase: 'start' | 'stop', info: GcInfo): void {
    if (this.callbacks.length === 0) return;
    for (const cb of [...this.callbacks]) {
      try {
        cb(phase, { ...info });
      } catch (err) {
        this.s.unraisable(err, `gc callback ${cb.name || '<anonymous>'}`);
      }
    }
  }
}

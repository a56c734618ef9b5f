/*
 * `py.gc`: CPython's gc module over the collector.
 * ================================================
 *
 * Every function keeps CPython 3.11's behaviour (Modules/gcmodule.c): the same errors, the same
 * counts, `get_objects` and `get_referrers` leave out the list they build, `freeze` empties the
 * three generations into the permanent one and zeroes generation 0's count, `unfreeze` hands
 * the permanent generation to the oldest. Lists returned are new references.
 *
 * Without a GIL the generation rings are changed by every allocating thread, so the functions
 * that walk or move whole rings (get_objects, get_referrers, freeze, unfreeze,
 * get_freeze_count) stop the world around the walk, as CPython 3.13t does.
 */

import { PyTypeError, ValueError } from '../errors.ts';
import { GC_HEAD_BYTES } from '../objects/header.ts';
import { listAppend, newList } from '../objects/list.ts';
import type { GcInfo, GcModule, PyObject } from '../runtime/types.ts';
import type { Collector, GcCallback } from './collector.ts';
import { genHead } from './collect.ts';
import { NUM_GENERATIONS } from '../objects/gc-lists.ts';
import {
  DEBUG_COLLECTABLE,
  DEBUG_LEAK,
  DEBUG_SAVEALL,
  DEBUG_STATS,
  DEBUG_UNCOLLECTABLE,
  STAT_COLLECTED,
  STAT_COLLECTIONS,
  STAT_UNCOLLECTABLE,
  statIndex,
} from './state.ts';

/** The permanent generation's index for genHead. */
const PERMANENT = NUM_GENERATIONS;

export class GcModuleImpl implements GcModule {
  readonly DEBUG_STATS = DEBUG_STATS as 1;
  readonly DEBUG_COLLECTABLE = DEBUG_COLLECTABLE as 2;
  readonly DEBUG_UNCOLLECTABLE = DEBUG_UNCOLLECTABLE as 4;
  readonly DEBUG_SAVEALL = DEBUG_SAVEALL as 32;
  readonly DEBUG_LEAK = DEBUG_LEAK as 38;
  readonly callbacks: ((phase: 'start' | 'stop', info: GcInfo) => void)[];
  private readonly c: Collector;
  /** the thread's py: every gc call is a call (a bytecode and an eval-breaker poll) */
  private readonly py: { enter(): void };

  constructor(collector: Collector, py: { enter(): void }) {
    this.c = collector;
    this.py = py;
    this.callbacks = collector.callbacks as GcCallback[];
  }

  private get s() {
    return this.c.s;
  }

  collect(generation = NUM_GENERATIONS - 1): number {
    this.py.enter();
    return this.c.collect(generation);
  }

  enable(): void {
    this.py.enter();
    this.s.gcl.enabled = true;
  }

  disable(): void {
    this.py.enter();
    this.s.gcl.enabled = false;
  }

  isenabled(): boolean {
    this.py.enter();
    return this.s.gcl.enabled;
  }

  get_count(): [number, number, number] {
    this.py.enter();
    const g = this.s.gcl;
    return [g.count(0), g.count(1), g.count(2)];
  }

  get_threshold(): [number, number, number] {
    this.py.enter();
    const g = this.s.gcl;
    return [g.threshold(0), g.threshold(1), g.threshold(2)];
  }

  set_threshold(t0: number, t1?: number, t2?: number): void {
    this.py.enter();
    const ts = [t0, t1, t2];
    for (const t of ts) {
      if (t !== undefined && !Number.isInteger(t)) throw new PyTypeError(`'${typeof t}' object cannot be interpreted as an integer`);
    }
    ts.forEach((t, g) => {
      if (t !== undefined) this.s.gcl.setThreshold(g, t);
    });
  }

  get_stats(): { collections: number; collected: number; uncollectable: number }[] {
    this.py.enter();
    const f64 = this.s.f64;
    const off = this.c.gcOff;
    const out = [];
    for (let g = 0; g < NUM_GENERATIONS; g++) {
      out.push({
        collections: f64[statIndex(off, g, STAT_COLLECTIONS)]!,
        collected: f64[statIndex(off, g, STAT_COLLECTED)]!,
        uncollectable: f64[statIndex(off, g, STAT_UNCOLLECTABLE)]!,
      });
    }
    return out;
  }

  freeze(): void {
    this.py.enter();
    this.stopped(() => {
      for (let g = 0; g < NUM_GENERATIONS; g++) {
        this.c.graph.merge(genHead(this.c.gcOff, g), genHead(this.c.gcOff, PERMANENT));
      }
      this.s.gcl.setCount(0, 0);
    });
  }

  unfreeze(): void {
    this.py.enter();
    this.stopped(() => {
      this.c.graph.merge(genHead(this.c.gcOff, PERMANENT), genHead(this.c.gcOff, NUM_GENERATIONS - 1));
    });
  }

  get_freeze_count(): number {
    this.py.enter();
    return this.stopped(() => this.c.graph.size(genHead(this.c.gcOff, PERMANENT)));
  }

  is_tracked(o: PyObject): boolean {
    this.py.enter();
    this.s.check(o);
    return this.s.isTracked(o);
  }

  is_finalized(o: PyObject): boolean {
    this.py.enter();
    this.s.check(o);
    return this.s.isFinalized(o);
  }

  get_objects(generation?: number): PyObject {
    this.py.enter();
    // CPython 3.11: None or -1 means every generation
    const all = generation === undefined || generation === null || generation === -1;
    if (!all) {
      if (!Number.isInteger(generation)) throw new PyTypeError('generation must be an integer or None');
      if (generation >= NUM_GENERATIONS) {
        throw new ValueError(`generation parameter must be less than the number of available generations (${NUM_GENERATIONS})`);
      }
      if (generation < 0) throw new ValueError('generation parameter cannot be negative');
    }
    const s = this.s;
    const result = newList(s, []);
    this.stopped(() => {
      const from = all ? 0 : generation;
      const to = all ? NUM_GENERATIONS - 1 : generation;
      for (let g = from; g <= to; g++) {
        const head = genHead(this.c.gcOff, g);
        for (let gc = s.gcl.first(head); gc !== head; gc = s.gcl.next(gc)) {
          const op = gc + GC_HEAD_BYTES;
          if (op !== result) listAppend(s, result, op);
        }
      }
    });
    return result;
  }

  get_referrers(...objs: PyObject[]): PyObject {
    this.py.enter();
    const s = this.s;
    for (const o of objs) s.check(o);
    const wanted = new Set(objs);
    const result = newList(s, []);
    let hit = false;
    const visit = (child: number): void => {
      if (wanted.has(child)) hit = true;
    };
    this.stopped(() => {
      for (let g = 0; g < NUM_GENERATIONS; g++) {
        const head = genHead(this.c.gcOff, g);
        for (let gc = s.gcl.first(head); gc !== head; gc = s.gcl.next(gc)) {
          const op = gc + GC_HEAD_BYTES;
          if (op === result) continue;
          hit = false;
          s.traverse(op, visit, 0);
          if (hit) listAppend(s, result, op);
        }
      }
    });
    return result;
  }

  get_referents(...objs: PyObject[]): PyObject {
    this.py.enter();
    const s = this.s;
    for (const o of objs) s.check(o);
    const result = newList(s, []);
    const visit = (child: number): void => listAppend(s, result, child);
    for (const o of objs) if (s.isGC(o)) s.traverse(o, visit, 0);
    return result;
  }

  get garbage(): PyObject {
    return this.c.garbage();
  }

  set_debug(flags: number): void {
    this.py.enter();
    if (!Number.isInteger(flags)) throw new PyTypeError(`'${typeof flags}' object cannot be interpreted as an integer`);
    this.c.setDebug(flags);
  }

  get_debug(): number {
    this.py.enter();
    return this.c.debug();
  }

  /** Run fn with the world stopped when threads run without a GIL (else just run it). */
  /** Run fn with the world stopped and the young rings merged into generation 0 (free-threaded). */
  private stopped<T>(fn: () => T): T {
    return this.c.withWorldStopped(() => {
      this.s.syncIfGrown(); // objects other threads made may lie past our views
      this.s.gcl.mergeYoung();
      return fn();
    });
  }
}

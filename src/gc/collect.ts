/*
 * One collection: CPython 3.11's gc_collect_main.
 * ================================================
 *
 *   1. counts: generation g+1's count += 1 (it counts collections of g); counts 0..g := 0.
 *   2. merge the younger generations into g: `young`; `old` is g+1 (g itself for a full one).
 *   3. deduce_unreachable(young) -> unreachable                          (graph.ts)
 *   4. untrack_tuples(young); survivors move to `old`. Promoting into generation 2 adds to
 *      long_lived_pending; a full collection untracks dicts of atoms and sets long_lived_total
 *      to the survivors, long_lived_pending to 0. (One fused walk: graph.untrackAtoms.)
 *   5. legacy finalizers and what they reach -> `finalizers` (uncollectable)  (graph.ts)
 *   6. handle_weakrefs, finalize_garbage, handle_resurrected_objects,
 *      delete_garbage, handle_legacy_finalizers                              (garbage.ts)
 *
 * The result is CPython's: `collected` (m) counts the garbage deleted plus the weakrefs whose
 * callbacks freed them; `uncollectable` (n) the size of `finalizers`; gc.collect returns n + m.
 * `examined` is what update_refs visited, for the collection log.
 *
 * The caller (collector.ts) holds the `collecting` flag and, without a GIL, has stopped the
 * world: nothing else links or unlinks GC headers while this runs, except through the Python
 * code (finalizers, callbacks) it runs itself.
 */

import { GC_HEAD_BYTES } from '../objects/header.ts';
import { deleteGarbage, finalizeGarbage, handleLegacyFinalizers, handleResurrected, handleWeakrefs, pythonRun } from './garbage.ts';
import type { GcGraph } from './graph.ts';
import {
  GC_GEN0_HEAD,
  GC_LONG_LIVED_PENDING,
  GC_LONG_LIVED_TOTAL,
  GEN_HEAD_BYTES,
  NUM_GENERATIONS,
  type GcLists,
} from '../objects/gc-lists.ts';
import {
  DEBUG_COLLECTABLE,
  DEBUG_SAVEALL,
  DEBUG_STATS,
  DEBUG_UNCOLLECTABLE,
  GC_FINALIZERS_HEAD,
  GC_SEEN_HEAD,
  GC_STILL_UNREACHABLE_HEAD,
  GC_UNREACHABLE_HEAD,
  GC_WRCB_HEAD,
} from './state.ts';

export interface CollectResult {
  generation: number;
  collected: number;
  uncollectable: number;
  examined: number;
}

/** What gc_collect_main needs from its caller. */
export interface CollectEnv {
  readonly graph: GcGraph;
  readonly gcl: GcLists;
  readonly gcOff: number;
  debug(): number;
  /** the gc.garbage list (made on first use) */
  garbage(): number;
  /** DEBUG_STATS / COLLECTABLE / UNCOLLECTABLE lines (CPython writes them to stderr) */
  debugLine(line: string): void;
}

/** Offset of generation g's list head (g = NUM_GENERATIONS: the permanent generation). */
export function genHead(gcOff: number, g: number): number {
  return gcOff + GC_GEN0_HEAD + g * GEN_HEAD_BYTES;
}

export function collectMain(env: CollectEnv, generation: number): CollectResult {
  const { graph: g, gcl, gcOff } = env;
  const debug = env.debug();
  const i32 = () => g.s.i32;
  if (debug & DEBUG_STATS) statsLine(env, generation);

  // 1. counts
  if (generation + 1 < NUM_GENERATIONS) gcl.setCount(generation + 1, gcl.count(generation + 1) + 1);
  for (let i = 0; i <= generation; i++) gcl.setCount(i, 0);

  // 2. the set to examine
  for (let i = 0; i < generation; i++) g.merge(genHead(gcOff, i), genHead(gcOff, generation));
  const young = genHead(gcOff, generation);
  const old = generation < NUM_GENERATIONS - 1 ? genHead(gcOff, generation + 1) : young;
  const unreachable = gcOff + GC_UNREACHABLE_HEAD;

  // 3. what is garbage
  const examined = g.deduceUnreachable(young, unreachable);

  // 4. the survivors (untrack_tuples, untrack_dicts for a full one, and their count, in one walk)
  const full = young === old;
  const survivors = g.untrackAtoms(young, full);
  const wPending = (gcOff + GC_LONG_LIVED_PENDING) >> 2;
  if (!full) {
    if (generation === NUM_GENERATIONS - 2) i32()[wPending] = i32()[wPending]! + survivors;
    g.merge(young, old);
  } else {
    i32()[wPending] = 0;
    i32()[(gcOff + GC_LONG_LIVED_TOTAL) >> 2] = survivors;
  }

  // 5. legacy finalizers: uncollectable, with everything they reach
  const finalizers = gcOff + GC_FINALIZERS_HEAD;
  g.listInit(finalizers);
  g.moveLegacyFinalizers(unreachable, finalizers);
  g.moveLegacyFinalizerReachable(finalizers);
  if (debug & DEBUG_COLLECTABLE) cycleLines(env, 'collectable', unreachable);

  // 6. the garbage. Where the scan of step 5 found no weakref and no pending finalizer, no
  // Python code runs before tp_clear, no count can change, and resurrection is impossible:
  // handle_resurrected_objects would find exactly `unreachable` again, so it is skipped (the
  // result is the same; only the second set of passes is saved).
  pythonRun.calls = 0;
  let m = g.sawWeakrefs ? handleWeakrefs(g, unreachable, gcOff + GC_WRCB_HEAD, old) : 0;
  if (g.sawFinalizers) finalizeGarbage(g, unreachable, gcOff + GC_SEEN_HEAD);
  const still = gcOff + GC_STILL_UNREACHABLE_HEAD;
  if (pythonRun.calls > 0) {
    handleResurrected(g, unreachable, still, old);
    m += g.size(still);
  } else {
    g.listInit(still);
    m += g.isEmpty(finalizers) ? g.garbageCount : g.size(unreachable);
    g.merge(unreachable, still);
  }
  deleteGarbage(g, still, old, debug & DEBUG_SAVEALL ? env.garbage() : 0);
  if (debug & DEBUG_UNCOLLECTABLE) cycleLines(env, 'uncollectable', finalizers);
  const n = handleLegacyFinalizers(g, finalizers, old, (debug & DEBUG_SAVEALL) !== 0, () => env.garbage());
  if (debug & DEBUG_STATS) env.debugLine(`gc: done, ${n + m} unreachable, ${n} uncollectable`);
  return { generation, collected: m, uncollectable: n, examined };
}

function statsLine(env: CollectEnv, generation: number): void {
  const sizes: number[] = [];
  for (let i = 0; i < NUM_GENERATIONS; i++) sizes.push(env.graph.size(genHead(env.gcOff, i)));
  env.debugLine(`gc: collecting generation ${generation}...`);
  env.debugLine(`gc: objects in each generation: ${sizes.join(' ')}`);
  env.debugLine(`gc: objects in permanent generation: ${env.graph.size(genHead(env.gcOff, NUM_GENERATIONS))}`);
}

function cycleLines(env: CollectEnv, what: string, head: number): void {
  const s = env.graph.s;
  for (let gc = s.gcl.first(head); gc !== head; gc = s.gcl.next(gc)) {
    const op = gc + GC_HEAD_BYTES;
    env.debugLine(`gc: ${what} <${s.typeName(op)} ${op}>`);
  }
}

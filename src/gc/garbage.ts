/*
 * What happens to the garbage: weakrefs, finalizers, resurrection, tp_clear.
 * ==========================================================================
 *
 * Once move_unreachable (graph.ts) has split a generation, the unreachable ring holds cycles
 * nobody can reach. Freeing them must not let Python code see a half-destroyed object, so the
 * steps run in CPython's order:
 *
 *   handle_weakrefs            clear every weakref to garbage (and every weakref that is itself
 *                              garbage) BEFORE any Python code runs; then call the callbacks of
 *                              the cleared weakrefs that are NOT garbage, each exactly once.
 *   finalize_garbage           PEP 442: call each garbage object's __del__ once (FINALIZED bit).
 *                              A finalizer may store `self` somewhere reachable: resurrection.
 *   handle_resurrected_objects run the reachability passes again over the garbage: whatever a
 *                              finalizer made reachable (and everything it reaches) survives
 *                              into the older generation; the rest is still garbage.
 *   delete_garbage             tp_clear each survivor of that test: it drops the references the
 *                              object holds, the cycle's counts fall to zero and ordinary
 *                              deallocation frees it (iteratively: the object space's dealloc
 *                              loop never recurses). DEBUG_SAVEALL appends to gc.garbage instead.
 *   handle_legacy_finalizers   cycles holding a legacy tp_del were set aside before all this
 *                              (graph.ts); their tp_del objects go to gc.garbage, uncollectable.
 *
 * Python code (weakref callbacks, finalizers) may free objects of any ring at any time: every
 * ring is a doubly linked ring in the buffer, and dealloc unlinks, so the loops below always
 * take the ring's FIRST member afresh instead of holding a "next" across a call-out.
 */

import { GC_HEAD_BYTES } from '../objects/header.ts';
import { K_WEAKREF } from '../objects/kinds.ts';
import { listAppend } from '../objects/list.ts';
import type { ObjectSpace } from '../objects/space.ts';
import { clearWeakref, runWeakrefCallback, weaklistOffset, WR_CALLBACK } from '../objects/weakref.ts';
import type { GcGraph } from './graph.ts';

function first(s: ObjectSpace, head: number): number {
  return s.gcl.first(head);
}

/** Python code (finalizers, weakref callbacks) run by the current collection so far. */
export const pythonRun = { calls: 0 };

/**
 * handle_weakrefs: clear all weakrefs to the objects in `unreachable`; call the callbacks of the
 * reachable ones (moved through the `wrcb` ring). Returns how many of those weakrefs the
 * callbacks freed (CPython counts them as collected).
 */
export function handleWeakrefs(g: GcGraph, unreachable: number, wrcb: number, old: number): number {
  const s = g.s;
  g.listInit(wrcb);
  for (let gc = first(s, unreachable); gc !== unreachable; gc = s.gcl.next(gc)) {
    const op = gc + GC_HEAD_BYTES;
    // a weakref that is garbage itself must never fire (bpo-38006)
    if (s.kindOf(op) === K_WEAKREF) clearWeakref(s, op);
    const off = weaklistOffset(s, op);
    if (off === 0) continue;
    const listWord = (op + off) >> 2;
    for (let wr = s.i32[listWord]!; wr !== 0; wr = s.i32[listWord]!) {
      clearWeakref(s, wr); // unlinks wr: the list head moves on
      if (s.i32[(wr + WR_CALLBACK) >> 2] === 0) continue;
      // a weakref in the garbage: its callback is dropped with it
      if (g.isCollecting(wr)) continue;
      if (!s.gcl.isTracked(wr) || !(s.refcount(wr) > 0)) continue;
      s.incref(wr);
      g.move(wr - GC_HEAD_BYTES, wrcb);
    }
  }
  let freed = 0;
  while (!g.isEmpty(wrcb)) {
    const gc = first(s, wrcb);
    const wr = gc + GC_HEAD_BYTES;
    pythonRun.calls++;
    runWeakrefCallback(s, wr);
    s.decref(wr);
    if (first(s, wrcb) === gc) g.move(gc, old);
    else freed++;
  }
  return freed;
}

/** finalize_garbage: run each PEP 442 finalizer once. `seen` is a scratch ring. */
export function finalizeGarbage(g: GcGraph, collectable: number, seen: number): void {
  const s = g.s;
  g.listInit(seen);
  while (!g.isEmpty(collectable)) {
    const gc = first(s, collectable);
    const op = gc + GC_HEAD_BYTES;
    g.move(gc, seen);
    if (s.hasFinalizer(op) && !s.isFinalized(op)) {
      pythonRun.calls++;
      s.incref(op);
      s.callFinalizer(op);
      s.decref(op);
    }
  }
  g.merge(seen, collectable);
}

/**
 * handle_resurrected_objects: the garbage that finalizers made reachable again (and what it
 * reaches) goes to `old`; what is still unreachable ends in `still`.
 */
export function handleResurrected(g: GcGraph, unreachable: number, still: number, old: number): void {
  g.clearCollecting(unreachable);
  g.deduceUnreachable(unreachable, still);
  g.clearUnreachableMask(still);
  g.merge(unreachable, old);
}

/**
 * delete_garbage: tp_clear every member (or, with DEBUG_SAVEALL, append it to gc.garbage). A
 * member still linked after its clear was kept alive by something else: it moves to `old`.
 */
export function deleteGarbage(g: GcGraph, collectable: number, old: number, saveAllTo: number): void {
  const s = g.s;
  while (!g.isEmpty(collectable)) {
    const gc = first(s, collectable);
    const op = gc + GC_HEAD_BYTES;
    if (saveAllTo !== 0) {
      listAppend(s, saveAllTo, op);
    } else {
      s.incref(op);
      s.clear(op);
      s.decref(op);
    }
    if (first(s, collectable) === gc) {
      g.clearCollectingOf(gc);
      g.move(gc, old);
    }
  }
}

/**
 * handle_legacy_finalizers: the objects with a tp_del (all of them with DEBUG_SAVEALL) go to
 * gc.garbage; the whole ring joins `old`. Returns the ring's size (the uncollectable count).
 */
export function handleLegacyFinalizers(g: GcGraph, finalizers: number, old: number, saveAll: boolean, garbage: () => number): number {
  const s = g.s;
  let n = 0;
  for (let gc = first(s, finalizers); gc !== finalizers; gc = s.gcl.next(gc)) {
    n++;
    const op = gc + GC_HEAD_BYTES;
    if (saveAll || s.hasLegacyDel(op)) listAppend(s, garbage(), op);
  }
  g.merge(finalizers, old);
  return n;
}

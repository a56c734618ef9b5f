/*
 * The reachability passes: which containers of a generation are garbage.
 * ======================================================================
 *
 * CPython's collector never marks from roots (it does not know the roots: C code may hold any
 * object). It reasons from reference counts instead, over one set of containers at a time (the
 * generation being collected, younger ones merged into it):
 *
 *   update_refs       gc_refs := ob_refcnt for every member, and flag it COLLECTING.
 *   subtract_refs     for every reference from a member to a member, gc_refs -= 1. What stays
 *                     above zero is referenced from OUTSIDE the set: a root for this collection.
 *   move_unreachable  walk the ring once: a member with gc_refs > 0 is reachable; traverse it
 *                     and give every member it references gc_refs 1 (and bring back any that
 *                     had already been moved to `unreachable`, appending them to the ring so the
 *                     walk reaches them too). A member met with gc_refs == 0 is moved to
 *                     `unreachable` for now. At the end, what sits in `unreachable` is garbage.
 *
 * The walk IS the work list: no recursion, no stack, so a million-long chain costs one pass.
 * Everything works on the GC header words (gc = object - GC_HEAD_BYTES):
 *
 *   gc_next, gc_prev   the ring links            gc_refs   the scratch count
 *   gc_flags           COLLECTING (in the set being examined and not yet proven reachable),
 *                      UNREACHABLE (moved to `unreachable` by move_unreachable), FINALIZED (PEP
 *                      442; never touched here)
 *
 * CPython squeezes gc_refs and the flags into spare pointer bits; we have a word for each, so
 * both rings stay ordinary doubly linked rings throughout. Visitors are created once per thread
 * and the hot loops read Int32Array words directly: no per-object JS allocation.
 */

import { GC_COLLECTING, GC_FLAGS, GC_HEAD_BYTES, GC_NEXT, GC_PREV, GC_REFS, GC_UNREACHABLE, W_TYPE } from '../objects/header.ts';
import { K_DICT, K_TUPLE, T_FLAGS, T_KIND, TPFLAGS_HAVE_GC } from '../objects/kinds.ts';
import type { ObjectSpace } from '../objects/space.ts';
import { maybeUntrackTuple, mayBeTracked } from '../objects/tuple.ts';

const W_NEXT = GC_NEXT >> 2;
const W_PREV = GC_PREV >> 2;
const W_REFS = GC_REFS >> 2;
const W_FLAGS = GC_FLAGS >> 2;
const W_OBJ = GC_HEAD_BYTES >> 2;
const NOT_COLLECTING = ~(GC_COLLECTING | GC_UNREACHABLE);

export class GcGraph {
  readonly s: ObjectSpace;
  /** the views of the running pass (the passes here never allocate, so they cannot go stale) */
  private i32: Int32Array;
  /** move_unreachable's young ring, for visitReachable */
  private young = 0;
  /** _PyDict_MaybeUntrack's answer while a dict is traversed */
  private sawTracked = false;

  constructor(s: ObjectSpace) {
    this.s = s;
    this.i32 = s.i32;
  }

  /** Take the object space's current views (call at the start of every pass). */
  private views(): Int32Array {
    this.i32 = this.s.i32;
    return this.i32;
  }

  /** Is o a GC object (its type has HAVE_GC)? Three loads, as _PyObject_IS_GC. */
  private isGC(o: number): boolean {
    const i32 = this.i32;
    return (i32[(i32[(o >> 2) + W_TYPE]! + T_FLAGS) >> 2]! & TPFLAGS_HAVE_GC) !== 0;
  }

  /* ---------------- ring helpers (object-free, on GC header offsets) ---------------- */

  listInit(head: number): void {
    const i32 = this.views();
    i32[(head >> 2) + W_NEXT] = head;
    i32[(head >> 2) + W_PREV] = head;
  }

  isEmpty(head: number): boolean {
    return this.s.i32[(head >> 2) + W_NEXT] === head;
  }

  size(head: number): number {
    const i32 = this.views();
    let n = 0;
    for (let gc = i32[(head >> 2) + W_NEXT]!; gc !== head; gc = i32[(gc >> 2) + W_NEXT]!) n++;
    return n;
  }

  /** gc_list_merge: append every member of `from` to `to`; `from` becomes empty. */
  merge(from: number, to: number): void {
    const i32 = this.views();
    const f = from >> 2;
    const first = i32[f + W_NEXT]!;
    if (first === from) return;
    const last = i32[f + W_PREV]!;
    const toLast = i32[(to >> 2) + W_PREV]!;
    i32[(toLast >> 2) + W_NEXT] = first;
    i32[(first >> 2) + W_PREV] = toLast;
    i32[(last >> 2) + W_NEXT] = to;
    i32[(to >> 2) + W_PREV] = last;
    i32[f + W_NEXT] = from;
    i32[f + W_PREV] = from;
  }

  /** gc_list_move: unlink gc from its ring and append it to the ring at head. */
  move(gc: number, head: number): void {
    const i32 = this.views();
    const w = gc >> 2;
    const next = i32[w + W_NEXT]!;
    const prev = i32[w + W_PREV]!;
    i32[(prev >> 2) + W_NEXT] = next;
    i32[(next >> 2) + W_PREV] = prev;
    const last = i32[(head >> 2) + W_PREV]!;
    i32[w + W_PREV] = last;
    i32[w + W_NEXT] = head;
    i32[(last >> 2) + W_NEXT] = gc;
    i32[(head >> 2) + W_PREV] = gc;
  }

  /* ---------------- deduce_unreachable ---------------- */

  /**
   * update_refs: gc_refs := refcount, flag COLLECTING. Returns how many members were examined.
   * A member whose count is already zero is being deallocated by a dealloc loop further up the
   * stack (a collection started from inside a finalizer): it is unlinked here, as CPython's
   * trashcan only ever holds untracked objects, and its dealloc finishes the job.
   */
  updateRefs(head: number): number {
    const i32 = this.views();
    const rc = this.s.rc;
    let n = 0;
    for (let gc = i32[(head >> 2) + W_NEXT]!; gc !== head; ) {
      const w = gc >> 2;
      const next = i32[w + W_NEXT]!;
      const refs = rc.count(gc + GC_HEAD_BYTES);
      if (refs > 0) {
        i32[w + W_REFS] = refs;
        i32[w + W_FLAGS] = (i32[w + W_FLAGS]! & NOT_COLLECTING) | GC_COLLECTING;
        n++;
      } else {
        this.unlinkDying(gc);
      }
      gc = next;
    }
    return n;
  }

  private unlinkDying(gc: number): void {
    const i32 = this.i32;
    const w = gc >> 2;
    const next = i32[w + W_NEXT]!;
    const prev = i32[w + W_PREV]!;
    i32[(prev >> 2) + W_NEXT] = next;
    i32[(next >> 2) + W_PREV] = prev;
    i32[w + W_NEXT] = 0;
    i32[w + W_PREV] = 0;
  }

  /** visit_decref: a reference from a member; only members' gc_refs count. */
  private readonly visitDecref = (o: number): void => {
    const i32 = this.i32;
    if ((i32[(i32[(o >> 2) + W_TYPE]! + T_FLAGS) >> 2]! & TPFLAGS_HAVE_GC) === 0) return;
    const w = (o >> 2) - W_OBJ;
    if ((i32[w + W_FLAGS]! & GC_COLLECTING) !== 0) i32[w + W_REFS] = i32[w + W_REFS]! - 1;
  };

  /** subtract_refs: remove the references members hold to members. */
  subtractRefs(head: number): void {
    const i32 = this.views();
    const s = this.s;
    const visit = this.visitDecref;
    for (let gc = i32[(head >> 2) + W_NEXT]!; gc !== head; gc = i32[(gc >> 2) + W_NEXT]!) {
      s.traverse(gc + GC_HEAD_BYTES, visit, 0);
    }
  }

  /** visit_reachable: o is referenced by a reachable member, so it is reachable too. */
  private readonly visitReachable = (o: number): void => {
    const i32 = this.i32;
    if ((i32[(i32[(o >> 2) + W_TYPE]! + T_FLAGS) >> 2]! & TPFLAGS_HAVE_GC) === 0) return;
    const w = (o >> 2) - W_OBJ;
    const flags = i32[w + W_FLAGS]!;
    // not a member, or a member already scanned (left of the walk): nothing to do
    if ((flags & GC_COLLECTING) === 0) return;
    if ((flags & GC_UNREACHABLE) !== 0) {
      // moved to `unreachable` too early: bring it back to the end of young, to be scanned
      i32[w + W_FLAGS] = flags & ~GC_UNREACHABLE;
      i32[w + W_REFS] = 1;
      const gc = w << 2;
      const next = i32[w + W_NEXT]!;
      const prev = i32[w + W_PREV]!;
      i32[(prev >> 2) + W_NEXT] = next;
      i32[(next >> 2) + W_PREV] = prev;
      const young = this.young;
      const last = i32[(young >> 2) + W_PREV]!;
      i32[w + W_PREV] = last;
      i32[w + W_NEXT] = young;
      i32[(last >> 2) + W_NEXT] = gc;
      i32[(young >> 2) + W_PREV] = gc;
    } else if (i32[w + W_REFS] === 0) {
      // still ahead of the walk: it will be scanned as reachable
      i32[w + W_REFS] = 1;
    }
  };

  /**
   * move_unreachable: split young into reachable (stays, COLLECTING cleared) and unreachable
   * (moved, COLLECTING and UNREACHABLE set).
   */
  moveUnreachable(young: number, unreachable: number): void {
    const i32 = this.views();
    const s = this.s;
    const visit = this.visitReachable;
    this.young = young;
    let gc = i32[(young >> 2) + W_NEXT]!;
    while (gc !== young) {
      const w = gc >> 2;
      if (i32[w + W_REFS] !== 0) {
        s.traverse(gc + GC_HEAD_BYTES, visit, 0);
        i32[w + W_FLAGS] = i32[w + W_FLAGS]! & ~GC_COLLECTING;
        // read next only now: the traverse may have appended members after gc
        gc = i32[w + W_NEXT]!;
      } else {
        const next = i32[w + W_NEXT]!;
        const prev = i32[w + W_PREV]!;
        i32[(prev >> 2) + W_NEXT] = next;
        i32[(next >> 2) + W_PREV] = prev;
        const last = i32[(unreachable >> 2) + W_PREV]!;
        i32[w + W_PREV] = last;
        i32[w + W_NEXT] = unreachable;
        i32[(last >> 2) + W_NEXT] = gc;
        i32[(unreachable >> 2) + W_PREV] = gc;
        i32[w + W_FLAGS] = i32[w + W_FLAGS]! | GC_UNREACHABLE;
        gc = next;
      }
    }
  }

  /** deduce_unreachable: the three passes. Returns how many objects were examined. */
  deduceUnreachable(base: number, unreachable: number): number {
    const n = this.updateRefs(base);
    this.subtractRefs(base);
    this.listInit(unreachable);
    this.moveUnreachable(base, unreachable);
    return n;
  }

  /** Clear the UNREACHABLE flag of every member of a ring (clear_unreachable_mask). */
  clearUnreachableMask(head: number): void {
    const i32 = this.views();
    for (let gc = i32[(head >> 2) + W_NEXT]!; gc !== head; gc = i32[(gc >> 2) + W_NEXT]!) {
      i32[(gc >> 2) + W_FLAGS] = i32[(gc >> 2) + W_FLAGS]! & ~GC_UNREACHABLE;
    }
  }

  /** Clear both scratch flags of every member of a ring (gc_list_clear_collecting). */
  clearCollecting(head: number): void {
    const i32 = this.views();
    for (let gc = i32[(head >> 2) + W_NEXT]!; gc !== head; gc = i32[(gc >> 2) + W_NEXT]!) {
      i32[(gc >> 2) + W_FLAGS] = i32[(gc >> 2) + W_FLAGS]! & NOT_COLLECTING;
    }
  }

  /* ---------------- untracking what can never be in a cycle ---------------- */

  private kindAt(gc: number): number {
    const i32 = this.i32;
    return i32[(i32[(gc >> 2) + W_OBJ + W_TYPE]! + T_KIND) >> 2]!;
  }

  /** untrack_tuples: tuples holding only atoms and untracked tuples leave the collector. */
  untrackTuples(head: number): void {
    const i32 = this.views();
    const s = this.s;
    for (let gc = i32[(head >> 2) + W_NEXT]!; gc !== head; ) {
      const next = i32[(gc >> 2) + W_NEXT]!;
      if (this.kindAt(gc) === K_TUPLE) maybeUntrackTuple(s, gc + GC_HEAD_BYTES);
      gc = next;
    }
  }

  private readonly visitMayBeTracked = (o: number): void => {
    if (!this.sawTracked && mayBeTracked(this.s, o)) this.sawTracked = true;
  };

  /** untrack_dicts (full collections only): dicts holding nothing trackable leave the collector. */
  untrackDicts(head: number): void {
    const i32 = this.views();
    const s = this.s;
    for (let gc = i32[(head >> 2) + W_NEXT]!; gc !== head; ) {
      const next = i32[(gc >> 2) + W_NEXT]!;
      if (this.kindAt(gc) === K_DICT) {
        this.sawTracked = false;
        s.traverse(gc + GC_HEAD_BYTES, this.visitMayBeTracked, 0);
        if (!this.sawTracked) s.gcl.untrack(gc + GC_HEAD_BYTES);
      }
      gc = next;
    }
  }

  /* ---------------- legacy finalizers ---------------- */

  /**
   * move_legacy_finalizers: clear UNREACHABLE on every member of `unreachable`, and move the
   * members with a legacy tp_del to `finalizers` (no longer COLLECTING: they will survive).
   */
  moveLegacyFinalizers(unreachable: number, finalizers: number): void {
    const i32 = this.views();
    const s = this.s;
    for (let gc = i32[(unreachable >> 2) + W_NEXT]!; gc !== unreachable; ) {
      const w = gc >> 2;
      const next = i32[w + W_NEXT]!;
      i32[w + W_FLAGS] = i32[w + W_FLAGS]! & ~GC_UNREACHABLE;
      if (s.hasLegacyDel(gc + GC_HEAD_BYTES)) {
        i32[w + W_FLAGS] = i32[w + W_FLAGS]! & ~GC_COLLECTING;
        this.move(gc, finalizers);
      }
      gc = next;
    }
  }

  private finalizersHead = 0;

  /** visit_move: an unreachable member referenced from `finalizers` joins it. */
  private readonly visitMove = (o: number): void => {
    if (!this.isGC(o)) return;
    const i32 = this.i32;
    const w = (o >> 2) - W_OBJ;
    if ((i32[w + W_FLAGS]! & GC_COLLECTING) === 0) return;
    i32[w + W_FLAGS] = i32[w + W_FLAGS]! & ~GC_COLLECTING;
    this.move(w << 2, this.finalizersHead);
  };

  /** move_legacy_finalizer_reachable: everything a legacy finalizer reaches is uncollectable. */
  moveLegacyFinalizerReachable(finalizers: number): void {
    const i32 = this.views();
    const s = this.s;
    this.finalizersHead = finalizers;
    // the ring grows while it is walked: that is the work list
    for (let gc = i32[(finalizers >> 2) + W_NEXT]!; gc !== finalizers; gc = i32[(gc >> 2) + W_NEXT]!) {
      s.traverse(gc + GC_HEAD_BYTES, this.visitMove, 0);
    }
  }

  /** Is the object's GC header flagged COLLECTING (a member of the set being collected)? */
  isCollecting(o: number): boolean {
    return (this.s.i32[((o - GC_HEAD_BYTES) >> 2) + W_FLAGS]! & GC_COLLECTING) !== 0;
  }

  clearCollectingOf(gc: number): void {
    const i32 = this.views();
    i32[(gc >> 2) + W_FLAGS] = i32[(gc >> 2) + W_FLAGS]! & NOT_COLLECTING;
  }
}

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

import { GC_FINALIZED, GC_HEAD_BYTES } from '../objects/header.ts';
import { K_TYPE, K_WEAKREF, TPFLAGS_HAS_FINALIZE, TPFLAGS_LEGACY_DEL, TPFLAGS_WEAKREFABLE } from '../objects/kinds.ts';
import type { ObjectSpace } from '../objects/space.ts';
import { maybeUntrackTuple, mayBeTracked } from '../objects/tuple.ts';
import { weaklistOffset } from '../objects/weakref.ts';

/*
 * Hot-path constants, repeated here as literals on purpose (as objects/gc-lists.ts does): V8 folds a
 * module's own literal constants into the machine code but loads (and hole-checks) an imported
 * binding, or a constant derived from one, at every use. test/gc/mirrors.test.ts checks every
 * copy against its one definition (header.ts, kinds.ts, list.ts).
 */
/** GC header words: gc_next, gc_prev, gc_refs, gc_flags; the object starts W_OBJ words later */
const W_NEXT = 0;
const W_PREV = 1;
const W_REFS = 2;
const W_FLAGS = 3;
const W_OBJ = 4;
/** object header: ob_type's word, ob_size's word */
const W_TYPE = 2;
const W_SIZE = 4;
/** type object: tp_flags and the kind, as byte offsets */
const T_FLAGS = 20;
const T_KIND = 16;
const TPFLAGS_HAVE_GC = 16384;
const K_TUPLE = 8;
const K_LIST = 9;
const K_DICT = 10;
/** gc_flags bits */
const GC_COLLECTING = 2;
const GC_UNREACHABLE = 4;
const NOT_COLLECTING = ~(GC_COLLECTING | GC_UNREACHABLE);
/* The fast paths' view of the two commonest containers (list.ts and tuple.ts define them):
 * a list's item block pointer and a tuple's first item, as word deltas; items are PTR apart. */
const W_LIST_ITEMS = 6;
const W_TUPLE_ITEMS = 6;
const WORDS_PER_ITEM = 2;
export const MIRRORS = {
  W_NEXT, W_PREV, W_REFS, W_FLAGS, W_OBJ, W_TYPE, W_SIZE, T_FLAGS, T_KIND, TPFLAGS_HAVE_GC, K_TUPLE, K_LIST, K_DICT,
  GC_COLLECTING, GC_UNREACHABLE, W_LIST_ITEMS, W_TUPLE_ITEMS, WORDS_PER_ITEM,
};

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

  /**
   * Take the object space's current views (at the start of every pass and ring operation). The
   * buffer may have grown meanwhile (by this thread's finalizers, or by other threads while a
   * finalizer released the GIL): a store through a view that does not reach an object would be
   * silently dropped, so follow the growth first (one load when nothing grew).
   */
  private views(): Int32Array {
    this.s.syncIfGrown();
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
  private decrefChild(o: number): void {
    const i32 = this.i32;
    if ((i32[(i32[(o >> 2) + W_TYPE]! + T_FLAGS) >> 2]! & TPFLAGS_HAVE_GC) === 0) return;
    const w = (o >> 2) - W_OBJ;
    if ((i32[w + W_FLAGS]! & GC_COLLECTING) !== 0) i32[w + W_REFS] = i32[w + W_REFS]! - 1;
  }

  private readonly visitDecref = (o: number): void => this.decrefChild(o);

  /**
   * subtract_refs: remove the references members hold to members. Lists and tuples (most of
   * any heap) are walked inline, word by word, exactly as listTraverse / tupleTraverse do; every
   * other kind goes through the object space's traverse.
   */
  subtractRefs(head: number): void {
    const i32 = this.views();
    const s = this.s;
    const visit = this.visitDecref;
    for (let gc = i32[(head >> 2) + W_NEXT]!; gc !== head; gc = i32[(gc >> 2) + W_NEXT]!) {
      const w = (gc >> 2) + W_OBJ;
      const kind = i32[(i32[w + W_TYPE]! + T_KIND) >> 2]!;
      if (kind === K_LIST) {
        const n = i32[w + W_SIZE]!;
        const base = i32[w + W_LIST_ITEMS]! >> 2;
        for (let i = 0; i < n; i++) {
          const it = i32[base + i * WORDS_PER_ITEM]!;
          if (it !== 0) this.decrefChild(it);
        }
      } else if (kind === K_TUPLE) {
        const n = i32[w + W_SIZE]!;
        const base = w + W_TUPLE_ITEMS;
        for (let i = 0; i < n; i++) {
          const it = i32[base + i * WORDS_PER_ITEM]!;
          if (it !== 0) this.decrefChild(it);
        }
      } else {
        s.traverse(gc + GC_HEAD_BYTES, visit, 0);
      }
    }
  }

  /** visit_reachable: o is referenced by a reachable member, so it is reachable too. */
  private reachChild(o: number): void {
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
  }

  private readonly visitReachable = (o: number): void => this.reachChild(o);

  /** Traverse a reachable member: lists and tuples inline (as subtractRefs), the rest generic. */
  private scanReachable(gc: number): void {
    const i32 = this.i32;
    const w = (gc >> 2) + W_OBJ;
    const kind = i32[(i32[w + W_TYPE]! + T_KIND) >> 2]!;
    if (kind === K_LIST) {
      const n = i32[w + W_SIZE]!;
      const base = i32[w + W_LIST_ITEMS]! >> 2;
      for (let i = 0; i < n; i++) {
        const it = i32[base + i * WORDS_PER_ITEM]!;
        if (it !== 0) this.reachChild(it);
      }
    } else if (kind === K_TUPLE) {
      const n = i32[w + W_SIZE]!;
      const base = w + W_TUPLE_ITEMS;
      for (let i = 0; i < n; i++) {
        const it = i32[base + i * WORDS_PER_ITEM]!;
        if (it !== 0) this.reachChild(it);
      }
    } else {
      this.s.traverse(gc + GC_HEAD_BYTES, this.visitReachable, 0);
    }
  }

  /**
   * move_unreachable: split young into reachable (stays, COLLECTING cleared) and unreachable
   * (moved, COLLECTING and UNREACHABLE set).
   */
  moveUnreachable(young: number, unreachable: number): void {
    const i32 = this.views();
    this.young = young;
    let gc = i32[(young >> 2) + W_NEXT]!;
    while (gc !== young) {
      const w = gc >> 2;
      if (i32[w + W_REFS] !== 0) {
        this.scanReachable(gc);
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

  private readonly visitMayBeTracked = (o: number): void => {
    if (!this.sawTracked && mayBeTracked(this.s, o)) this.sawTracked = true;
  };

  /**
   * CPython's untrack_tuples(young), then (full collections only, `dicts`) untrack_dicts(young),
   * then gc_list_size(young), fused into one walk: tuples holding only atoms and untracked
   * tuples, and dicts holding nothing trackable, leave the collector. Returns how many members
   * stay in the ring. (Fused, a dict met before a tuple that the same walk untracks still sees
   * it tracked and stays tracked until the next full collection; CPython's separate walks would
   * untrack both at once. Only the timing of an untrack differs, never what is collected.)
   */
  untrackAtoms(head: number, dicts: boolean): number {
    const i32 = this.views();
    const s = this.s;
    let n = 0;
    for (let gc = i32[(head >> 2) + W_NEXT]!; gc !== head; ) {
      const w = gc >> 2;
      const next = i32[w + W_NEXT]!;
      const kind = i32[(i32[w + W_OBJ + W_TYPE]! + T_KIND) >> 2]!;
      if (kind === K_TUPLE) {
        maybeUntrackTuple(s, gc + GC_HEAD_BYTES);
      } else if (kind === K_DICT && dicts) {
        this.sawTracked = false;
        s.traverse(gc + GC_HEAD_BYTES, this.visitMayBeTracked, 0);
        if (!this.sawTracked) s.gcl.untrack(gc + GC_HEAD_BYTES);
      }
      if (i32[w + W_NEXT] !== 0) n++;
      gc = next;
    }
    return n;
  }

  /* ---------------- legacy finalizers ---------------- */

  /* What moveLegacyFinalizers saw in the garbage, so the collection can skip the steps that
   * would find nothing to do (a garbage set with no finalizer and no weakref runs no Python code,
   * so nothing can be resurrected: see collect.ts). */
  /** members left in `unreachable` (not moved to `finalizers`) */
  garbageCount = 0;
  /** members whose PEP 442 finalizer has not run yet */
  sawFinalizers = false;
  /** members that are weakrefs or carry a non-empty weakref list */
  sawWeakrefs = false;

  /**
   * move_legacy_finalizers: clear UNREACHABLE on every member of `unreachable`, and move the
   * members with a legacy tp_del to `finalizers` (no longer COLLECTING: they will survive).
   * The same walk notes finalizers and weakrefs among the rest.
   */
  moveLegacyFinalizers(unreachable: number, finalizers: number): void {
    const i32 = this.views();
    let count = 0;
    let finalizable = false;
    let weakly = false;
    for (let gc = i32[(unreachable >> 2) + W_NEXT]!; gc !== unreachable; ) {
      const w = gc >> 2;
      const next = i32[w + W_NEXT]!;
      const flags = i32[w + W_FLAGS]! & ~GC_UNREACHABLE;
      const t = i32[w + W_OBJ + W_TYPE]!;
      const tflags = i32[(t + T_FLAGS) >> 2]!;
      if ((tflags & TPFLAGS_LEGACY_DEL) !== 0) {
        i32[w + W_FLAGS] = flags & ~GC_COLLECTING;
        this.move(gc, finalizers);
      } else {
        i32[w + W_FLAGS] = flags;
        count++;
        if ((tflags & TPFLAGS_HAS_FINALIZE) !== 0 && (flags & GC_FINALIZED) === 0) finalizable = true;
        if (!weakly && this.weaklyReferenced(gc + GC_HEAD_BYTES, t)) weakly = true;
      }
      gc = next;
    }
    this.garbageCount = count;
    this.sawFinalizers = finalizable;
    this.sawWeakrefs = weakly;
  }

  /** Is o a weakref, or weakly referenced (a non-empty weakref list)? */
  private weaklyReferenced(o: number, t: number): boolean {
    const i32 = this.i32;
    const kind = i32[(t + T_KIND) >> 2]!;
    if (kind === K_WEAKREF) return true;
    // classes keep their weakref list in the type object; other kinds say so in their flags
    if ((i32[(t + T_FLAGS) >> 2]! & TPFLAGS_WEAKREFABLE) === 0 && kind !== K_TYPE) return false;
    const off = weaklistOffset(this.s, o);
    return off !== 0 && i32[(o + off) >> 2] !== 0;
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

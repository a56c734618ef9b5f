/*
 * `biased` reference counts: PEP 703's biased reference counting (CPython 3.13t).
 * ===============================================================================
 *
 * Most objects are only ever touched by the thread that made them. So each object records an
 * OWNER (ob_tid, the owning thread's ident, see objects/brc.ts) and carries two counts:
 *
 *   ob_ref_local   +0   changed by the owner only, with plain loads and stores (no atomics)
 *   ob_ref_shared  +12  changed by every other thread with Atomics, as (count << 2) | state
 *
 * The object's count is local + shared (sys.getrefcount). The two low bits of ob_ref_shared are
 * the state (header.ts): DEFAULT, WEAKREFS (may have weak references), QUEUED (queued to its
 * owner for a merge), MERGED (the owner gave it up: ob_tid = 0, ob_ref_local = 0, the whole
 * count is in the shared word).
 *
 *   incref   owner: local + 1. Anyone else: Atomics.add(shared, 1 << 2).
 *   decref   owner: local - 1; at zero _Py_MergeZeroLocalRefcount: shared 0 -> free at once;
 *            otherwise mark MERGED (ob_tid = 0) and free if the shared count is zero too.
 *            Anyone else (_Py_DecRefShared): if the shared word is 0 (or WEAKREFS with count 0)
 *            the decref cannot be applied without knowing the owner's local count, so the word
 *            becomes QUEUED and the object is queued to its owner (the queue holds the reference
 *            being dropped); the owner merges at its next eval-breaker poll
 *            (_Py_ExplicitMergeRefcount with -1: local + shared - 1, MERGED, free at zero). Any
 *            other shared word just loses 1 << 2, possibly going negative (the owner still holds
 *            local references that balance it). A MERGED word reaching exactly MERGED (count 0)
 *            frees the object.
 *   immortal objects (ob_ref_local >= IMMORTAL_REFCNT) are never written, as in the other
 *            strategies.
 *
 * ob_tid's top bit is OB_SHARED (header.ts), not part of the owner id: compares mask it off.
 *
 * An object with ob_tid == 0 has no owner (it was made by a thread that is not a Python thread,
 * or its count was merged): every thread takes the shared path, and a decref that would queue it
 * merges it at once instead (nobody else could). The same happens when the owner has exited
 * (brc.ts: its queue is closed), so objects of dead threads never leak.
 *
 * tryIncref (CPython's _Py_TryIncref) is the reader's side of a lock-free read from a shared
 * container: it takes a reference unless the object is dying. The owner tests local > 0; others
 * refuse a shared word of exactly 0 or MERGED (count 0), because there the object may be at zero
 * (the caller then falls back to reading under the container's lock).
 */

import type { RefcountStrategy } from './strategy.ts';

/*
 * Hot-path constants, repeated here as literals on purpose: V8 folds a module's own literal
 * constants into the machine code but loads (and TDZ-checks) an imported binding at every use,
 * about 0.4 ns each on these paths. test/objects/mirrors.test.ts checks every copy against its
 * definition.
 */
const IMMORTAL_REFCNT = 0x3fffffff;
const W_REFCNT = 0;
const W_TID = 1;
const W_REF_SHARED = 3;
const SHARED_SHIFT = 2;
const SHARED_STATE_MASK = 3;
const SHARED_DEFAULT = 0;
const SHARED_WEAKREFS = 1;
const SHARED_QUEUED = 2;
const SHARED_MERGED = 3;
const OB_SHARED = 1 << 31;
const TID_MASK = ~OB_SHARED;
export const MIRRORS = {
  IMMORTAL_REFCNT, W_REFCNT, W_TID, W_REF_SHARED, SHARED_SHIFT, SHARED_STATE_MASK, SHARED_DEFAULT,
  SHARED_WEAKREFS, SHARED_QUEUED, SHARED_MERGED, OB_SHARED, TID_MASK,
};
/** one shared reference: 1 << SHARED_SHIFT */
const SHARED_ONE = 1 << SHARED_SHIFT;
/** matches no ob_tid (idents are > 0; 0 means "no owner") */
const NOT_AN_OWNER = -1;

/** Where a queued object goes (objects/brc.ts implements it). */
export interface BrcQueue {
  /**
   * Queue o (shared word just set to QUEUED) to the thread with ident `owner`, which merges it at
   * its next poll. When that thread is gone, merge here instead: returns true when the merged
   * count is zero (the caller deallocates).
   */
  queue(o: number, owner: number): boolean;
}

export class BiasedRefcount implements RefcountStrategy {
  readonly kind = 'biased' as const;
  /** this thread's ident: the owner id of objects it makes; 0 while no Python thread is bound */
  tid = 0;
  /** the ident an object's ob_tid is compared with: tid, or NOT_AN_OWNER while tid is 0 */
  private me = NOT_AN_OWNER;
  private declare i32: Int32Array;
  /** where queued objects go; until the object space plugs objects/brc.ts in, merge at once */
  declare brc: BrcQueue;

  constructor(i32: Int32Array) {
    this.i32 = i32;
    this.brc = { queue: (o) => this.explicitMerge(o, -1) === 0 };
  }

  setView(i32: Int32Array): void {
    this.i32 = i32;
  }

  setOwner(tid: number): void {
    this.tid = tid;
    this.me = tid === 0 ? NOT_AN_OWNER : tid;
  }

  incref(o: number): void {
    const w = o >> 2;
    const local = this.i32[w]!;
    if (local >= IMMORTAL_REFCNT) return;
    if ((this.i32[w + W_TID]! & TID_MASK) === this.me) this.i32[w] = local + 1;
    else Atomics.add(this.i32, w + W_REF_SHARED, SHARED_ONE);
  }

  decref(o: number): boolean {
    const w = o >> 2;
    const local = this.i32[w]!;
    if (local >= IMMORTAL_REFCNT) return false;
    if ((this.i32[w + W_TID]! & TID_MASK) === this.me) {
      this.i32[w] = local - 1;
      return local === 1 && this.mergeZeroLocal(w);
    }
    return this.decrefShared(o);
  }

  /** local + shared: the count sys.getrefcount reports (minus its own reference). */
  count(o: number): number {
    const w = o >> 2;
    const local = Atomics.load(this.i32, w);
    if (local >= IMMORTAL_REFCNT) return local;
    return local + (Atomics.load(this.i32, w + W_REF_SHARED) >> SHARED_SHIFT);
  }

  /**
   * Overwrite the count of an object nobody else can reach (a new or dead object: creation of
   * an immortal, a finalizer's revival): this thread owns it, all of it local.
   */
  setCount(o: number, n: number): void {
    const w = o >> 2;
    this.i32[w + W_TID] = n >= IMMORTAL_REFCNT ? 0 : this.tid | (this.i32[w + W_TID]! & OB_SHARED);
    Atomics.store(this.i32, w + W_REF_SHARED, 0);
    Atomics.store(this.i32, w, n);
  }

  tryIncref(o: number): boolean {
    const w = o >> 2;
    const local = this.i32[w]!;
    if (local >= IMMORTAL_REFCNT) return true;
    if ((this.i32[w + W_TID]! & TID_MASK) === this.me) {
      if (local <= 0) return false;
      this.i32[w] = local + 1;
      return true;
    }
    return this.tryIncrefShared(w);
  }

  /** _PyObject_SetMaybeWeakref: a weakref to o exists, so shared try-increfs at count 0 are sound. */
  setMaybeWeakref(o: number): void {
    const w = o >> 2;
    if (this.i32[w]! >= IMMORTAL_REFCNT) return;
    for (;;) {
      const shared = Atomics.load(this.i32, w + W_REF_SHARED);
      if ((shared & SHARED_STATE_MASK) !== SHARED_DEFAULT) return;
      if (Atomics.compareExchange(this.i32, w + W_REF_SHARED, shared, shared | SHARED_WEAKREFS) === shared) return;
    }
  }

  /* ---- slow paths ---- */

  /** _Py_MergeZeroLocalRefcount: the owner's local count just reached zero. */
  private mergeZeroLocal(w: number): boolean {
    const i32 = this.i32;
    let shared = Atomics.load(i32, w + W_REF_SHARED);
    if (shared === 0) return true;
    Atomics.and(i32, w + W_TID, OB_SHARED); // no owner any more (the OB_SHARED bit stays)
    for (;;) {
      const next = (shared & ~SHARED_STATE_MASK) | SHARED_MERGED;
      const seen = Atomics.compareExchange(i32, w + W_REF_SHARED, shared, next);
      if (seen === shared) return next === SHARED_MERGED;
      shared = seen;
    }
  }

  /** _Py_DecRefShared: a thread that does not own o drops a reference. */
  private decrefShared(o: number): boolean {
    const i32 = this.i32;
    const w = o >> 2;
    let shared = Atomics.load(i32, w + W_REF_SHARED);
    for (;;) {
      const queue = shared === SHARED_DEFAULT || shared === SHARED_WEAKREFS;
      const next = queue ? SHARED_QUEUED : (shared - SHARED_ONE) | 0;
      const seen = Atomics.compareExchange(i32, w + W_REF_SHARED, shared, next);
      if (seen === shared) {
        if (queue) return this.queueOrMerge(o);
        return next === SHARED_MERGED;
      }
      shared = seen;
    }
  }

  /** The shared word is now QUEUED with o's reference in it: hand o to its owner. */
  private queueOrMerge(o: number): boolean {
    const owner = Atomics.load(this.i32, (o >> 2) + W_TID) & TID_MASK;
    if (owner === 0) return this.explicitMerge(o, -1) === 0;
    return this.brc.queue(o, owner);
  }

  private tryIncrefShared(w: number): boolean {
    const i32 = this.i32;
    let shared = Atomics.load(i32, w + W_REF_SHARED);
    for (;;) {
      if (shared === SHARED_DEFAULT || shared === SHARED_MERGED) return false;
      const seen = Atomics.compareExchange(i32, w + W_REF_SHARED, shared, (shared + SHARED_ONE) | 0);
      if (seen === shared) return true;
      shared = seen;
    }
  }

  /**
   * _Py_ExplicitMergeRefcount: fold the local count into the shared word, plus `extra`, and mark
   * it MERGED; the object has no owner afterwards. Only a thread entitled to the local count may
   * call it: its owner, or anyone once the owner is gone. Returns the merged count.
   */
  explicitMerge(o: number, extra: number): number {
    const i32 = this.i32;
    const w = o >> 2;
    let shared = Atomics.load(i32, w + W_REF_SHARED);
    let count: number;
    for (;;) {
      count = (shared >> SHARED_SHIFT) + i32[w + W_REFCNT]! + extra;
      const seen = Atomics.compareExchange(i32, w + W_REF_SHARED, shared, (count << SHARED_SHIFT) | SHARED_MERGED);
      if (seen === shared) break;
      shared = seen;
    }
    Atomics.store(i32, w + W_REFCNT, 0);
    Atomics.and(i32, w + W_TID, OB_SHARED);
    return count;
  }
}

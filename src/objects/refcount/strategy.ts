/*
 * Reference counting strategies.
 * ==============================
 *
 * How a count changes is chosen once, when the runtime is created (`--refcount`):
 *
 *   plain    non-atomic loads and stores, as CPython does under the GIL (plain.ts)
 *   atomic   Atomics.add / Atomics.sub on the ob_refcnt word, what a GIL-less CPython without
 *            biasing would pay (atomic.ts)
 *   biased   PEP 703: the owner thread counts in ob_ref_local without atomics, others in
 *            ob_ref_shared with atomics, objects whose shared count would go below zero are
 *            queued to their owner (biased.ts; header.ts documents the words, brc.ts the queues)
 *
 * A strategy only changes counts; what happens at zero (dealloc) is the object space's job, so a
 * strategy's decref reports "reached zero" and the caller deallocates. Immortal objects are
 * tested first and never written. Each method is tiny and allocation-free so V8 inlines it into
 * its caller (a call site sees one strategy class per runtime).
 */

/** The reference counting strategies (chosen when the runtime is created). */
export type RefcountKind = 'plain' | 'atomic' | 'biased';

export interface RefcountStrategy {
  readonly kind: RefcountKind;
  /** the value written into ob_tid of a new object (0 unless biased) */
  readonly tid: number;
  /** biased: this JS thread now runs the Python thread with this ident (0: none); else a no-op */
  setOwner(tid: number): void;
  incref(o: number): void;
  /** Drop one reference; true when the count reached zero (the caller deallocates). */
  decref(o: number): boolean;
  /** The count as sys.getrefcount sees it (minus the call's own reference). */
  count(o: number): number;
  /** Overwrite the count (object creation, resurrection by a finalizer). */
  setCount(o: number, n: number): void;
  /**
   * Take a reference unless o is dying (CPython's _Py_TryIncref): for a reader that found o in a
   * shared container without holding its lock. False means "fall back to the locked path".
   */
  tryIncref(o: number): boolean;
  /** biased: o may have weak references (the WEAKREFS shared state); else a no-op */
  setMaybeWeakref(o: number): void;
  /** Use these views from now on (the buffer grew). */
  setView(i32: Int32Array): void;
}

/*
 * `atomic` reference counts: Atomics.add / Atomics.sub on ob_refcnt, so threads running without
 * a GIL never lose an update. The immortal test is a plain load: an immortal count is never
 * written, and a mortal one cannot reach IMMORTAL_REFCNT by ordinary use.
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
export const MIRRORS = { IMMORTAL_REFCNT, W_REFCNT };

export class AtomicRefcount implements RefcountStrategy {
  readonly kind = 'atomic' as const;
  readonly tid = 0;
  private declare i32: Int32Array;

  constructor(i32: Int32Array) {
    this.i32 = i32;
  }

  /** New views after the buffer grew (ObjectSpace.sync). */
  setView(i32: Int32Array): void {
    this.i32 = i32;
  }

  incref(o: number): void {
    const i = (o >> 2) + W_REFCNT;
    if (this.i32[i]! < IMMORTAL_REFCNT) Atomics.add(this.i32, i, 1);
  }

  decref(o: number): boolean {
    const i = (o >> 2) + W_REFCNT;
    if (this.i32[i]! >= IMMORTAL_REFCNT) return false;
    return Atomics.sub(this.i32, i, 1) === 1;
  }

  count(o: number): number {
    return Atomics.load(this.i32, (o >> 2) + W_REFCNT);
  }

  setCount(o: number, n: number): void {
    Atomics.store(this.i32, (o >> 2) + W_REFCNT, n);
  }

  setOwner(_tid: number): void {}

  /** Increment unless the count is zero (a compare-and-swap loop: never resurrect a dying object). */
  tryIncref(o: number): boolean {
    const i = (o >> 2) + W_REFCNT;
    let rc = Atomics.load(this.i32, i);
    for (;;) {
      if (rc >= IMMORTAL_REFCNT) return true;
      if (rc <= 0) return false;
      const seen = Atomics.compareExchange(this.i32, i, rc, rc + 1);
      if (seen === rc) return true;
      rc = seen;
    }
  }

  setMaybeWeakref(_o: number): void {}
}

/*
 * `plain` reference counts: ordinary loads and stores of ob_refcnt, as CPython under the GIL.
 * Correct only while one thread at a time touches objects (a GIL policy); `resolveConfig`
 * picks `atomic` when the GIL is off.
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

export class PlainRefcount implements RefcountStrategy {
  readonly kind = 'plain' as const;
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
    const rc = this.i32[i]!;
    if (rc < IMMORTAL_REFCNT) this.i32[i] = rc + 1;
  }

  decref(o: number): boolean {
    const i = (o >> 2) + W_REFCNT;
    const rc = this.i32[i]!;
    if (rc >= IMMORTAL_REFCNT) return false;
    this.i32[i] = rc - 1;
    return rc === 1;
  }

  count(o: number): number {
    return this.i32[(o >> 2) + W_REFCNT]!;
  }

  setCount(o: number, n: number): void {
    this.i32[(o >> 2) + W_REFCNT] = n;
  }

  setOwner(_tid: number): void {}

  /** One thread at a time (a GIL): a live object simply has a count above zero. */
  tryIncref(o: number): boolean {
    const i = (o >> 2) + W_REFCNT;
    const rc = this.i32[i]!;
    if (rc >= IMMORTAL_REFCNT) return true;
    if (rc <= 0) return false;
    this.i32[i] = rc + 1;
    return true;
  }

  setMaybeWeakref(_o: number): void {}
}

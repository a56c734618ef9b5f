/*
 * The core of the heap property tests' model: the blocks that should be live, each with its size
 * and a content seed, in an order a random pick can take from. Content is written at some
 * positions of a block (the test chooses which, and the byte pattern) and checked later.
 */
import type { Heap } from '../../src/index.ts';

/** Calls f with each content position written and checked in a block of n bytes. */
export type Positions = (n: number, f: (i: number) => void) => void;

export class BlockModel {
  readonly live = new Map<number, { size: number; seed: number }>();
  readonly order: number[] = [];
  seed = 1;

  constructor(
    readonly h: Heap,
    private readonly positions: Positions,
    private readonly byte: (seed: number, i: number) => number,
  ) {}

  write(p: number, size: number, seed: number): void {
    const u8 = this.h.mem.u8;
    this.positions(size, (i) => (u8[p + i] = this.byte(seed, i)));
  }

  /** Check the content of a block written with (size, seed), up to `upto` bytes. */
  check(p: number, size: number, seed: number, upto = size): void {
    const u8 = this.h.mem.u8;
    let bad = -1;
    this.positions(size, (i) => {
      if (bad < 0 && i < upto && u8[p + i] !== this.byte(seed, i)) bad = i;
    });
    if (bad >= 0) throw new Error(`block ${p} (${size} B): byte ${bad} changed`);
  }

  /** A new live block: a fresh seed, its content written, pickable. */
  record(p: number, size: number): void {
    const seed = this.seed++;
    this.write(p, size, seed);
    this.live.set(p, { size, seed });
    this.order.push(p);
  }

  /** Take a random live block out of the pickable order (the caller updates `live`). */
  take(pick: number): number | undefined {
    if (this.order.length === 0) return undefined;
    const i = pick % this.order.length;
    const p = this.order[i]!;
    this.order[i] = this.order[this.order.length - 1]!;
    this.order.pop();
    return p;
  }
}

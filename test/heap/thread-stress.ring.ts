/*
 * A single-producer single-consumer ring of block offsets in the shared buffer, for the thread
 * heap stress test: worker i pushes blocks into ring (i + 1) % N, worker (i + 1) % N pops and frees
 * them. head (consumer) and tail (producer) on separate cache lines; slots written before the
 * tail is published with Atomics.store.
 */
import type { Memory } from '../../src/heap/layout.ts';

export const RING_SLOTS = 16384;
const LINE = 64;
const HEAD = 0;
const TAIL = LINE;
const SLOTS = 2 * LINE;
export const RING_BYTES = SLOTS + RING_SLOTS * 4;

/** What a block holds in its first word while it is live (its second holds the complement). */
export const tagOf = (p: number): number => (p ^ 0x5a5a5a5a) | 0;

export class Ring {
  private readonly base: number;
  constructor(
    private readonly mem: Memory,
    rings: number,
    index: number,
  ) {
    this.base = rings + index * RING_BYTES;
  }

  push(p: number): boolean {
    const i32 = this.mem.i32;
    const tail = Atomics.load(i32, (this.base + TAIL) >> 2);
    if (tail - Atomics.load(i32, (this.base + HEAD) >> 2) >= RING_SLOTS) return false;
    i32[((this.base + SLOTS) >> 2) + (tail % RING_SLOTS)] = p;
    Atomics.store(i32, (this.base + TAIL) >> 2, tail + 1);
    return true;
  }

  /** The next block, or 0 when empty. */
  pop(): number {
    const i32 = this.mem.i32;
    const head = Atomics.load(i32, (this.base + HEAD) >> 2);
    if (head === Atomics.load(i32, (this.base + TAIL) >> 2)) return 0;
    const p = i32[((this.base + SLOTS) >> 2) + (head % RING_SLOTS)]!;
    Atomics.store(i32, (this.base + HEAD) >> 2, head + 1);
    return p;
  }
}

/** Wait (bounded) until `n` workers have arrived at the barrier word at byte offset `at`. */
export function barrier(mem: Memory, at: number, n: number, timeoutMs: number): void {
  const i32 = mem.i32;
  const w = at >> 2;
  Atomics.add(i32, w, 1);
  Atomics.notify(i32, w);
  const deadline = performance.now() + timeoutMs;
  for (let v = Atomics.load(i32, w); v < n; v = Atomics.load(i32, w)) {
    if (performance.now() > deadline) throw new Error(`barrier: ${v} of ${n} workers arrived`);
    Atomics.wait(i32, w, v, 10);
  }
}

/*
 * Heap benchmarks: the cost of pymalloc's fast path against the physical floor.
 *
 *   heap.alloc_free_32.ns     ns per malloc(32) + free through pymalloc (Heap.malloc/free: size
 *                             class, usedpools ring, pool header, freeblock list, live bitmap)
 *   heap.floor_32.ns          ns per pop + push on a bare free list of 32-byte blocks threaded
 *                             through the same kind of typed array the heap uses (a fixed-length
 *                             Int32Array over a growable SharedArrayBuffer, see "Fast views" in
 *                             src/heap/layout.ts), called the same way (methods malloc(n)/free(p)
 *                             on an object): the least any allocator can do
 *   heap.alloc_free_32.ratio  the first over the second (goal: <= 2.0)
 *
 * Each task iteration runs BATCH pairs so that the timer's own cost is negligible; a few live
 * blocks are kept so that the pool is neither empty nor full (no slow path on either side).
 * Both objects keep their fields typed (see the note atop HeapState in src/heap/state.ts) and both
 * loops do the same int32 work with the result, so the ratio compares the allocators alone.
 *
 * Where the ratio stands (Node 20, measured by removing one piece at a time): the floor's head is
 * one word at a fixed index, while pymalloc's fast path reads and writes the pool header, the
 * freeblock list and the ref.count at data-dependent offsets, each with a bounds check; of the
 * ~4.9 ns per pair, ref.count (++ in malloc, -- in free, as CPython) costs ~0.8 ns and the exact
 * live bitmap ~0.5 ns. The goal of 2.0 is not reached by a faithful pymalloc on this engine.
 */
import { Bench } from 'tinybench';
import { createHeap, type Heap } from '../src/heap/index.ts';

const BATCH = 10_000;
const BLOCK = 32;
const LIVE = 8;

/** The floor: a LIFO list of fixed-size blocks, head in word 0, links in the blocks' first word. */
class BareFreeList {
  // `declare`: no class-field definition (which would first store undefined and leave the field
  // untyped); the heap's own fields are declared the same way (src/heap/state.ts).
  private declare readonly i32: Int32Array;
  constructor(blocks: number) {
    const bytes = BLOCK * (blocks + 1);
    const sab = new SharedArrayBuffer(bytes, { maxByteLength: bytes * 2 });
    this.i32 = new Int32Array(sab, 0, bytes >> 2);
    for (let i = 1; i <= blocks; i++) this.i32[(i * BLOCK) >> 2] = i < blocks ? (i + 1) * BLOCK : 0;
    this.i32[0] = BLOCK;
  }
  malloc(_n: number): number {
    const p = this.i32[0];
    this.i32[0] = this.i32[p >> 2];
    return p;
  }
  free(p: number): void {
    this.i32[p >> 2] = this.i32[0];
    this.i32[0] = p;
  }
}

/* One loop per allocator (two functions, so each call site stays monomorphic). */
function pairsHeap(heap: Heap, n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const p = heap.malloc(BLOCK);
    sum = (sum + p) | 0; // the same int32 work on both sides (offsets differ in size)
    heap.free(p);
  }
  return sum;
}

function pairsFloor(floor: BareFreeList, n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const p = floor.malloc(BLOCK);
    sum = (sum + p) | 0; // the same int32 work on both sides (offsets differ in size)
    floor.free(p);
  }
  return sum;
}

export default async function (): Promise<Record<string, number>> {
  const heap = createHeap({ maxBytes: 64 << 20 });
  const floor = new BareFreeList(64);
  for (let i = 0; i < LIVE; i++) {
    heap.malloc(BLOCK);
    floor.malloc(BLOCK);
  }
  let sink = 0;

  const bench = new Bench({ time: 1500, warmup: true });
  bench
    .add('pymalloc 32', () => {
      sink = (sink + pairsHeap(heap, BATCH)) | 0;
    })
    .add('floor 32', () => {
      sink = (sink + pairsFloor(floor, BATCH)) | 0;
    });
  await bench.run();

  const nsPerPair = (name: string): number => {
    const r = bench.getTask(name)?.result;
    if (!r || r.state !== 'completed') throw new Error(`benchmark '${name}' did not complete`);
    return (r.latency.p50 * 1e6) / BATCH;
  };
  const heapNs = nsPerPair('pymalloc 32');
  const floorNs = nsPerPair('floor 32');
  if (heap.verifyHeap().length !== 0) throw new Error(`heap unsound after the benchmark (sink ${sink})`);
  return {
    'heap.alloc_free_32.ns': round(heapNs),
    'heap.floor_32.ns': round(floorNs),
    'heap.alloc_free_32.ratio': round(heapNs / floorNs),
  };
}

const round = (x: number): number => Math.round(x * 1000) / 1000;

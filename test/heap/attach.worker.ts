/*
 * Worker side of attach.test.ts: attach to the creator's heap, check and free its blocks,
 * allocate new ones (growing the buffer), report back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Heap } from '../../src/heap/index.ts';
import { Memory, readLayout } from '../../src/heap/layout.ts';

interface Block {
  p: number;
  size: number;
  seed: number;
}
const { sab, blocks, grow } = workerData as { sab: SharedArrayBuffer; blocks: Block[]; grow: number };

const byte = (seed: number, i: number): number => (seed + i * 13) & 255;

try {
  const mem = new Memory(sab);
  const heap = Heap.attach(mem, readLayout(mem));
  const problems: string[] = [];
  for (const b of blocks) {
    if (!heap.isLiveBlock(b.p)) problems.push(`block ${b.p} not live in the worker`);
    if (heap.usableSize(b.p) < b.size) problems.push(`block ${b.p} too small in the worker`);
    for (let i = 0; i < b.size; i += 97) if (mem.u8[b.p + i] !== byte(b.seed, i)) problems.push(`block ${b.p} byte ${i} differs`);
  }
  for (const b of blocks) heap.free(b.p);
  const before = mem.byteLength;
  const mine: Block[] = [];
  for (let i = 0; i < 200; i++) {
    const size = i % 10 === 0 ? 3000 : 8 + (i % 500);
    const p = heap.malloc(size);
    for (let k = 0; k < size; k += 97) mem.u8[p + k] = byte(1000 + i, k);
    mine.push({ p, size, seed: 1000 + i });
  }
  const big = heap.malloc(grow); // past the creator's view of the buffer
  mem.u8[big] = 7;
  mem.u8[big + grow - 1] = 9;
  mine.push({ p: big, size: 0, seed: 0 });
  parentPort!.postMessage({ problems, mine, grew: mem.byteLength > before, verify: heap.verifyHeap() });
} catch (e) {
  parentPort!.postMessage({ error: String(e instanceof Error ? e.stack : e) });
}

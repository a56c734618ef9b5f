/*
 * Heap.attach from another thread: a worker sees the creator's blocks (live, same contents),
 * frees them, allocates its own (growing the buffer past the creator's views); the creator then
 * sees the worker's blocks and frees them. One allocator, all truth in the buffer.
 */
import { describe, expect, it } from 'vitest';
import { createHeap, type HeapProfile } from '../../src/index.ts';
import { runTsWorker } from './worker-bootstrap.ts';

const byte = (seed: number, i: number): number => (seed + i * 13) & 255;
const TIMEOUT_MS = 20_000;

interface Reply {
  error?: string;
  problems: string[];
  mine: Array<{ p: number; size: number; seed: number }>;
  grew: boolean;
  verify: string[];
}

function runWorker(workerData: unknown): Promise<Reply> {
  return runTsWorker<Reply>(new URL('./attach.worker.ts', import.meta.url), workerData, TIMEOUT_MS);
}

describe.each(['3.11', 'legacy'] as HeapProfile[])('profile %s', (profile) => {
  it('a worker attaches, sees and frees the creator\'s blocks; the creator sees the worker\'s', async () => {
    const h = createHeap({ profile, maxBytes: 64 << 20 });
    const blocks = [24, 100, 512, 513, 4000, 0, 70_000, 48].map((size, i) => {
      const p = h.malloc(size);
      for (let k = 0; k < size; k++) h.mem.u8[p + k] = byte(i, k);
      return { p, size, seed: i };
    });
    const viewBefore = h.mem.view.bytes;
    const grow = 8 << 20;
    const reply = await runWorker({ sab: h.mem.sab, blocks, grow });
    expect(reply.error).toBeUndefined();
    expect(reply.problems).toEqual([]);
    expect(reply.verify).toEqual([]);
    expect(reply.grew).toBe(true);
    expect(h.mem.byteLength).toBeGreaterThan(viewBefore);
    // First heap call after the worker grew the buffer: free its big block, which lies past this
    // thread's views (free must notice and take new views, not call it an invalid pointer).
    const big = reply.mine.pop()!;
    expect(big.p + grow).toBeGreaterThan(viewBefore);
    expect(h.mem.u8[big.p]).toBe(7);
    expect(h.mem.u8[big.p + grow - 1]).toBe(9);
    h.free(big.p);
    expect(h.isLiveBlock(big.p)).toBe(false);
    // the worker's frees are seen here: the live blocks are exactly the worker's (which may
    // reuse the addresses it freed: pymalloc's free lists are LIFO)
    const theirs = new Set(reply.mine.map((b) => b.p));
    expect(h.liveBlockCount()).toBe(theirs.size);
    for (const b of blocks) expect(h.isLiveBlock(b.p)).toBe(theirs.has(b.p));
    expect(blocks.some((b) => !theirs.has(b.p))).toBe(true);
    // the worker's blocks are live here, with its contents
    for (const b of reply.mine) {
      expect(h.isLiveBlock(b.p)).toBe(true);
      for (let k = 0; k < b.size; k += 97) expect(h.mem.u8[b.p + k]).toBe(byte(b.seed, k));
    }
    expect(h.verifyHeap()).toEqual([]);
    // and can free them, then allocate again (new pools may sit in arenas the worker carved)
    for (const b of reply.mine) h.free(b.p);
    expect(h.liveBlockCount()).toBe(0);
    for (let i = 0; i < 1000; i++) h.malloc(1 + (i % 512));
    expect(h.verifyHeap()).toEqual([]);
  });
});

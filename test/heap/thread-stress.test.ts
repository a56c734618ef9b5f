/*
 * Thread heaps under real parallelism: WORKERS worker threads, each with its own thread heap,
 * allocate, free their own blocks, pass blocks to the next worker through rings in the buffer
 * and free (or defer-free) the blocks passed to them, for a few seconds. Worker 0 exits half way
 * (its pools are abandoned while the others still free into them, and get adopted). Afterwards
 * the main thread frees what is left in the rings, adopts, passes quiescent points and collects:
 * no block may remain live, every pool must be back in its arena, verifyHeap() must be clean,
 * and no block may have been overwritten while live.
 */
import { describe, expect, it } from 'vitest';
import { createHeap, ThreadHeap } from '../../src/index.ts';
import { runTsWorker } from './worker-bootstrap.ts';
import { Ring, RING_BYTES, tagOf } from './thread-stress.ring.ts';

const WORKERS = 3;
const MS = 2500;
const TIMEOUT_MS = 40_000;
/** the start barrier's word, after the rings */
const BARRIER_BYTES = 64;

interface Reply {
  error?: string;
  ops: number;
  localFrees: number;
  crossFrees: number;
  deferred: number;
  passed: number;
  adopted: number;
  problems: string[];
}

function runWorker(workerData: unknown): Promise<Reply> {
  return runTsWorker<Reply>(new URL('./thread-stress.worker.ts', import.meta.url), workerData, TIMEOUT_MS);
}

describe('thread heaps in parallel workers', () => {
  it('cross-thread frees, abandonment and deferred frees leave nothing behind', async () => {
    const h = createHeap({ maxBytes: 256 << 20, maxThreads: WORKERS + 1 });
    const main = ThreadHeap.attach(h.mem, h.layout, { slot: 0 });
    const ringBytes = WORKERS * RING_BYTES + BARRIER_BYTES;
    const rings = main.malloc(ringBytes);
    h.mem.u8.fill(0, rings, rings + ringBytes);
    main.qsbrOffline(); // the main thread reads no block while the workers run
    const replies = await Promise.all(
      Array.from({ length: WORKERS }, (_, index) =>
        runWorker({ sab: h.mem.sab, rings, index, workers: WORKERS, ms: index === 0 ? MS / 2 : MS, seed: 12345 + index }),
      ),
    );
    for (const r of replies) expect(r.error).toBeUndefined();
    for (const r of replies) expect(r.problems).toEqual([]);
    for (const r of replies) expect(r.crossFrees).toBeGreaterThan(100);
    expect(replies.reduce((a, r) => a + r.deferred, 0)).toBeGreaterThan(0);

    main.qsbrOnline();
    let left = 0;
    for (let i = 0; i < WORKERS; i++) {
      const ring = new Ring(h.mem, rings, i);
      for (let p = ring.pop(); p !== 0; p = ring.pop()) {
        expect(h.mem.i32[p >> 2]).toBe(tagOf(p));
        main.free(p);
        left++;
      }
    }
    main.free(rings);
    main.adoptAbandoned(); // every worker abandoned its heap on exit
    for (let i = 0; i < 3; i++) main.quiescent();
    main.collect(true);
    const s = h.debugmallocstats();
    expect(s.abandonedThreads).toBe(0);
    expect(s.deferredFreesPending).toBe(0);
    expect(s.pendingCrossThreadFrees).toBe(0);
    expect(h.liveBlockCount()).toBe(0);
    expect(s.ownedPools).toBe(0);
    expect(s.rawBlocks).toBe(0);
    expect(h.verifyHeap()).toEqual([]);
    main.abandon();
    expect(h.debugmallocstats().threads).toEqual([]);
    expect(h.verifyHeap()).toEqual([]);
    const total = replies.reduce((a, r) => a + r.ops, 0);
    console.log(
      `thread-stress: ${total} ops, ${replies.map((r) => r.crossFrees).join('/')} cross-thread frees, ` +
        `${replies.reduce((a, r) => a + r.adopted, 0)} adoptions by workers, ${left} blocks left in rings, ` +
        `arena lock contended ${s.arenaLockContended} times`,
    );
  });
});

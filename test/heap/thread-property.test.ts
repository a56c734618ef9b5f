/*
 * Property test of the thread heaps in one JS thread: THREADS handles bound to different slots
 * play the threads, and a random sequence interleaves their mallocs, frees (of any handle's
 * blocks: most frees of another thread's block are cross-thread frees), reallocs, collects,
 * deferred frees with quiescent points, exits (abandon) and starts (bind to a free slot), and
 * adoptions. A model (live blocks, size, content seed) must agree with the heap after every batch,
 * and verifyHeap() must be clean; at the end everything is freed and collected: no block is live,
 * every pool went back to its arena.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createHeap, InvalidFree, MemoryError, ThreadHeap, type Heap, type HeapProfile } from '../../src/index.ts';
import { POOL_OWNER } from '../../src/heap/state.ts';
import { BlockModel } from './block-model.ts';

const THREADS = 3;
/** one slot more than handles, so that a handle that exits can start again in a free slot */
const SLOTS = THREADS + 1;
const BATCH = 400;

type Op =
  | { k: 'malloc'; t: number; size: number }
  | { k: 'free'; t: number; pick: number }
  | { k: 'realloc'; t: number; pick: number; size: number }
  | { k: 'defer'; t: number; pick: number }
  | { k: 'quiescent'; t: number }
  | { k: 'collect'; t: number; all: boolean }
  | { k: 'exit'; t: number }
  | { k: 'start'; t: number; slot: number }
  | { k: 'adopt'; t: number };

const sizeArb = fc.oneof(
  { weight: 85, arbitrary: fc.integer({ min: 1, max: 512 }) },
  { weight: 2, arbitrary: fc.constant(0) },
  { weight: 13, arbitrary: fc.integer({ min: 513, max: 20_000 }) },
);
const tArb = fc.nat({ max: THREADS - 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 40, arbitrary: fc.tuple(tArb, sizeArb).map(([t, size]): Op => ({ k: 'malloc', t, size })) },
  { weight: 30, arbitrary: fc.tuple(tArb, fc.nat()).map(([t, pick]): Op => ({ k: 'free', t, pick })) },
  { weight: 8, arbitrary: fc.tuple(tArb, fc.nat(), sizeArb).map(([t, pick, size]): Op => ({ k: 'realloc', t, pick, size })) },
  { weight: 6, arbitrary: fc.tuple(tArb, fc.nat()).map(([t, pick]): Op => ({ k: 'defer', t, pick })) },
  { weight: 6, arbitrary: tArb.map((t): Op => ({ k: 'quiescent', t })) },
  { weight: 3, arbitrary: fc.tuple(tArb, fc.boolean()).map(([t, all]): Op => ({ k: 'collect', t, all })) },
  { weight: 1, arbitrary: tArb.map((t): Op => ({ k: 'exit', t })) },
  { weight: 3, arbitrary: fc.tuple(tArb, fc.nat({ max: SLOTS - 1 })).map(([t, slot]): Op => ({ k: 'start', t, slot })) },
  { weight: 1, arbitrary: tArb.map((t): Op => ({ k: 'adopt', t })) },
);

const byte = (seed: number, i: number): number => (seed * 31 + i * 7) & 255;
const STRIDE = 61;

/** Every byte of a block's first 64, then every STRIDE-th. */
function stridePositions(n: number, f: (i: number) => void): void {
  for (let i = 0; i < n; i += i < 64 ? 1 : STRIDE) f(i);
}

class Model extends BlockModel {
  /** blocks given to freeDeferred: live until some quiescent point frees them */
  readonly deferred = new Set<number>();
  crossFrees = 0;

  constructor(
    h: Heap,
    readonly t: ThreadHeap[],
  ) {
    super(h, stridePositions, byte);
  }

  add(p: number, size: number): void {
    expect(this.live.has(p) || this.deferred.has(p), `malloc returned block ${p}, live or deferred`).toBe(false);
    this.record(p, size);
  }

  apply(op: Op): void {
    const th = this.t[op.t]!;
    try {
      switch (op.k) {
        case 'malloc':
          this.add(th.malloc(op.size), op.size);
          break;
        case 'free': {
          const p = this.take(op.pick);
          if (p === undefined) return;
          const b = this.live.get(p)!;
          this.check(p, b.size, b.seed);
          this.live.delete(p);
          if (this.h.mem.i32[((p & ~(this.h.geometry.POOL_SIZE - 1)) + POOL_OWNER) >> 2] !== th.ownerTag) this.crossFrees++;
          th.free(p);
          expect(th.isLiveBlock(p)).toBe(false);
          expect(() => th.free(p)).toThrow(InvalidFree);
          break;
        }
        case 'realloc': {
          const p = this.take(op.pick);
          if (p === undefined) return;
          const b = this.live.get(p)!;
          let q: number;
          try {
            q = th.realloc(p, op.size);
          } catch (e) {
            this.order.push(p);
            throw e;
          }
          this.live.delete(p);
          this.check(q, b.size, b.seed, Math.min(b.size, op.size));
          this.add(q, op.size);
          break;
        }
        case 'defer': {
          if (!th.bound) return;
          const p = this.take(op.pick);
          if (p === undefined) return;
          this.live.delete(p);
          this.deferred.add(p);
          th.freeDeferred(p);
          break;
        }
        case 'quiescent':
          th.quiescent();
          break;
        case 'collect':
          th.collect(op.all);
          break;
        case 'exit':
          th.abandon();
          break;
        case 'start': {
          if (th.bound) return;
          const s = this.t.some((o) => o.slot === op.slot);
          if (!s) th.bind(op.slot);
          break;
        }
        case 'adopt':
          th.adoptAbandoned();
          break;
      }
    } catch (e) {
      if (!(e instanceof MemoryError)) throw e;
    }
    this.settleDeferred();
  }

  /** A deferred block is live until really freed; then it leaves the model. Never reused early. */
  settleDeferred(): void {
    for (const p of this.deferred) if (!this.h.isLiveBlock(p)) this.deferred.delete(p);
  }

  /** Bind every handle, adopt what was abandoned, pass quiescent points until nothing is deferred. */
  quiesce(): void {
    for (const th of this.t) {
      if (!th.bound) th.bind([...Array(SLOTS).keys()].find((s) => !this.t.some((o) => o.slot === s))!);
    }
    this.t[0]!.adoptAbandoned();
    for (let round = 0; round < 3; round++) for (const th of this.t) th.quiescent();
    this.settleDeferred();
    expect(this.deferred.size).toBe(0);
  }

  verify(): void {
    this.quiesce();
    const h = this.h;
    expect(h.verifyHeap()).toEqual([]);
    let n = 0;
    h.forEachLiveBlock((p, usable) => {
      n++;
      const b = this.live.get(p);
      if (!b) throw new Error(`heap has live block ${p} the model does not`);
      expect(usable).toBeGreaterThanOrEqual(b.size);
      this.check(p, b.size, b.seed);
    });
    expect(n).toBe(this.live.size);
  }

  drain(): void {
    for (const [i, p] of this.order.entries()) this.t[i % THREADS]!.free(p);
    this.live.clear();
    this.order.length = 0;
    for (const th of this.t) th.collect(true);
    const h = this.h;
    expect(h.liveBlockCount()).toBe(0);
    expect(h.verifyHeap()).toEqual([]);
    const s = h.debugmallocstats();
    expect(s.ownedPools).toBe(0);
    expect(s.pendingCrossThreadFrees).toBe(0);
    expect(s.bytesInAllocatedBlocks).toBe(0);
    expect(s.rawSegments).toBe(0);
    for (const th of this.t) th.abandon();
    expect(h.verifyHeap()).toEqual([]);
    expect(h.debugmallocstats().threads).toEqual([]);
  }
}

describe.each(['3.11', 'legacy'] as HeapProfile[])('profile %s', (profile) => {
  it('random interleavings of thread heaps against a model, verified after every batch', () => {
    let ops = 0;
    let cross = 0;
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1500, maxLength: 2500 }), (seq) => {
        const h = createHeap({ profile, maxBytes: 128 << 20, maxThreads: SLOTS });
        const t = Array.from({ length: THREADS }, (_, slot) => ThreadHeap.attach(h.mem, h.layout, { slot }));
        const model = new Model(h, t);
        for (let i = 0; i < seq.length; i += BATCH) {
          for (const op of seq.slice(i, i + BATCH)) model.apply(op);
          model.verify();
        }
        model.drain();
        ops += seq.length;
        cross += model.crossFrees;
      }),
      { numRuns: 20, endOnFailure: true },
    );
    expect(ops).toBeGreaterThanOrEqual(30_000);
    expect(cross).toBeGreaterThan(ops / 10); // the sequences really free across threads
  });
});

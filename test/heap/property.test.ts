/*
 * Property tests: random sequences of malloc / free / realloc of mixed sizes (pymalloc classes,
 * 0 bytes, raw blocks up to a few megabytes) against a simple model: the set of live blocks, each
 * with its size and a content seed. After every batch the heap must verify clean and agree with
 * the model: the same live blocks, no overlaps, contents intact (also across realloc).
 * At least 100,000 operations per profile.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createHeap, InvalidFree, MemoryError, type Heap, type HeapProfile } from '../../src/index.ts';
import { BlockModel } from './block-model.ts';

type Op = { k: 'malloc'; size: number } | { k: 'free'; pick: number } | { k: 'realloc'; pick: number; size: number };

const sizeArb = fc.oneof(
  { weight: 60, arbitrary: fc.integer({ min: 1, max: 512 }) },
  { weight: 4, arbitrary: fc.constant(0) },
  { weight: 26, arbitrary: fc.integer({ min: 513, max: 16_384 }) },
  { weight: 8, arbitrary: fc.integer({ min: 16_385, max: 1 << 20 }) },
  { weight: 2, arbitrary: fc.integer({ min: 1 << 20, max: 3 << 20 }) },
);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 45, arbitrary: sizeArb.map((size): Op => ({ k: 'malloc', size })) },
  { weight: 35, arbitrary: fc.nat().map((pick): Op => ({ k: 'free', pick })) },
  { weight: 20, arbitrary: fc.tuple(fc.nat(), sizeArb).map(([pick, size]): Op => ({ k: 'realloc', pick, size })) },
);

const BATCH = 500;
const FULL_FILL = 2048;
const EDGE = 64;
const STRIDE = 4093;

/** The content positions of a block of n bytes: all of a small block, edges and a stride of a big one. */
function forEachPosition(n: number, f: (i: number) => void): void {
  if (n <= FULL_FILL) {
    for (let i = 0; i < n; i++) f(i);
    return;
  }
  for (let i = 0; i < EDGE; i++) f(i);
  for (let i = EDGE; i < n - EDGE; i += STRIDE) f(i);
  for (let i = n - EDGE; i < n; i++) f(i);
}
const byte = (seed: number, i: number): number => (seed * 31 + i * 7 + (i >> 8)) & 255;

class Model extends BlockModel {
  ops = 0;
  memoryErrors = 0;

  constructor(h: Heap) {
    super(h, forEachPosition, byte);
  }

  add(p: number, size: number): void {
    expect(this.live.has(p), `malloc returned live block ${p}`).toBe(false);
    expect(p % this.h.geometry.ALIGNMENT).toBe(0);
    expect(this.h.usableSize(p)).toBeGreaterThanOrEqual(size);
    this.record(p, size);
  }

  apply(op: Op): void {
    this.ops++;
    const h = this.h;
    try {
      if (op.k === 'malloc') {
        this.add(h.malloc(op.size), op.size);
      } else if (op.k === 'free') {
        const p = this.take(op.pick);
        if (p === undefined) return;
        const b = this.live.get(p)!;
        this.check(p, b.size, b.seed);
        this.live.delete(p);
        h.free(p);
        expect(h.isLiveBlock(p)).toBe(false);
      } else {
        const p = this.take(op.pick);
        if (p === undefined) return;
        const b = this.live.get(p)!;
        let q: number;
        try {
          q = h.realloc(p, op.size);
        } catch (e) {
          this.order.push(p); // a failed realloc leaves the block as it was
          throw e;
        }
        this.live.delete(p);
        const kept = Math.min(b.size, op.size);
        this.check(q, b.size, b.seed, kept); // the common prefix survived
        this.add(q, op.size);
      }
    } catch (e) {
      if (!(e instanceof MemoryError)) throw e;
      this.memoryErrors++;
    }
  }

  verify(): void {
    const h = this.h;
    expect(h.verifyHeap()).toEqual([]);
    const blocks: Array<[number, number]> = [];
    h.forEachLiveBlock((p, n) => blocks.push([p, n]));
    expect(blocks.length).toBe(this.live.size);
    blocks.sort((a, b) => a[0] - b[0]);
    for (let i = 0; i < blocks.length; i++) {
      const [p, n] = blocks[i]!;
      const b = this.live.get(p);
      if (!b) throw new Error(`heap has live block ${p} the model does not`);
      if (n < b.size) throw new Error(`block ${p}: usable ${n} < ${b.size}`);
      if (i + 1 < blocks.length && p + n > blocks[i + 1]![0]) throw new Error(`blocks ${p} and ${blocks[i + 1]![0]} overlap`);
      this.check(p, b.size, b.seed);
    }
  }

  drain(): void {
    for (const p of [...this.live.keys()]) h_free(this.h, p);
    this.live.clear();
    this.order.length = 0;
    expect(this.h.verifyHeap()).toEqual([]);
    expect(this.h.liveBlockCount()).toBe(0);
    const s = this.h.debugmallocstats();
    expect(s.arenasCurrent).toBeLessThanOrEqual(1); // the one kept wholly free arena
    expect(s.rawSegments).toBe(0);
    expect(s.bytesInAllocatedBlocks).toBe(0);
  }
}

function h_free(h: Heap, p: number): void {
  h.free(p);
  expect(() => h.free(p)).toThrow(InvalidFree);
}

function runSequence(ops: Op[], model: Model): void {
  for (let i = 0; i < ops.length; i += BATCH) {
    for (const op of ops.slice(i, i + BATCH)) model.apply(op);
    model.verify();
  }
}

describe.each(['3.11', 'legacy'] as HeapProfile[])('profile %s', (profile) => {
  it('100,000+ random malloc/free/realloc against the model, verified after every batch', () => {
    let total = 0;
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 4000, maxLength: 6000 }), (ops) => {
        const h = createHeap({ profile, maxBytes: 256 << 20 });
        const model = new Model(h);
        runSequence(ops, model);
        model.drain();
        total += model.ops;
      }),
      { numRuns: 26, endOnFailure: true },
    );
    expect(total).toBeGreaterThanOrEqual(100_000);
  });

  it('random sequences near the maximum: MemoryError leaves the heap valid and the model true', () => {
    let errors = 0;
    let total = 0;
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 2000, maxLength: 3000 }), (ops) => {
        const h = createHeap({ profile, maxBytes: 12 << 20 });
        const model = new Model(h);
        runSequence(ops, model);
        errors += model.memoryErrors;
        model.drain();
        total += model.ops;
      }),
      { numRuns: 6, endOnFailure: true },
    );
    expect(errors).toBeGreaterThan(0);
    expect(total).toBeGreaterThan(10_000);
  });
});

/*
 * The heap: one allocator over the shared buffer, as every layer above sees it.
 * ===============================================================================
 *
 * `Heap` is CPython's PyObject_Malloc / PyObject_Free / PyObject_Realloc over gilsim's buffer:
 *
 *   malloc(n)   1..512 bytes: pymalloc (pymalloc.ts); 0 or more than 512: the raw allocator
 *               (raw.ts). If pymalloc cannot get an arena, the request falls back to the raw
 *               allocator, as CPython's _PyObject_Malloc does. If that fails too: MemoryError,
 *               and the heap is unchanged.
 *   free(p)     the live-block bitmaps (pymalloc's, then the raw allocator's) say whether
 *               p is a block handed out. Anything else (double free, interior or foreign pointer)
 *               raises InvalidFree before anything is written. free(0) does nothing, like C.
 *   realloc     a pymalloc block stays where it is while the new size fits and wastes at most a
 *               quarter of it (4n > 3 * blocksize); otherwise a new block is allocated, the
 *               contents copied, the old block freed. A raw block is resized in place when it can
 *               be (it stays raw even if it shrinks below 512 bytes, as in CPython).
 *
 * There is no lock inside: the GIL provides exclusion. (Without a GIL, each thread uses a
 * ThreadHeap instead, a Heap with its own pools: thread-heap.ts.) Every piece of truth is in the
 * buffer, so a Heap object is only a thread's handle: `Heap.create` initialises the allocator
 * state of a buffer, `Heap.attach` makes another handle (in another worker, typically) over an
 * initialised one, and both see the same blocks.
 *
 * Pointers are byte offsets into the buffer, aligned to ALIGNMENT; 0 is NULL.
 *
 * Views: the heap reads the buffer through fixed-length views (layout.ts, "Fast views"), which
 * cover the buffer as it was when they were made. Any thread may grow the buffer (carving a slot),
 * so before following a pointer into a slot the heap checks it against its views: the malloc fast
 * path compares the pool it is about to use with `viewEnd`, free compares p with `viewSpan`, and
 * every slow path starts with `syncIfGrown()` (one load of the shared slot count).
 *
 * A Heap IS its thread's HeapState (the class chain is HeapState <- Pymalloc <- Heap, and
 * ThreadHeap extends Heap with its own malloc/free/reallocRaw, leaving these untouched), so the
 * fast paths read one object; HeapState's fields (views, offsets, constants) are public for the
 * allocator's own files and tests, not part of the contract for the layers above.
 */

import { InvalidFree, MemoryError } from '../errors.ts';
import {
  computeLayout,
  createBuffer,
  type HeapProfile,
  type Layout,
  type Memory,
} from './layout.ts';
import { pymallocBlockSize, Pymalloc } from './pymalloc.ts';
import { rawFree, rawMalloc, rawResizeInPlace, rawUsableSize } from './raw.ts';
import { SEG_FREE, slotKindAt } from './segments.ts';
import { allocStateBytes, initAllocState, S_MAGIC, SEG_ENTRY_BYTES, SEG_KIND, STATE_MAGIC } from './state.ts';
import { debugMallocStats, type MallocStats } from './stats.ts';
import { verifyHeap } from './verify.ts';
import { forEachLiveBlock } from './walk.ts';

export interface CreateHeapOptions {
  /** the buffer's maximum size (default 1 GiB) */
  maxBytes?: number;
  /** allocator geometry: '3.11' (default) or 'legacy' */
  profile?: HeapProfile;
  /** thread heap records (free-threaded mode: one per thread that binds a ThreadHeap; default 1) */
  maxThreads?: number;
}

export interface AttachOptions {
  /**
   * Byte offset of the usedpools rings this handle allocates from (default: the shared ones in
   * the allocator state). The free-threaded mode gives each thread its own (see initUsedpools).
   */
  usedpools?: number;
}

/** The thread and trace regions of a heap made by createHeap (no runtime will use them). */
const STANDALONE_THREADS = 1;
const STANDALONE_TRACE_EVENTS = 0;

/** log2(SEG_ENTRY_BYTES): slot index to segment map byte offset. */
export const SEG_ENTRY_SHIFT = Math.log2(SEG_ENTRY_BYTES);

/** A heap of its own: a fresh buffer with small thread/trace regions and an initialised allocator. */
export function createHeap(opts: CreateHeapOptions = {}): Heap {
  const layout = computeLayout(
    {
      profile: opts.profile ?? '3.11',
      maxBytes: opts.maxBytes,
      maxThreads: opts.maxThreads ?? STANDALONE_THREADS,
      traceEvents: STANDALONE_TRACE_EVENTS,
    },
    allocStateBytes,
  );
  return Heap.create(createBuffer(layout), layout);
}

export class Heap extends Pymalloc {
  /** the usedpools rings this handle allocates from */
  declare readonly usedpools: number;
  /** Int32 index of slot 0's segment map kind */
  protected declare readonly segKindWord: number;

  protected constructor(mem: Memory, layout: Layout, usedpools?: number) {
    super(mem, layout);
    this.usedpools = usedpools ?? this.usedpoolsShared;
    this.segKindWord = (this.segmap + SEG_KIND) >> 2;
  }

  /** Initialise the allocator state inside an existing buffer (laid out by `layout`). */
  static create(mem: Memory, layout: Layout): Heap {
    const heap = new Heap(mem, layout);
    initAllocState(heap);
    return heap;
  }

  /** A handle on a heap another thread created: everything is read from the buffer. */
  static attach(mem: Memory, layout: Layout, opts: AttachOptions = {}): Heap {
    const heap = new Heap(mem, layout, opts.usedpools);
    if (heap.get(S_MAGIC) !== STATE_MAGIC) throw new TypeError('no heap in this buffer (allocator state not initialised)');
    return heap;
  }

  /** Allocate n bytes; returns an ALIGNMENT-aligned offset. Throws MemoryError at the maximum. */
  malloc(n: number): number {
    if ((n - 1) >>> 0 < this.smallThreshold && (n | 0) === n) {
      const p = this.pymallocAlloc(this.usedpools, n);
      if (p !== 0) return p;
    }
    return this.mallocSlow(n);
  }

  /** Requests pymalloc does not take (0 or > 512 bytes), or could not serve (no arena left). */
  private mallocSlow(n: number): number {
    checkSize(n);
    const p = rawMalloc(this, n);
    if (p === 0) {
      throw new MemoryError(`cannot allocate ${n} bytes: the heap has reached its maximum of ${this.layout.maxBytes} bytes`);
    }
    return p;
  }

  /** Free a block. free(0) does nothing; anything but a live block raises InvalidFree. */
  free(p: number): void {
    const d = p - this.slotsOff;
    if (d >>> 0 < this.viewSpan && (p & this.alignMask) === 0 && (p | 0) === p) {
      const i32 = this.i32;
      const u = p >> this.alignShift; // p's live bit (see HeapState.isLive)
      const wi = this.bitmapBase + (u >> 5);
      const bit = 1 << u;
      const w = i32[wi];
      if ((w & bit) !== 0) {
        // Only pymalloc blocks have live bits (raw blocks have their own bitmap, state.ts): p is
        // a live block of a pool, no segment map lookup needed.
        i32[wi] = w ^ bit;
        this.pymallocFree(this.usedpools, p);
        return;
      }
    }
    this.freeSlow(p);
  }

  /** p is no live pymalloc block within this thread's views: NULL, past the views, a raw
   *  block, or invalid. */
  private freeSlow(p: number): void {
    if (p === 0) return;
    if (this.syncIfGrown()) {
      this.free(p); // the views grew: try again (at most once: they now cover every slot)
      return;
    }
    if (this.isLive(p) && this.rawLiveBit(p)) {
      this.clearRawLive(p);
      rawFree(this, p);
      return;
    }
    throw this.invalidFree(p);
  }

  /** Resize a block, keeping its contents (up to the smaller size). realloc(0, n) is malloc(n). */
  realloc(p: number, n: number): number {
    if (p === 0) return this.malloc(n);
    if (!this.isLive(p)) throw this.invalidFree(p);
    checkSize(n);
    this.syncIfGrown();
    if (slotKindAt(this, p) > 0) {
      let size = pymallocBlockSize(this, p);
      if (n <= size) {
        // Staying or shrinking: keep the block unless more than a quarter would be wasted.
        if (4 * n > 3 * size) return p;
        size = n;
      }
      const q = this.malloc(n);
      this.u8.copyWithin(q, p, p + size);
      this.free(p);
      return q;
    }
    return this.reallocRaw(p, n);
  }

  /** realloc of a raw block (ThreadHeap: under the arena lock). */
  protected reallocRaw(p: number, n: number): number {
    if (rawResizeInPlace(this, p, n)) return p;
    const q = rawMalloc(this, n);
    if (q === 0) {
      throw new MemoryError(`cannot reallocate to ${n} bytes: the heap has reached its maximum of ${this.layout.maxBytes} bytes`);
    }
    this.u8.copyWithin(q, p, p + Math.min(rawUsableSize(this, p), n));
    this.free(p);
    return q;
  }

  /** Bytes the block p can hold (its block size for pymalloc, the payload for raw blocks). */
  usableSize(p: number): number {
    if (!this.isLive(p)) throw this.invalidFree(p, 'usableSize of');
    this.syncIfGrown();
    return slotKindAt(this, p) > 0 ? pymallocBlockSize(this, p) : rawUsableSize(this, p);
  }

  /** True exactly when p is the start of a block currently handed out. */
  isLiveBlock(p: number): boolean {
    return this.isLive(p);
  }

  /** Number of blocks handed out (pymalloc and raw). Walks the heap. */
  liveBlockCount(): number {
    let n = 0;
    forEachLiveBlock(this, () => {
      n++;
    });
    return n;
  }

  /** Calls cb(p, usableSize) for every block handed out. Walks the heap; do not allocate in cb. */
  forEachLiveBlock(cb: (p: number, usableSize: number) => void): void {
    forEachLiveBlock(this, cb);
  }

  /** sys._debugmallocstats(): CPython's report text and its figures. */
  debugmallocstats(): MallocStats {
    return debugMallocStats(this);
  }

  /** The violated invariants (empty when the heap is sound). */
  verifyHeap(): string[] {
    return verifyHeap(this, this.usedpools);
  }

  /** The InvalidFree error for p (with the reason found by looking at p). */
  invalidFree(p: number, what = 'free of'): InvalidFree {
    const e = new InvalidFree(p, this.whyNotLive(p));
    if (what !== 'free of') e.message = e.message.replace('invalid free of', `invalid ${what}`);
    return e;
  }

  private whyNotLive(p: number): string {
    if (typeof p !== 'number' || !Number.isInteger(p)) return 'not an integer offset';
    const d = p - this.slotsOff;
    if (d < 0 || d >= this.slotSpace) return 'outside the heap';
    const kind = slotKindAt(this, p);
    if (kind === SEG_FREE) return 'in no arena or raw segment';
    if ((p & this.alignMask) !== 0) return `not aligned to ${this.alignMask + 1} bytes`;
    return kind > 0
      ? 'not the start of a live pymalloc block (double free or interior pointer)'
      : 'not the start of a live raw block (double free or interior pointer)';
  }
}

/** A size must be a whole number of bytes (too big is a MemoryError, found by the allocator). */
export function checkSize(n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`allocation size must be a whole number of bytes >= 0, got ${n}`);
}

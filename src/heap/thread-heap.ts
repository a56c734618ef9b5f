/*
 * Thread heaps: the free-threaded mode's allocator (CPython 3.13t gives each thread a mimalloc
 * heap; this is pymalloc given the same shape).
 * ==========================================================================================
 *
 * Under a GIL one set of usedpools rings serves every thread (heap.ts): the GIL makes sure only
 * one thread is inside the allocator. Without a GIL, a single heap lock would serialise every
 * allocation and throw away the parallelism the free-threaded build exists for. So each thread
 * gets a heap of its own, kept in its THREAD HEAP record in the buffer (state.ts, one per thread
 * slot), and a `ThreadHeap` handle bound to it:
 *
 *   record r (thread slot r)
 *   +-----------------------------------------------------------------------------------+
 *   | line 0 (owner)   state, deferred-free queue, counters                              |
 *   | line 1 (others)  delayed_free: blocks freed by others into our FULL pools; hint    |
 *   | line 2 (owner)   QSBR read sequence                                                |
 *   | line 3 (owner)   ring of our full pools                                            |
 *   | line 4+ (owner)  usedpools[NB_SMALL_SIZE_CLASSES]: our own used pools, per class   |
 *   +-----------------------------------------------------------------------------------+
 *
 * Every pool a thread takes from the arenas records its owner in its header (POOL_OWNER = r + 1).
 *
 *   malloc      exactly pymalloc's fast path over the thread's own rings: no lock, no atomic
 *               operation. When the pool's freeblock list runs dry the owner first collects the
 *               blocks other threads freed into it (one atomic exchange), then carves, then
 *               moves the pool to its ring of full pools (thread-pools.ts). When the ring of a
 *               size class is empty it first looks at its delayed_free list, then at pools of
 *               exited threads (abandon.ts), and only then takes a new pool from the arenas
 *               under the arena lock (lock.ts).
 *   free(p)     by the owner of p's pool: pymalloc's free, no atomic operation. By any other
 *               thread: an atomic push on the pool's thread-free list (xthread_free, mimalloc's
 *               name), which touches nothing else of the pool (xfree.ts). Only the owner ever
 *               changes a pool's state (used, full, empty) or its ref.count.
 *   realloc     as Heap's; a raw block is resized under the arena lock.
 *   collect()   the owner absorbs what others freed: its delayed_free list, and the thread-free
 *               lists of all its pools when the hint says someone pushed (the runtime calls it at
 *               eval-breaker polls; cheap when nothing happened).
 *   abandon()   at thread exit: the record is marked ABANDONED with its pools still owned;
 *               frees into them keep landing on their thread-free lists; another thread adopts
 *               them (adoptAbandoned(), or on its own when it needs a new pool), or a new thread
 *               in the same slot reclaims them when it binds.
 *   quiescent(), freeDeferred(p)   QSBR: a block freed while other threads may still read it is
 *               really freed only once every thread has passed a quiescent point (qsbr.ts).
 *
 * A handle that is not bound (before bind(), after abandon()) still works: it allocates from the
 * shared rings under the arena lock (its own rings are the "null rings", which stay empty, so its
 * fast path always falls through to the slow path). That is also how pools of the shared rings
 * (owner 0: filled by a GIL-mode Heap handle, e.g. while the runtime set up its statics) are freed
 * in this mode: under the arena lock, through the shared rings.
 *
 * The live-block bitmap stays exact: the live bits of an owned pool are written by its owner only
 * (plainly: no atomics on the fast paths); a thread freeing a block it does not own sets the
 * block's pending-free bit with one atomic OR, so a second free of the same block, from any
 * thread, is an InvalidFree. A block whose live bit is set and pending bit is clear is live; the
 * owner clears both when it collects the block. (A double free racing with itself in two threads
 * at the same instant is not detected, as in C.)
 *
 * Do not mix: once thread heaps are in use, every malloc and free of the process goes through a
 * ThreadHeap handle (bound or not). A GIL-mode Heap handle over the same buffer may still read:
 * debugmallocstats(), verifyHeap(), liveBlockCount() and isLiveBlock() understand every state.
 *
 * Wiring, for a runtime without a GIL (instead of wrapping a Heap in a heap lock):
 *   - each JS thread makes ONE handle: ThreadHeap.create(mem, layout) in the creator,
 *     ThreadHeap.attach(mem, layout) elsewhere (a ThreadHeap is a Heap), and gives it to the
 *     object layer unwrapped; unbound, it is the locked shared allocator;
 *   - when a Python thread starts in that JS thread: bind(slot) with its thread table slot;
 *   - at the eval breaker's slow path (or every so many polls): poll(); around blocking waits,
 *     qsbrOffline() / qsbrOnline() (optional: a blocked online thread only delays deferred frees);
 *   - when the Python thread ends: abandon();
 *   - after the threads are joined, before a leak check: adoptAbandoned() and collect(true) on a
 *     bound handle settle everything (liveBlockCount() is exact without it).
 */

import { GilsimError, MemoryError } from '../errors.ts';
import { Heap, checkSize, SEG_ENTRY_SHIFT, type AttachOptions } from './heap.ts';
import type { Layout, Memory } from './layout.ts';
import { ArenaLock } from './lock.ts';
import { adoptAbandoned, abandonThreadHeap, bindThreadHeap } from './abandon.ts';
import { freeDeferred, qsbrOffline, qsbrOnline, quiescent } from './qsbr.ts';
import { rawFree, rawMalloc, rawResizeInPlace, rawUsableSize } from './raw.ts';
import { slotKindAt } from './segments.ts';
import {
  initAllocState,
  POOL_FREEBLOCK,
  POOL_NEXTPOOL,
  POOL_OWNER,
  POOL_REF_COUNT,
  S_ARENA_LOCK,
  S_LOCK_CONTENDED,
  S_MAGIC,
  STATE_MAGIC,
  TH_USEDPOOLS,
} from './state.ts';
import { ownerAllocFromNewPool, ownerPoolChanged, ownerPoolExtend } from './thread-pools.ts';
import { collectThreadHeap, freeForeignPool } from './xfree.ts';

/* Int32 indices of the pool header fields, relative to pool >> 2. */
const W_COUNT = POOL_REF_COUNT >> 2;
const W_FREEBLOCK = POOL_FREEBLOCK >> 2;
const W_NEXTPOOL = POOL_NEXTPOOL >> 2;
const W_OWNER = POOL_OWNER >> 2;
/** usedpools[2i] is i * 16 bytes from the base: two 8-byte pointers per class. */
const USEDPOOLS_CLASS_SHIFT = 4;
/** ownerTag of an unbound handle: matches no pool's POOL_OWNER */
const UNBOUND = -1;

export interface ThreadAttachOptions extends AttachOptions {
  /** bind the handle to this thread slot's record at once (see bind) */
  slot?: number;
}

export class ThreadHeap extends Heap {
  /** the thread slot whose record this handle is bound to, or -1 */
  slot = UNBOUND;
  /** slot + 1: the POOL_OWNER of our pools; -1 when unbound */
  ownerTag = UNBOUND;
  /** byte offset of our record, 0 when unbound */
  rec = 0;
  /** the usedpools rings we allocate from: our record's, or the null rings when unbound */
  declare rings: number;
  /** the arena lock (lock.ts) */
  declare readonly lock: ArenaLock;

  protected constructor(mem: Memory, layout: Layout) {
    super(mem, layout);
    this.rings = this.nullRings;
    this.lock = new ArenaLock(mem.view.i32, this.base + S_ARENA_LOCK, this.base + S_LOCK_CONTENDED);
  }

  /** Initialise the allocator state of a fresh buffer; the handle is unbound. */
  static override create(mem: Memory, layout: Layout): ThreadHeap {
    const th = new ThreadHeap(mem, layout);
    initAllocState(th);
    return th;
  }

  /** A handle over an initialised heap, bound to thread slot `opts.slot` if given. */
  static override attach(mem: Memory, layout: Layout, opts: ThreadAttachOptions = {}): ThreadHeap {
    if (opts.usedpools !== undefined) throw new TypeError('a ThreadHeap allocates from its thread record\'s rings (no usedpools option)');
    const th = new ThreadHeap(mem, layout);
    if (th.get(S_MAGIC) !== STATE_MAGIC) throw new TypeError('no heap in this buffer (allocator state not initialised)');
    if (opts.slot !== undefined) th.bind(opts.slot);
    return th;
  }

  /* ================= binding ================= */

  /**
   * Bind this handle to the record of thread slot `slot` (0..maxThreads-1) when a thread starts.
   * A FREE record starts empty; an ABANDONED one (a thread that ran in this slot before and
   * exited) is reclaimed with its pools. Throws if another handle holds the record.
   */
  bind(slot: number): void {
    if (this.rec !== 0) throw new GilsimError(`this thread heap is already bound to slot ${this.slot}`);
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.maxThreads) {
      throw new RangeError(`thread slot must be 0..${this.maxThreads - 1}, got ${slot}`);
    }
    bindThreadHeap(this, slot);
    this.slot = slot;
    this.ownerTag = slot + 1;
    this.rec = this.threadHeap(slot);
    this.rings = this.rec + TH_USEDPOOLS;
    qsbrOnline(this);
    this.collect(true);
  }

  /**
   * The thread exits: absorb what can be absorbed, then leave the record ABANDONED (it still
   * owns pools or deferred frees) or FREE. The handle becomes unbound. No-op when unbound.
   */
  abandon(): void {
    if (this.rec === 0) return;
    abandonThreadHeap(this);
    this.slot = UNBOUND;
    this.ownerTag = UNBOUND;
    this.rec = 0;
    this.rings = this.nullRings;
  }

  get bound(): boolean {
    return this.rec !== 0;
  }

  /* ================= the fast paths ================= */

  override malloc(n: number): number {
    if ((n - 1) >>> 0 < this.smallThreshold && (n | 0) === n) {
      const i32 = this.i32;
      const size = (n - 1) >> this.alignShift;
      const pool = i32[(this.rings + (size << USEDPOOLS_CLASS_SHIFT)) >> 2];
      const pw = pool >> 2;
      if (pool < this.viewEnd && pool !== i32[pw + W_NEXTPOOL]) {
        i32[pw + W_COUNT]++;
        const bp = i32[pw + W_FREEBLOCK];
        const next = i32[bp >> 2];
        i32[pw + W_FREEBLOCK] = next;
        if (next === 0) ownerPoolExtend(this, pool, size);
        const u = bp >> this.alignShift; // mark bp live (see HeapState.markLive)
        i32[this.bitmapBase + (u >> 5)] |= 1 << u;
        return bp;
      }
      const p = this.mallocNewPool(n, size, pool);
      if (p !== 0) return p;
    }
    return this.mallocRaw(n);
  }

  override free(p: number): void {
    const d = p - this.slotsOff;
    if (d >>> 0 < this.viewSpan && (p & this.alignMask) === 0 && (p | 0) === p) {
      const i32 = this.i32;
      if (i32[this.segKindWord + ((d >> this.arenaBits) << (SEG_ENTRY_SHIFT - 2))] > 0) {
        const pool = p & this.poolMask;
        const pw = pool >> 2;
        const owner = i32[pw + W_OWNER];
        if (owner !== this.ownerTag) {
          freeForeignPool(this, p, pool, owner);
          return;
        }
        const u = p >> this.alignShift; // p's live and pending bits (see HeapState.isLive)
        const wi = this.bitmapBase + (u >> 5);
        const bit = 1 << u;
        const w = i32[wi];
        if ((w & ~i32[wi + this.xfreeDelta] & bit) === 0) throw this.invalidFree(p);
        i32[wi] = w ^ bit;
        const lastfree = i32[pw + W_FREEBLOCK];
        i32[p >> 2] = lastfree;
        i32[pw + W_FREEBLOCK] = p;
        const count = i32[pw + W_COUNT] - 1;
        i32[pw + W_COUNT] = count;
        if (lastfree === 0 || count === 0) ownerPoolChanged(this, pool, lastfree === 0);
        return;
      }
    }
    this.freeSlowThread(p);
  }

  /* ================= slow paths ================= */

  /** The ring was empty (or its first pool lies past our views). Returns 0 to fall back to raw. */
  private mallocNewPool(n: number, size: number, pool: number): number {
    if (pool >= this.viewEnd) {
      this.sync();
      if (pool >= this.viewEnd) throw new Error(`heap corrupt: usedpools holds pool ${pool}, past the buffer`);
      return this.malloc(n);
    }
    if (this.rec === 0) return this.sharedMalloc(n);
    return ownerAllocFromNewPool(this, size);
  }

  /** Unbound: pymalloc over the shared rings, under the arena lock. */
  private sharedMalloc(n: number): number {
    this.lock.lock();
    try {
      return this.pymallocAlloc(this.usedpoolsShared, n);
    } finally {
      this.lock.unlock();
    }
  }

  /** Free a block of a shared pool (owner 0), under the arena lock. Called by xfree.ts. */
  sharedFree(p: number): void {
    this.lock.lock();
    try {
      this.syncIfGrown();
      if (!this.isLive(p)) throw this.invalidFree(p);
      this.clearLive(p);
      this.pymallocFree(this.usedpoolsShared, p);
    } finally {
      this.lock.unlock();
    }
  }

  /** 0 or more than 512 bytes, or pymalloc had no arena: the raw allocator, under the lock. */
  private mallocRaw(n: number): number {
    checkSize(n);
    this.lock.lock();
    let p: number;
    try {
      p = rawMalloc(this, n);
    } finally {
      this.lock.unlock();
    }
    if (p === 0) {
      throw new MemoryError(`cannot allocate ${n} bytes: the heap has reached its maximum of ${this.layout.maxBytes} bytes`);
    }
    return p;
  }

  /** Not a pymalloc block within our views: NULL, past the views, a raw block, or invalid. */
  private freeSlowThread(p: number): void {
    if (p === 0) return;
    if (this.syncIfGrown()) {
      this.free(p);
      return;
    }
    if (!(slotKindAt(this, p) < 0)) throw this.invalidFree(p);
    this.lock.lock();
    try {
      if (!this.isLive(p)) throw this.invalidFree(p);
      this.clearRawLive(p);
      rawFree(this, p);
    } finally {
      this.lock.unlock();
    }
  }

  /** Heap's realloc keeps pymalloc blocks through this thread's malloc/free; a raw block is resized under the arena lock. */
  protected override reallocRaw(p: number, n: number): number {
    let q: number;
    this.lock.lock();
    try {
      if (rawResizeInPlace(this, p, n)) return p;
      q = rawMalloc(this, n);
      if (q !== 0) this.u8.copyWithin(q, p, p + Math.min(rawUsableSize(this, p), n));
    } finally {
      this.lock.unlock();
    }
    if (q === 0) {
      throw new MemoryError(`cannot reallocate to ${n} bytes: the heap has reached its maximum of ${this.layout.maxBytes} bytes`);
    }
    this.free(p);
    return q;
  }

  /* ================= cross-thread frees, abandonment, QSBR ================= */

  /**
   * Absorb the blocks other threads freed into our pools: the delayed_free list always, the
   * thread-free lists of all our pools when some thread hinted it pushed there (or `all`).
   * Returns the number of blocks absorbed. Call at eval-breaker polls; cheap when idle.
   */
  collect(all = false): number {
    if (this.rec === 0) return 0;
    return collectThreadHeap(this, all);
  }

  /** Adopt up to `max` abandoned records (their pools, pending frees and deferred frees). */
  adoptAbandoned(max = Infinity): number {
    if (this.rec === 0) return 0;
    return adoptAbandoned(this, max);
  }

  /**
   * The eval breaker's poll, for the runtime: collect() then quiescent(). When nothing happened it
   * costs two plain reads and one atomic store (about 20 ns here), so call it at the breaker's
   * slow path or every so many polls, not at every back edge.
   */
  poll(): void {
    if (this.rec === 0) return;
    collectThreadHeap(this, false);
    quiescent(this);
  }

  /** QSBR: this thread holds no reference it read before now (an eval-breaker poll, say). */
  quiescent(): void {
    if (this.rec !== 0) quiescent(this);
  }

  /** QSBR: free p once every thread now reading has passed a quiescent point. */
  freeDeferred(p: number): void {
    if (this.rec === 0) throw new GilsimError('freeDeferred needs a thread heap bound to a thread');
    freeDeferred(this, p);
  }

  /** QSBR: this thread stops reading shared objects (it blocks, detaches): hold back nobody. */
  qsbrOffline(): void {
    if (this.rec !== 0) qsbrOffline(this);
  }

  /** QSBR: this thread reads shared objects again (after qsbrOffline). */
  qsbrOnline(): void {
    if (this.rec !== 0) qsbrOnline(this);
  }
}

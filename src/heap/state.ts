/*
 * The allocator's state: every field pymalloc and the raw allocator keep, laid out in the
 * ALLOCATOR STATE region of the buffer.
 * ===========================================================================================
 *
 * CPython keeps its allocator state in C globals (usedpools, usable_arenas, nfp2lasta, the
 * arenas array, a few counters). gilsim keeps the same things in the shared buffer, so that every
 * thread sees one allocator: a "pointer" is an Int32 byte offset into the buffer and 0 is NULL
 * (offset 0 is the buffer header, so no block, pool or arena object ever lives there).
 *
 * The region, from `layout.allocOff` (byte offsets relative to it):
 *
 *   0      line 0: scalars (usable_arenas, unused_arena_objects, maxarenas, arena counters,
 *          slot space bookkeeping, raw allocator counters and its first-level bitmap, abandoned
 *          thread heaps, arena lock contention)
 *   64     line 1: the arena lock (free-threaded mode only; lock.ts)
 *   128    line 2: QSBR shared state: the write sequence and the last minimum read sequence
 *   192    line 3: reserved; its last 16 bytes are the never-touched front half of the
 *          usedpools[0] sentinel (see USEDPOOLS below)
 *   256    usedpools[2 * NB_SMALL_SIZE_CLASSES]          8 bytes a pointer (low word used)
 *   +      null rings: a second usedpools set that stays empty forever (an unbound thread
 *          heap allocates "from" it, so its fast path always falls to the slow path)
 *   +      nfp2lasta[MAX_POOLS_IN_ARENA + 1]              4 bytes each
 *   +      TLSF second-level bitmaps[TLSF_FL_COUNT]       4 bytes each   (raw allocator)
 *   +      TLSF free list heads[FL_COUNT * SL_COUNT]     4 bytes each   (raw allocator)
 *   +      thread heaps[maxThreads]: one record per thread slot (free-threaded mode, see
 *          thread-heap.ts): state, delayed-free list, QSBR read sequence, deferred-free
 *          queue, a ring of full pools and the thread's own usedpools   threadHeapBytes(g) each
 *   +      arenas[maxSlots]: the arena objects            ARENA_OBJECT_BYTES each
 *   +      segment map[maxSlots]: one entry per slot      SEG_ENTRY_BYTES each
 *   +      live-block bitmap: one bit per ALIGNMENT unit of the slot space (pymalloc blocks)
 *   +      pending-free bitmap: the same shape; bit set while a block freed by a thread that does
 *          not own its pool waits for the owner to collect it (xfree.ts)
 *   +      raw live bitmap: the same shape, for the raw allocator's blocks
 *
 * The live-block bitmaps are the allocator's side tables of truth about which addresses are
 * handed out: bit u of the live-block bitmap is set exactly when `slotsOff + u * ALIGNMENT` is
 * the start of a pymalloc block that is currently allocated, bit u of the raw live bitmap when it
 * is the payload of a raw block that is. They make `free()` of a double-freed, interior or
 * foreign pointer detectable exactly, whatever the program wrote into its blocks; and since a set
 * live bit can only be a pymalloc block in an arena, the free fast path needs neither the segment
 * map nor a range check beyond its views to know that p is pymalloc's (heap.ts). In the
 * free-threaded mode the live bits of an owned pool are written by its owner only; a thread that
 * frees a block of a pool it does not own sets the block's bit in the pending-free bitmap instead
 * (atomically: that is what makes a double free from two threads detectable), and the owner
 * clears both bits when it collects the block. A block is live when its live bit is set and its
 * pending bit is not.
 *
 * Pools and raw blocks keep their own headers inside the slot space (see pymalloc.ts and
 * raw.ts); their field offsets are declared here too so that every file reads the same names.
 *
 * `HeapState` is a thread's cache of the views and of the constants derived from the layout:
 * it holds no truth, so any number of threads can build one over the same buffer.
 */

import { CACHE_LINE, type Geometry, type Layout, type Memory } from './layout.ts';

/* ---- line 0: scalars (byte offsets from layout.allocOff) ---- */

/** Marks an initialised allocator state (Heap.create writes it, Heap.attach checks it). */
export const S_MAGIC = 0;
/** Head of the doubly linked list of arena objects that have at least one free pool, sorted by
 *  ascending nfreepools (the fullest arenas first). Arena object offset, 0 = NULL. */
export const S_USABLE_ARENAS = 4;
/** Head of the singly linked list (through nextarena) of arena objects with no arena attached
 *  (address == 0), ready to be reused by new_arena(). */
export const S_UNUSED_ARENA_OBJECTS = 8;
/** Number of arena objects initialised so far (CPython grows its arenas array by doubling from
 *  INITIAL_ARENA_OBJECTS; ours is preallocated for maxSlots and initialised the same way). */
export const S_MAXARENAS = 12;
/** Arenas currently attached to an arena object. */
export const S_NARENAS_CURRENTLY_ALLOCATED = 16;
/** Arenas ever allocated (a reused slot counts again); reclaimed = this - current. */
export const S_NTIMES_ARENA_ALLOCATED = 20;
/** The largest narenas_currently_allocated ever seen. */
export const S_NARENAS_HIGHWATER = 24;
/** Slots carved from the slot space so far: the buffer is at least slotsOff + nslots * ARENA_SIZE. */
export const S_NSLOTS = 28;
/** Head of the list of free slot runs (slot index + 1, 0 = none); see segments.ts. */
export const S_FREESLOTS = 32;
/** Raw allocator: blocks handed out. */
export const S_RAW_BLOCKS = 36;
/** Raw allocator: usable bytes of the blocks handed out (block sizes minus their headers). */
export const S_RAW_BYTES = 40;
/** Raw allocator: segments (runs of slots) it holds. */
export const S_RAW_SEGMENTS = 44;
/** Raw allocator: slots its segments cover. */
export const S_RAW_SLOTS = 48;
/** Raw allocator: TLSF first-level bitmap (bit fl set when some second-level list of fl is non-empty). */
export const S_RAW_FL_BITMAP = 52;
/** Free-threaded mode: thread heap records in the ABANDONED state (changed atomically). */
export const S_ABANDONED = 56;
/** Free-threaded mode: times a thread found the arena lock taken (written under the lock). */
export const S_LOCK_CONTENDED = 60;

/** Line 1: the arena lock word (0 free, 1 taken, 2 taken with waiters; lock.ts). */
export const S_ARENA_LOCK = CACHE_LINE;

/** Line 2: QSBR (qsbr.ts). The write sequence: odd, advanced by QSBR_INCR. */
export const S_QSBR_WR_SEQ = 2 * CACHE_LINE;
/** The smallest read sequence of the online threads, as last computed by any thread. */
export const S_QSBR_RD_MIN = 2 * CACHE_LINE + 4;

export const STATE_MAGIC = 0x706d616c; // 'pmal'

/** usedpools starts here; the 16 bytes before it belong to the usedpools[0] sentinel's
 *  ref/freeblock fields, which are never read or written. */
export const USEDPOOLS_OFF = 4 * CACHE_LINE;

/* ---- the pool header (POOL_OVERHEAD = 48 bytes at the start of every pool) ---- */
/* C's layout on 64-bit: pointers take 8 bytes (we use their low word), uints 4. */

/** ref.count: number of blocks of this pool handed out. */
export const POOL_REF_COUNT = 0;
/** freeblock: head of the LIFO list of free blocks, threaded through the blocks' first word. */
export const POOL_FREEBLOCK = 8;
/** nextpool: next pool in the usedpools ring of this size class, or in the arena's freepools. */
export const POOL_NEXTPOOL = 16;
/** prevpool: previous pool in the usedpools ring (unused on freepools). */
export const POOL_PREVPOOL = 24;
/** arenaindex: index of the arena object this pool belongs to. */
export const POOL_ARENAINDEX = 32;
/** szidx: size class index of the blocks in this pool. */
export const POOL_SZIDX = 36;
/** nextoffset: byte offset (from the pool) of the first block never handed out. */
export const POOL_NEXTOFFSET = 40;
/** maxnextoffset: the largest valid nextoffset, POOL_SIZE - blocksize. */
export const POOL_MAXNEXTOFFSET = 44;
/* Free-threaded mode, in the spare high words of the 64-bit pointer fields above: */
/** owner: the thread heap record owning this pool, plus one (0: no owner: an empty pool, or a
 *  pool of the shared rings that a GIL serialises). Written by the owner (or an adopter) only. */
export const POOL_OWNER = 4;
/** xthread_free: head of the LIFO list of blocks freed by other threads (threaded through the
 *  blocks' first word), with flag bits XT_* in its low bits. Changed by atomic operations only. */
export const POOL_XTHREAD_FREE = 12;
/** xthread_free flag: the pool is full, so the next thread that frees into it must also tell the
 *  owner (pushes the block on the owner's delayed-free list instead; xfree.ts). */
export const XT_USE_DELAYED = 1;
/** The flag bits of xthread_free (block offsets are ALIGNMENT-aligned, so these are free). */
export const XT_FLAGS = 7;
/** The pool header in bytes, before rounding up to ALIGNMENT (48 on 64-bit: already aligned). */
export const POOL_HEADER_BYTES = 48;
/** szidx of a freshly carved pool that never held blocks (CPython's DUMMY_SIZE_IDX). */
export const DUMMY_SIZE_IDX = 0xffff;

/* ---- a thread heap record (free-threaded mode; one per thread slot; thread-heap.ts) ---- */
/* Line 0, written by the owner (and by whoever binds or adopts the record): */

/** state: TH_FREE, TH_ACTIVE, TH_ABANDONED or TH_ADOPTING (changed by compareExchange). */
export const TH_STATE = 0;
/** times the record was bound to a thread (a new thread in its slot, or a reclaim) */
export const TH_BINDS = 4;
/** the deferred-free queue (qsbr.ts): oldest chunk, newest chunk, entries pending */
export const TH_DEFER_HEAD = 8;
export const TH_DEFER_TAIL = 12;
export const TH_DEFER_COUNT = 16;
/** deferrals since this thread last advanced the QSBR write sequence */
export const TH_DEFERRALS = 20;
/** abandoned records this thread adopted */
export const TH_ADOPTED = 24;
/** blocks this thread collected from thread-free and delayed-free lists */
export const TH_COLLECTED = 28;
/** Line 1, written by OTHER threads: */
/** delayed_free: LIFO list of blocks freed by other threads into this thread's full pools (one
 *  per full pool, see xfree.ts), or TH_SEALED while the record owns nothing. Atomic. */
export const TH_DELAYED = CACHE_LINE;
/** a hint: some thread pushed a block on a thread-free list of one of our pools since the last
 *  collect() (best effort: plain reads and writes; collect(true) ignores it) */
export const TH_XFREE_HINT = CACHE_LINE + 4;
/** Line 2, written by the owner at quiescent points, read by every thread that reclaims: */
/** the QSBR read sequence (QSBR_OFFLINE when the thread holds back nobody) */
export const TH_QSBR_SEQ = 2 * CACHE_LINE;
/** Line 3: the ring of full pools (a sentinel like usedpools', nextpool/prevpool here). */
export const TH_FULL_RING = 3 * CACHE_LINE + 16;
/** Line 4 on: the thread's own usedpools rings. */
export const TH_USEDPOOLS = 4 * CACHE_LINE;

export const TH_FREE = 0;
export const TH_ACTIVE = 1;
export const TH_ABANDONED = 2;
export const TH_ADOPTING = 3;
/** TH_DELAYED of a record that owns nothing: a freer that meets it re-reads the pool's owner. */
export const TH_SEALED = 1;

/** Bytes of one thread heap record (a whole number of cache lines). */
export function threadHeapBytes(g: Geometry): number {
  return alignUp(TH_USEDPOOLS + usedpoolsBytes(g), CACHE_LINE);
}

/* ---- QSBR sequences (CPython's Python/qsbr.c) ---- */

/** a thread's read sequence while it is offline (detached, gone): it holds back nobody */
export const QSBR_OFFLINE = 0;
/** the first write sequence; sequences stay odd */
export const QSBR_INITIAL = 1;
export const QSBR_INCR = 2;

/* ---- the arena object (one per possible arena) ---- */

/** address: offset of the arena's slot, or 0 when no arena is attached to this object. */
export const AO_ADDRESS = 0;
/** pool_address: next never-carved pool in the arena. */
export const AO_POOL_ADDRESS = 4;
/** nfreepools: free pools in the arena (on freepools plus not yet carved). */
export const AO_NFREEPOOLS = 8;
/** ntotalpools: pools in the arena (MAX_POOLS_IN_ARENA: slots are arena-aligned, none lost). */
export const AO_NTOTALPOOLS = 12;
/** freepools: singly linked list (through nextpool) of the arena's empty, already carved pools. */
export const AO_FREEPOOLS = 16;
/** nextarena: next in usable_arenas, or in unused_arena_objects. */
export const AO_NEXTARENA = 20;
/** prevarena: previous in usable_arenas (unused on unused_arena_objects). */
export const AO_PREVARENA = 24;
export const ARENA_OBJECT_BYTES = 32;
/** CPython's INITIAL_ARENA_OBJECTS: the arenas array starts this big and doubles. */
export const INITIAL_ARENA_OBJECTS = 16;

/* ---- a segment map entry (one per slot; see segments.ts) ---- */

/** kind: 0 = free (or not yet carved), > 0 = arena (arenaindex + 1),
 *  < 0 = raw segment, -(first slot of the segment + 1). */
export const SEG_KIND = 0;
/** len: slots in the run; valid at the first slot of a raw segment or free run, and at the last
 *  slot of a free run (so a run can be found from either end when coalescing). */
export const SEG_LEN = 4;
/** next/prev: links of the free run list (slot index + 1, 0 = none), at a free run's first slot. */
export const SEG_NEXT = 8;
export const SEG_PREV = 12;
export const SEG_ENTRY_BYTES = 16;

/* ---- the raw allocator's TLSF index (see raw.ts) ---- */

/** log2 of the second-level subdivisions of each power of two. */
export const TLSF_SL_LOG2 = 4;
export const TLSF_SL_COUNT = 1 << TLSF_SL_LOG2;
/** Raw blocks are multiples of this (and their payloads aligned to it). */
export const RAW_GRAIN_LOG2 = 4;
export const RAW_GRAIN = 1 << RAW_GRAIN_LOG2;
/** Block sizes below this share first-level list 0, split linearly. */
export const TLSF_FL_SHIFT = TLSF_SL_LOG2 + RAW_GRAIN_LOG2;
/** First-level lists: sizes up to 2^31. */
export const TLSF_FL_COUNT = 31 - TLSF_FL_SHIFT + 1;

const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

/** Byte offsets (relative to the region) of the variable-size parts, for a geometry and slot count. */
export interface StateOffsets {
  usedpools: number;
  nullRings: number;
  nfp2lasta: number;
  tlsfSlBitmaps: number;
  tlsfHeads: number;
  threadHeaps: number;
  arenas: number;
  segmap: number;
  bitmap: number;
  bitmapBytes: number;
  xfreeBitmap: number;
  rawBitmap: number;
  end: number;
}

export function usedpoolsBytes(g: Geometry): number {
  return 2 * g.NB_SMALL_SIZE_CLASSES * 8;
}

export function stateOffsets(g: Geometry, maxSlots: number, maxThreads: number): StateOffsets {
  const usedpools = USEDPOOLS_OFF;
  const nullRings = alignUp(usedpools + usedpoolsBytes(g), CACHE_LINE);
  const nfp2lasta = alignUp(nullRings + usedpoolsBytes(g), CACHE_LINE);
  const tlsfSlBitmaps = alignUp(nfp2lasta + (g.MAX_POOLS_IN_ARENA + 1) * 4, CACHE_LINE);
  const tlsfHeads = alignUp(tlsfSlBitmaps + TLSF_FL_COUNT * 4, CACHE_LINE);
  const threadHeaps = alignUp(tlsfHeads + TLSF_FL_COUNT * TLSF_SL_COUNT * 4, CACHE_LINE);
  const arenas = threadHeaps + maxThreads * threadHeapBytes(g);
  const segmap = alignUp(arenas + maxSlots * ARENA_OBJECT_BYTES, CACHE_LINE);
  const bitmap = alignUp(segmap + maxSlots * SEG_ENTRY_BYTES, CACHE_LINE);
  const bitmapBytes = alignUp((maxSlots * g.ARENA_SIZE) / g.ALIGNMENT / 8, CACHE_LINE);
  const xfreeBitmap = bitmap + bitmapBytes;
  const rawBitmap = xfreeBitmap + bitmapBytes;
  return {
    usedpools,
    nullRings,
    nfp2lasta,
    tlsfSlBitmaps,
    tlsfHeads,
    threadHeaps,
    arenas,
    segmap,
    bitmap,
    bitmapBytes,
    xfreeBitmap,
    rawBitmap,
    end: rawBitmap + bitmapBytes,
  };
}

/** Size of the allocator state for a geometry, slot count and thread count (passed to computeLayout). */
export function allocStateBytes(g: Geometry, maxSlots: number, maxThreads: number): number {
  return stateOffsets(g, maxSlots, maxThreads).end;
}

/**
 * A thread's view of the allocator: the buffer's views plus absolute offsets and constants
 * derived from the layout. Holds no truth; build one per thread with `new HeapState(mem, layout)`.
 */
export class HeapState {
  // Every field is `declare`d and first assigned in the constructor: a plain class field would be
  // defined as undefined before the constructor runs (ES2022 semantics), which leaves V8 with an
  // untyped field and a Smi check on every read in the fast paths (measured: ~1.3 ns per
  // malloc+free). Subclasses (Heap, ThreadHeap) follow the same rule.
  declare readonly mem: Memory;
  declare readonly layout: Layout;
  declare readonly geometry: Geometry;
  /** this thread's fixed-length views (mem.view at the last sync): fast, but they cover only
   *  [0, viewEnd); see syncIfGrown */
  declare i32: Int32Array;
  declare u8: Uint8Array;
  /** slot space covered by the views: offsets slotsOff + [0, viewSpan) */
  declare viewSpan: number;
  /** slotsOff + viewSpan */
  declare viewEnd: number;
  /** absolute byte offset of the state region */
  declare readonly base: number;
  /** absolute byte offsets of the parts (usedpoolsShared: the rings every thread shares under
   *  a GIL; a handle may allocate from other rings, see Heap.usedpools; nullRings: rings that
   *  stay empty, see thread-heap.ts) */
  declare readonly usedpoolsShared: number;
  declare readonly nullRings: number;
  declare readonly nfp2lasta: number;
  declare readonly tlsfSlBitmaps: number;
  declare readonly tlsfHeads: number;
  /** the first thread heap record, and the size of one */
  declare readonly threadHeaps: number;
  declare readonly threadHeapBytes: number;
  declare readonly maxThreads: number;
  declare readonly arenas: number;
  declare readonly segmap: number;
  /** Int32 index of the first live-block bitmap word */
  declare readonly bitmapWord: number;
  /** Int32 distance from a live-bitmap word to the pending-free bitmap word of the same blocks */
  declare readonly xfreeDelta: number;
  /** Int32 distance from a live-bitmap word to the raw live bitmap word of the same offsets */
  declare readonly rawDelta: number;
  /** bitmapWord shifted so that offset p's bit is bit (p >> alignShift) & 31 of word
   *  bitmapBase + (p >> alignShift >> 5) (slotsOff is arena-aligned, so this is exact) */
  declare readonly bitmapBase: number;
  declare readonly bitmapBytes: number;
  declare readonly slotsOff: number;
  declare readonly maxSlots: number;
  /** maxSlots * ARENA_SIZE: offsets slotsOff + [0, slotSpace) can hold blocks */
  declare readonly slotSpace: number;
  declare readonly alignShift: number;
  declare readonly alignMask: number;
  declare readonly arenaBits: number;
  declare readonly arenaSize: number;
  declare readonly poolSize: number;
  /** ~(POOL_SIZE - 1): p & poolMask is the pool holding block p */
  declare readonly poolMask: number;
  declare readonly poolOverhead: number;
  declare readonly poolsInArena: number;
  declare readonly nbClasses: number;
  declare readonly smallThreshold: number;

  constructor(mem: Memory, layout: Layout) {
    const g = layout.geometry;
    const need = allocStateBytes(g, layout.maxSlots, layout.maxThreads);
    if (need > layout.allocStateBytes) {
      throw new RangeError(`allocator state needs ${need} bytes, the layout reserves ${layout.allocStateBytes}`);
    }
    const off = stateOffsets(g, layout.maxSlots, layout.maxThreads);
    this.mem = mem;
    this.layout = layout;
    this.geometry = g;
    this.i32 = mem.view.i32;
    this.u8 = mem.view.u8;
    this.viewSpan = 0;
    this.viewEnd = 0;
    this.base = layout.allocOff;
    this.usedpoolsShared = this.base + off.usedpools;
    this.nullRings = this.base + off.nullRings;
    this.nfp2lasta = this.base + off.nfp2lasta;
    this.tlsfSlBitmaps = this.base + off.tlsfSlBitmaps;
    this.tlsfHeads = this.base + off.tlsfHeads;
    this.threadHeaps = this.base + off.threadHeaps;
    this.threadHeapBytes = threadHeapBytes(g);
    this.maxThreads = layout.maxThreads;
    this.arenas = this.base + off.arenas;
    this.segmap = this.base + off.segmap;
    this.bitmapWord = (this.base + off.bitmap) >> 2;
    this.xfreeDelta = (off.xfreeBitmap - off.bitmap) >> 2;
    this.rawDelta = (off.rawBitmap - off.bitmap) >> 2;
    this.bitmapBytes = off.bitmapBytes;
    this.bitmapBase = this.bitmapWord - ((layout.slotsOff >> g.ALIGNMENT_SHIFT) >> 5);
    this.slotsOff = layout.slotsOff;
    this.maxSlots = layout.maxSlots;
    this.slotSpace = layout.maxSlots * g.ARENA_SIZE;
    this.alignShift = g.ALIGNMENT_SHIFT;
    this.alignMask = g.ALIGNMENT - 1;
    this.arenaBits = g.ARENA_BITS;
    this.arenaSize = g.ARENA_SIZE;
    this.poolSize = g.POOL_SIZE;
    this.poolMask = ~(g.POOL_SIZE - 1);
    this.poolOverhead = alignUp(POOL_HEADER_BYTES, g.ALIGNMENT);
    if (this.poolOverhead !== g.POOL_OVERHEAD) throw new RangeError('POOL_OVERHEAD disagrees with the pool header');
    this.poolsInArena = g.MAX_POOLS_IN_ARENA;
    this.nbClasses = g.NB_SMALL_SIZE_CLASSES;
    this.smallThreshold = g.SMALL_REQUEST_THRESHOLD;
    this.nslotsWord = (this.base + S_NSLOTS) >> 2;
    this.sync();
  }

  private declare readonly nslotsWord: number;

  /** Take the buffer's current fixed-length views (after this or another thread grew it). */
  sync(): void {
    const v = this.mem.sync();
    this.i32 = v.i32;
    this.u8 = v.u8;
    const slots = Math.max(0, Math.floor((v.bytes - this.slotsOff) / this.arenaSize));
    this.viewSpan = Math.min(slots, this.maxSlots) * this.arenaSize;
    this.viewEnd = this.slotsOff + this.viewSpan;
  }

  /**
   * If slots were carved past this thread's views (by any thread), take new views. Every path
   * that may follow a pointer read from the buffer into a slot calls this (or compares the
   * pointer with viewEnd) first. Returns true when the views changed.
   */
  syncIfGrown(): boolean {
    if (this.i32[this.nslotsWord] * this.arenaSize > this.viewSpan) {
      this.sync();
      return true;
    }
    return false;
  }

  /** Read a state scalar (S_*). */
  get(field: number): number {
    return this.i32[(this.base + field) >> 2];
  }

  set(field: number, value: number): void {
    this.i32[(this.base + field) >> 2] = value;
  }

  /** Block size of size class i: (i + 1) * ALIGNMENT (CPython's INDEX2SIZE). */
  index2size(i: number): number {
    return (i + 1) << this.alignShift;
  }

  /** Blocks per pool of size class i (CPython's NUMBLOCKS). */
  numblocks(i: number): number {
    return Math.floor((this.poolSize - this.poolOverhead) / this.index2size(i));
  }

  /** The arena object with index i. */
  arenaObject(i: number): number {
    return this.arenas + i * ARENA_OBJECT_BYTES;
  }

  arenaIndex(ao: number): number {
    return (ao - this.arenas) / ARENA_OBJECT_BYTES;
  }

  /** The segment map entry of slot s. */
  seg(s: number): number {
    return this.segmap + s * SEG_ENTRY_BYTES;
  }

  /** Offset of slot s. */
  slotAddress(s: number): number {
    return this.slotsOff + s * this.arenaSize;
  }

  /* ---- the live-block bitmap ---- */

  /** True when p is the start of a block currently handed out (pymalloc or raw). Exact. */
  isLive(p: number): boolean {
    const d = p - this.slotsOff;
    if (!(d >= 0 && d < this.slotSpace) || (p | 0) !== p || (p & this.alignMask) !== 0) return false;
    const u = p >> this.alignShift;
    const w = this.bitmapBase + (u >> 5);
    return (((this.i32[w] & ~this.i32[w + this.xfreeDelta]) | this.i32[w + this.rawDelta]) & (1 << u)) !== 0; // 1 << u uses u & 31
  }

  /** p's live bit alone (set for a block handed out, and for one freed by another thread that
   *  its owner has not collected yet). p must be an aligned offset in the slot space. */
  liveBit(p: number): boolean {
    const u = p >> this.alignShift;
    return (this.i32[this.bitmapBase + (u >> 5)] & (1 << u)) !== 0;
  }

  /** p's pending-free bit (freed by a thread that does not own its pool, not yet collected). */
  pendingBit(p: number): boolean {
    const u = p >> this.alignShift;
    return (this.i32[this.bitmapBase + this.xfreeDelta + (u >> 5)] & (1 << u)) !== 0;
  }

  /** The thread heap record of thread slot r. */
  threadHeap(r: number): number {
    return this.threadHeaps + r * this.threadHeapBytes;
  }

  markLive(p: number): void {
    const u = p >> this.alignShift;
    this.i32[this.bitmapBase + (u >> 5)] |= 1 << u;
  }

  clearLive(p: number): void {
    const u = p >> this.alignShift;
    this.i32[this.bitmapBase + (u >> 5)] &= ~(1 << u);
  }

  /** p's raw live bit (set while p is the payload of a raw block handed out). */
  rawLiveBit(p: number): boolean {
    const u = p >> this.alignShift;
    return (this.i32[this.bitmapBase + this.rawDelta + (u >> 5)] & (1 << u)) !== 0;
  }

  markRawLive(p: number): void {
    const u = p >> this.alignShift;
    this.i32[this.bitmapBase + this.rawDelta + (u >> 5)] |= 1 << u;
  }

  clearRawLive(p: number): void {
    const u = p >> this.alignShift;
    this.i32[this.bitmapBase + this.rawDelta + (u >> 5)] &= ~(1 << u);
  }
}

/**
 * Set up the usedpools rings at `usedpools` (usedpoolsBytes(g) bytes): every ring empty (its head
 * points at itself). The 16 bytes before `usedpools` belong to the class-0 sentinel's unused
 * fields and are never read or written, so they may hold anything.
 */
export function initUsedpools(i32: Int32Array, usedpools: number, g: Geometry): void {
  for (let i = 0; i < g.NB_SMALL_SIZE_CLASSES; i++) {
    const head = usedpoolsHead(usedpools, i);
    i32[(head + POOL_NEXTPOOL) >> 2] = head;
    i32[(head + POOL_PREVPOOL) >> 2] = head;
  }
}

/**
 * The sentinel "pool" heading the ring of size class i (CPython's PTA(i)): a fake pool header
 * placed so that its nextpool and prevpool fields are usedpools[2i] and usedpools[2i + 1].
 */
export function usedpoolsHead(usedpools: number, i: number): number {
  return usedpools + i * 16 - POOL_NEXTPOOL;
}

/** Write a fresh allocator state into the region (the buffer's other regions are untouched). */
export function initAllocState(st: HeapState): void {
  const bitmapOff = st.bitmapWord << 2;
  st.u8.fill(0, st.base, bitmapOff);
  // The bitmaps are large (maxBytes / 128 each) and, in a fresh buffer, already zero: clear only
  // what is set, so that their untouched pages stay untouched.
  const i32 = st.i32;
  const end = (st.base + st.layout.allocStateBytes) >> 2;
  for (let w = st.bitmapWord; w < end; w++) if (i32[w] !== 0) i32[w] = 0;
  initUsedpools(st.i32, st.usedpoolsShared, st.geometry);
  initUsedpools(st.i32, st.nullRings, st.geometry);
  for (let r = 0; r < st.maxThreads; r++) initThreadHeapRecord(st, st.threadHeap(r));
  st.set(S_QSBR_WR_SEQ, QSBR_INITIAL);
  st.set(S_QSBR_RD_MIN, QSBR_INITIAL);
  st.set(S_MAGIC, STATE_MAGIC);
}

/** The sentinel heading a record's ring of full pools. */
export function fullRingHead(rec: number): number {
  return rec + TH_FULL_RING - POOL_NEXTPOOL;
}

/**
 * Empty a thread heap record: empty rings, sealed delayed list, no deferred queue, offline. Its
 * state word is left alone (the caller owns the record and publishes its state afterwards).
 */
export function initThreadHeapRecord(st: HeapState, rec: number): void {
  const i32 = st.i32;
  // Everything but the state word and the delayed_free list, which other threads may be reading:
  // a record being emptied is already sealed, a fresh one (all zero) gets sealed here.
  i32.fill(0, (rec + TH_STATE + 4) >> 2, (rec + TH_DELAYED) >> 2);
  i32.fill(0, (rec + TH_DELAYED + 4) >> 2, (rec + TH_USEDPOOLS) >> 2);
  const full = fullRingHead(rec);
  i32[(full + POOL_NEXTPOOL) >> 2] = full;
  i32[(full + POOL_PREVPOOL) >> 2] = full;
  initUsedpools(i32, rec + TH_USEDPOOLS, st.geometry);
  Atomics.compareExchange(i32, (rec + TH_DELAYED) >> 2, 0, TH_SEALED);
}

/*
 * The buffer layout: where everything shared lives.
 * ==================================================
 *
 * gilsim keeps all shared state in ONE growable SharedArrayBuffer. Every thread (the coordinator
 * and each worker playing a Python thread) maps the same buffer; a Python object is named by its
 * byte offset in it, and offset 0 is NULL (the header lives there, so no object ever does).
 *
 * The buffer starts with fixed regions whose sizes follow from the configuration, then the slot
 * space that pymalloc's arenas and the raw allocator's segments are carved from as the buffer
 * grows. The map (offsets for the defaults: 3.11 profile, 64 threads, 16384 trace events each):
 *
 *   offset        region                      size           written by
 *   -----------   -------------------------   ------------   ----------------------------------
 *   0             HEADER                      512 B          creator only (then read-only)
 *                   line 0: magic, layout version, geometry (alignment, pool, arena), limits
 *                   line 1: region offsets (this map, as numbers)
 *                   line 2: runtime config (python profile, gil policy, refcount, intervals)
 *   512           GIL BLOCK                   1 KiB          src/gil (word map: gil/block.ts)
 *                   line 0 mutex | 1 cond | 2 switch_mutex | 3 switch_cond
 *                   line 4 locked, last_holder, switch_number, held_ms | 5 drop_request_at
 *                   line 6 interval, check interval, watchdog limit, buffer id, work calibration
 *                   line 7 waiter stats | 8-9 fifo tickets | 10 heap lock (no GIL)
 *                   line 11 abort, failed slot | 12-13 stop-the-world | 14-15 spare
 *   1.5 KiB       THREAD TABLE                maxThreads     src/runtime (word map:
 *                   [0] [1] ... [maxThreads-1] x 2 KiB       runtime/threadstate.ts)
 *                   per slot, line 0 eval breaker | 1 attach state | 2 status, blocked-on
 *                   3 wake words | 4-5 name | 6-13 metrics | 14-21 wait histogram | 22 trace head
 *   +             TRACE RINGS                 maxThreads x   each thread its own ring of
 *                                             traceEvents    timeline events (16 B each)
 *                                             x 16 B
 *   +             ALLOCATOR STATE             allocStateBytes src/heap (word map: heap/state.ts)
 *                   line 0 scalars (usable_arenas, unused_arena_objects, arena counters, slot
 *                   space, raw counters) | line 1 arena lock | line 2 QSBR sequences |
 *                   line 4+ usedpools rings | null rings | nfp2lasta | TLSF bitmaps and lists |
 *                   THREAD HEAPS: maxThreads records x threadHeapBytes (768 B in 3.11, 1280 B
 *                   legacy; each written by its thread: state, deferred-free queue | delayed-free
 *                   list (written by others) | QSBR read sequence | full-pool ring | its own
 *                   usedpools) | arena objects | segment map (one entry per slot) | live-block
 *                   bitmap (1 bit per ALIGNMENT of slot space: maxBytes/128 in 3.11, /64 legacy)
 *                   | pending-free bitmap (same size; free-threaded cross-thread frees) | raw
 *                   live bitmap (same size; the raw allocator's blocks)
 *   +             GC STATE                    256 KiB        src/objects/gc-lists.ts (generation
 *                                                            rings, counts, thresholds: tracking)
 *                                                            and src/gc (stats, collection log)
 *   +             RUNTIME STATE               64 KiB         src/runtime + src/objects (type
 *                                                            table, immortals, small ints, run
 *                                                            state: abort flag, error record)
 *   SLOTS_OFF     SLOT SPACE (rounded up to ARENA_SIZE)      src/heap: arenas (one slot each)
 *     slot 0 | slot 1 | slot 2 | ...   each ARENA_SIZE,      and raw segments (runs of slots);
 *                                      grown on demand       the buffer grows by whole slots up
 *                                      up to maxBytes        to maxBytes and never shrinks
 *
 * Every region starts on a 64-byte line (CACHE_LINE). Fields that different threads write live on
 * different lines: false sharing is an effect we choose to show, never one we suffer by accident.
 *
 * Views: `mem.i32`, `mem.u8`, ... are length-tracking (created without a length), so when any
 * thread grows the buffer every thread sees the new bytes. Index words as `i32[off >> 2]`,
 * doubles as `f64[off >> 3]` (8-byte aligned offsets only).
 *
 * Fast views: Node 20's V8 does not optimise element access through length-tracking views of a
 * growable SharedArrayBuffer: measured on these machines, a pop+push on a free list costs about
 * 60 ns through them against 2.6 ns through fixed-length views of the same buffer. Hot paths
 * therefore use `mem.view` (a `MemoryView`: fixed-length views over [0, view.bytes)), which
 * `mem.sync()` replaces by a bigger one after the buffer grew (any thread may grow it). A fixed
 * view stays valid for the range it covers, so a stale view is never wrong, only short: code that
 * meets an offset at or past `view.bytes` calls `mem.sync()` and re-reads `mem.view`. The heap
 * does this on its own (it learns of growth from its slot count); other layers should sync at
 * their own boundaries (e.g. after taking the GIL) or before touching an offset past their view.
 *
 * The header is the only place a worker learns the layout: `readLayout(mem)` rebuilds the same
 * `Layout` the creator computed, so creator and workers can never disagree.
 */

/** Bytes in a cache line: the unit of separation for fields written by different threads. */
export const CACHE_LINE = 64;
/** 'GILS' */
export const MAGIC = 0x47494c53;
/** Bumped whenever the meaning of any header word changes. */
export const LAYOUT_VERSION = 1;
/** Offsets must fit a positive Int32 so a handle can be stored in an Int32Array slot. */
export const MAX_BUFFER_BYTES = 2 ** 31 - 2 ** 20;
/** Default maximum size of the buffer (the issue: 1 GiB). */
export const DEFAULT_MAX_BYTES = 2 ** 30;

export const HEADER_BYTES = 512;
export const GIL_BLOCK_BYTES = 1024;
export const THREAD_STATE_BYTES = 2048;
export const TRACE_EVENT_BYTES = 16;
export const GC_STATE_BYTES = 256 * 1024;
export const RUNTIME_STATE_BYTES = 64 * 1024;

export const DEFAULT_MAX_THREADS = 64;
export const DEFAULT_TRACE_EVENTS = 16384;

/* ---- the allocator geometry: CPython's constants per profile (reference section 1) ---- */

export type HeapProfile = '3.11' | 'legacy';

export interface Geometry {
  readonly profile: HeapProfile;
  /** log2(ALIGNMENT) */
  readonly ALIGNMENT_SHIFT: number;
  readonly ALIGNMENT: number;
  readonly SMALL_REQUEST_THRESHOLD: number;
  /** number of size classes = SMALL_REQUEST_THRESHOLD / ALIGNMENT */
  readonly NB_SMALL_SIZE_CLASSES: number;
  readonly POOL_BITS: number;
  readonly POOL_SIZE: number;
  readonly ARENA_BITS: number;
  readonly ARENA_SIZE: number;
  /** pools per arena = ARENA_SIZE / POOL_SIZE */
  readonly MAX_POOLS_IN_ARENA: number;
  /** the pool header, rounded up to ALIGNMENT */
  readonly POOL_OVERHEAD: number;
}

function geometry(profile: HeapProfile, alignmentShift: number, poolBits: number, arenaBits: number): Geometry {
  const ALIGNMENT = 1 << alignmentShift;
  const SMALL_REQUEST_THRESHOLD = 512;
  const POOL_SIZE = 1 << poolBits;
  const ARENA_SIZE = 1 << arenaBits;
  return Object.freeze({
    profile,
    ALIGNMENT_SHIFT: alignmentShift,
    ALIGNMENT,
    SMALL_REQUEST_THRESHOLD,
    NB_SMALL_SIZE_CLASSES: SMALL_REQUEST_THRESHOLD / ALIGNMENT,
    POOL_BITS: poolBits,
    POOL_SIZE,
    ARENA_BITS: arenaBits,
    ARENA_SIZE,
    MAX_POOLS_IN_ARENA: ARENA_SIZE / POOL_SIZE,
    POOL_OVERHEAD: 48,
  });
}

/** CPython 3.11 on 64-bit: 16-byte alignment, 16 KiB pools, 1 MiB arenas. */
export const GEOMETRY_3_11 = geometry('3.11', 4, 14, 20);
/** CPython 3.7 and before (and 2.7): 8-byte alignment, 4 KiB pools, 256 KiB arenas. */
export const GEOMETRY_LEGACY = geometry('legacy', 3, 12, 18);

export const PROFILE_IDS: readonly HeapProfile[] = ['3.11', 'legacy'];

export function geometryOf(profile: HeapProfile): Geometry {
  if (profile === '3.11') return GEOMETRY_3_11;
  if (profile === 'legacy') return GEOMETRY_LEGACY;
  throw new RangeError(`unknown heap profile '${String(profile)}' (expected '3.11' or 'legacy')`);
}

/* ---- header words (Int32 indices into the buffer) ---- */

/** Line 0: identity, geometry and limits. */
export const H_MAGIC = 0;
export const H_VERSION = 1;
export const H_PROFILE = 2;
export const H_MAX_BYTES = 3; // read through a Uint32Array
export const H_MAX_THREADS = 4;
export const H_TRACE_EVENTS = 5;
export const H_ALLOC_STATE_BYTES = 6;
/** Line 1: region offsets. */
export const H_OFF_GIL = 16;
export const H_OFF_THREADS = 17;
export const H_OFF_TRACE = 18;
export const H_OFF_ALLOC = 19;
export const H_OFF_GC = 20;
export const H_OFF_RUNTIME = 21;
export const H_OFF_SLOTS = 22;
/**
 * Line 2 (words 32..47): the runtime configuration, written by the runtime's creator. The
 * meaning of each word is owned by src/runtime/config.ts; the heap only reserves the line.
 */
export const H_CONFIG = 32;
export const H_CONFIG_WORDS = 16;

/** Everything a thread needs to find its way around the buffer. */
export interface Layout {
  readonly geometry: Geometry;
  readonly maxBytes: number;
  readonly maxThreads: number;
  readonly traceEvents: number;
  readonly gilOff: number;
  readonly threadsOff: number;
  readonly traceOff: number;
  readonly allocOff: number;
  readonly allocStateBytes: number;
  readonly gcOff: number;
  readonly runtimeOff: number;
  /** start of the slot space; a multiple of ARENA_SIZE */
  readonly slotsOff: number;
  /** how many slots fit below maxBytes */
  readonly maxSlots: number;
}

export interface LayoutOptions {
  profile?: HeapProfile;
  maxBytes?: number;
  maxThreads?: number;
  traceEvents?: number;
}

const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

/**
 * Compute the layout for a configuration. `allocStateBytes(geometry, maxSlots, maxThreads)` is
 * supplied by the heap (it knows how big its own state is, per-thread records included) so this
 * file stays the one place that places regions without knowing their insides.
 */
export function computeLayout(
  opts: LayoutOptions,
  allocStateBytes: (g: Geometry, maxSlots: number, maxThreads: number) => number,
): Layout {
  const g = geometryOf(opts.profile ?? '3.11');
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const maxThreads = opts.maxThreads ?? DEFAULT_MAX_THREADS;
  const traceEvents = opts.traceEvents ?? DEFAULT_TRACE_EVENTS;
  if (!Number.isInteger(maxBytes) || maxBytes <= 0 || maxBytes > MAX_BUFFER_BYTES) {
    throw new RangeError(`maxBytes must be a whole number of bytes up to ${MAX_BUFFER_BYTES}, got ${maxBytes}`);
  }
  if (!Number.isInteger(maxThreads) || maxThreads < 1 || maxThreads > 1024) {
    throw new RangeError(`maxThreads must be 1..1024, got ${maxThreads}`);
  }
  if (!Number.isInteger(traceEvents) || traceEvents < 0 || traceEvents > 1 << 22) {
    throw new RangeError(`traceEvents must be 0..${1 << 22}, got ${traceEvents}`);
  }
  const gilOff = HEADER_BYTES;
  const threadsOff = gilOff + GIL_BLOCK_BYTES;
  const traceOff = threadsOff + maxThreads * THREAD_STATE_BYTES;
  const allocOff = alignUp(traceOff + maxThreads * traceEvents * TRACE_EVENT_BYTES, CACHE_LINE);
  // maxSlots depends on slotsOff, which depends on the allocator state's size, which depends on
  // maxSlots: use the upper bound maxBytes / ARENA_SIZE for sizing (a few unused entries at most).
  const slotBound = Math.floor(maxBytes / g.ARENA_SIZE);
  const allocBytes = alignUp(allocStateBytes(g, slotBound, maxThreads), CACHE_LINE);
  const gcOff = allocOff + allocBytes;
  const runtimeOff = gcOff + GC_STATE_BYTES;
  const slotsOff = alignUp(runtimeOff + RUNTIME_STATE_BYTES, g.ARENA_SIZE);
  if (slotsOff + g.ARENA_SIZE > maxBytes) {
    throw new RangeError(
      `maxBytes ${maxBytes} is too small: the fixed regions take ${slotsOff} bytes and at least one ` +
        `${g.ARENA_SIZE}-byte arena must fit after them`,
    );
  }
  const maxSlots = Math.floor((maxBytes - slotsOff) / g.ARENA_SIZE);
  return Object.freeze({
    geometry: g,
    maxBytes,
    maxThreads,
    traceEvents,
    gilOff,
    threadsOff,
    traceOff,
    allocOff,
    allocStateBytes: allocBytes,
    gcOff,
    runtimeOff,
    slotsOff,
    maxSlots,
  });
}

/** Fixed-length views over the first `bytes` bytes of the buffer (fast; see "Fast views" above). */
export interface MemoryView {
  readonly bytes: number;
  readonly u8: Uint8Array;
  readonly i32: Int32Array;
  readonly u32: Uint32Array;
  readonly f64: Float64Array;
}

function fixedView(sab: SharedArrayBuffer): MemoryView {
  const bytes = sab.byteLength;
  return Object.freeze({
    bytes,
    u8: new Uint8Array(sab, 0, bytes),
    i32: new Int32Array(sab, 0, bytes >> 2),
    u32: new Uint32Array(sab, 0, bytes >> 2),
    f64: new Float64Array(sab, 0, bytes >> 3),
  });
}

/** The views every thread uses. */
export class Memory {
  readonly sab: SharedArrayBuffer;
  /** length-tracking views: always see the whole buffer, slow on hot paths */
  readonly u8: Uint8Array;
  readonly i32: Int32Array;
  readonly u32: Uint32Array;
  readonly f64: Float64Array;
  /** fixed-length views over [0, view.bytes): fast; replaced by sync() after growth */
  view: MemoryView;

  constructor(sab: SharedArrayBuffer) {
    if (!sab.growable) throw new TypeError('gilsim needs a growable SharedArrayBuffer');
    this.sab = sab;
    this.u8 = new Uint8Array(sab);
    this.i32 = new Int32Array(sab);
    this.u32 = new Uint32Array(sab);
    this.f64 = new Float64Array(sab);
    this.view = fixedView(sab);
  }

  get byteLength(): number {
    return this.sab.byteLength;
  }

  /** Make `view` cover the whole buffer as it is now (after growth by any thread). Returns it. */
  sync(): MemoryView {
    if (this.sab.byteLength !== this.view.bytes) this.view = fixedView(this.sab);
    return this.view;
  }

  /** Grow to at least `bytes` (no-op if already that big). Returns false if over the maximum. */
  growTo(bytes: number): boolean {
    if (bytes > this.sab.byteLength) {
      if (bytes > this.sab.maxByteLength) return false;
      this.sab.grow(bytes);
    }
    this.sync();
    return true;
  }
}

/** Create the buffer for a layout and write the header. The buffer starts just past the fixed regions. */
export function createBuffer(layout: Layout): Memory {
  const sab = new SharedArrayBuffer(layout.slotsOff, { maxByteLength: layout.maxBytes });
  const mem = new Memory(sab);
  const i32 = mem.i32;
  i32[H_MAGIC] = MAGIC;
  i32[H_VERSION] = LAYOUT_VERSION;
  i32[H_PROFILE] = PROFILE_IDS.indexOf(layout.geometry.profile);
  mem.u32[H_MAX_BYTES] = layout.maxBytes;
  i32[H_MAX_THREADS] = layout.maxThreads;
  i32[H_TRACE_EVENTS] = layout.traceEvents;
  i32[H_ALLOC_STATE_BYTES] = layout.allocStateBytes;
  i32[H_OFF_GIL] = layout.gilOff;
  i32[H_OFF_THREADS] = layout.threadsOff;
  i32[H_OFF_TRACE] = layout.traceOff;
  i32[H_OFF_ALLOC] = layout.allocOff;
  i32[H_OFF_GC] = layout.gcOff;
  i32[H_OFF_RUNTIME] = layout.runtimeOff;
  i32[H_OFF_SLOTS] = layout.slotsOff;
  return mem;
}

/** Rebuild the creator's layout from the header of an existing buffer (what a worker does). */
export function readLayout(mem: Memory): Layout {
  const i32 = mem.i32;
  if (i32[H_MAGIC] !== MAGIC) throw new TypeError('not a gilsim buffer (bad magic)');
  if (i32[H_VERSION] !== LAYOUT_VERSION) {
    throw new TypeError(`gilsim buffer layout version ${i32[H_VERSION]}, this code expects ${LAYOUT_VERSION}`);
  }
  const g = geometryOf(PROFILE_IDS[i32[H_PROFILE]!]!);
  const maxBytes = mem.u32[H_MAX_BYTES]!;
  const slotsOff = i32[H_OFF_SLOTS]!;
  return Object.freeze({
    geometry: g,
    maxBytes,
    maxThreads: i32[H_MAX_THREADS]!,
    traceEvents: i32[H_TRACE_EVENTS]!,
    gilOff: i32[H_OFF_GIL]!,
    threadsOff: i32[H_OFF_THREADS]!,
    traceOff: i32[H_OFF_TRACE]!,
    allocOff: i32[H_OFF_ALLOC]!,
    allocStateBytes: i32[H_ALLOC_STATE_BYTES]!,
    gcOff: i32[H_OFF_GC]!,
    runtimeOff: i32[H_OFF_RUNTIME]!,
    slotsOff,
    maxSlots: Math.floor((maxBytes - slotsOff) / g.ARENA_SIZE),
  });
}

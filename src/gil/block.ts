/*
 * The GIL block: the 1 KiB region at `layout.gilOff` where the lock lives.
 *
 * Everything any policy shares between threads is here, in Int32 words (doubles take two
 * aligned words). The block is cut into 64-byte lines; words written by different parties sit on
 * different lines, so that a waiter polling `locked` does not steal the line the holder's mutex
 * lives on, and so that false sharing only appears where CPython has it too.
 *
 *   line  words   field                   written by              meaning
 *   ----  ------  ----------------------  ----------------------  ---------------------------------
 *    0    0       mutex                   taker, dropper          gil->mutex (futex word)
 *    1    16      cond                    dropper                 gil->cond (sequence word)
 *    2    32      switch_mutex            taker, forced dropper   gil->switch_mutex
 *    3    48      switch_cond             taker                   gil->switch_cond (FORCE_SWITCHING)
 *    4    64      locked                  taker, dropper          1 while some thread holds the GIL
 *         65      last_holder             taker, dropper          slot of the last holder, -1 none
 *         66      switch_number           taker                   handoffs to a different thread
 *         68..69  held_ms (f64)           holder, at drop         total time the GIL was held
 *    5    80..81  drop_request_at (f64)   waiter                  when the last drop request was set
 *         82      drop_requests           waiter                  drop requests made, all threads
 *    6    96      interval_us             sys.setswitchinterval   the new GIL's switch interval
 *         97      check_interval          sys.setcheckinterval    the old GIL's ticks per release
 *         98      deadlock_ms             creator                 watchdog limit for a blocked thread
 *         99      buffer_id               creator                 identifies this buffer to workers
 *         104..5  work_per_bytecode (f64) creator                 calibrated work loop iterations
 *         106..7  bytecode_ns (f64)       creator                 the target cost of one bytecode
 *    7    112     stats_mutex             any waiter              guards the waiter accounting
 *         113     waiters                 any waiter              threads waiting for the GIL now
 *         114..5  contended_since (f64)   any waiter              when waiters went from 0 to 1
 *         116..7  contended_ms (f64)      any waiter              total time with >= 1 waiter
 *    8    128     next_ticket             fifo takers             the fifo policy's ticket dispenser
 *    9    144     now_serving             fifo dropper            the ticket allowed to hold the GIL
 *         145     fifo_holder             fifo taker              slot holding the fifo GIL, -1 none
 *   10    160     heap_lock               allocator callers       the free-threaded build's heap lock
 *   11    176     abort                   failing thread          1 once any thread failed
 *         177     failed_slot             failing thread          first failed slot + 1 (0 = none)
 *   12    192     stw_mutex               stop-the-world requester  one stop-the-world at a time
 *   13    208     stw_requested           requester               1 while the world is stopped
 *         209     stw_requester           requester               slot of the requester
 *         210     stw_event               parking threads         bumped when a thread parks
 *         211     stw_count               requester               stop-the-world pauses so far
 *  14-15  224     policy scratch          a new policy            room for one more policy's words
 *
 * Slots are thread-table indices; -1 means "no thread".
 */

import { US_PER_MS } from './clock.ts';
import { CACHE_LINE, GIL_BLOCK_BYTES, type Layout, type Memory } from '../heap/layout.ts';

export const LINE_WORDS = CACHE_LINE / 4;
const line = (n: number): number => n * LINE_WORDS;

export const NO_THREAD = -1;

export const G_MUTEX = line(0);
export const G_COND = line(1);
export const G_SWITCH_MUTEX = line(2);
export const G_SWITCH_COND = line(3);
export const G_LOCKED = line(4);
export const G_LAST_HOLDER = line(4) + 1;
export const G_SWITCH_NUMBER = line(4) + 2;
export const G_HELD_MS = line(4) + 4;
export const G_DROP_REQUEST_AT = line(5);
export const G_DROP_REQUESTS = line(5) + 2;
export const G_INTERVAL_US = line(6);
export const G_CHECK_INTERVAL = line(6) + 1;
export const G_DEADLOCK_MS = line(6) + 2;
export const G_BUFFER_ID = line(6) + 3;
export const G_WORK_PER_BYTECODE = line(6) + 8;
export const G_BYTECODE_NS = line(6) + 10;
export const G_STATS_MUTEX = line(7);
export const G_WAITERS = line(7) + 1;
export const G_CONTENDED_SINCE = line(7) + 2;
export const G_CONTENDED_MS = line(7) + 4;
export const G_NEXT_TICKET = line(8);
export const G_NOW_SERVING = line(9);
export const G_FIFO_HOLDER = line(9) + 1;
export const G_HEAP_LOCK = line(10);
export const G_ABORT = line(11);
export const G_FAILED_SLOT = line(11) + 1;
export const G_STW_MUTEX = line(12);
export const G_STW_REQUESTED = line(13);
export const G_STW_REQUESTER = line(13) + 1;
export const G_STW_EVENT = line(13) + 2;
export const G_STW_COUNT = line(13) + 3;
export const G_POLICY_SCRATCH = line(14);

/** Words in the block; a field past this would spill into the thread table. */
export const GIL_BLOCK_WORDS = GIL_BLOCK_BYTES / 4;

/**
 * Fixed-length views over the fixed regions (header, GIL block, thread table, trace rings, ...,
 * everything below the slot space). They never move when the buffer grows, and V8 makes
 * Atomics on a fixed-length view several times cheaper than on a length-tracking one: the eval
 * breaker poll uses these.
 */
export interface FixedViews {
  readonly i32: Int32Array;
  readonly f64: Float64Array;
}

export function fixedViews(mem: Memory, layout: Layout): FixedViews {
  return {
    i32: new Int32Array(mem.sab, 0, layout.slotsOff >> 2),
    f64: new Float64Array(mem.sab, 0, layout.slotsOff >> 3),
  };
}

/** Index helpers: the block's words as Int32Array / Float64Array indices. */
export class GilBlock {
  readonly mem: Memory;
  readonly base: number;
  /** fixed-length views (see fixedViews) */
  readonly i32: Int32Array;
  readonly f64: Float64Array;

  constructor(mem: Memory, layout: Layout, views: FixedViews = fixedViews(mem, layout)) {
    this.mem = mem;
    this.base = layout.gilOff >> 2;
    this.i32 = views.i32;
    this.f64 = views.f64;
  }

  /** Int32Array index of word `w`. */
  word(w: number): number {
    return this.base + w;
  }

  /** Float64Array index of the double starting at word `w` (w even). */
  f64Index(w: number): number {
    return (this.base + w) >> 1;
  }

  load(w: number): number {
    return Atomics.load(this.i32, this.base + w);
  }

  store(w: number, v: number): void {
    Atomics.store(this.i32, this.base + w, v);
  }

  getF64(w: number): number {
    return this.f64[(this.base + w) >> 1]!;
  }

  setF64(w: number, v: number): void {
    this.f64[(this.base + w) >> 1] = v;
  }
}

export interface GilBlockInit {
  switchIntervalMs: number;
  checkInterval: number;
  deadlockMs: number;
  bufferId: number;
  workPerBytecode: number;
  bytecodeNs: number;
}

/** Zero the block and write its configuration words. Done once, by the buffer's creator. */
export function initGilBlock(block: GilBlock, init: GilBlockInit): void {
  block.i32.fill(0, block.base, block.base + GIL_BLOCK_WORDS);
  block.store(G_LAST_HOLDER, NO_THREAD);
  block.store(G_FIFO_HOLDER, NO_THREAD);
  block.store(G_STW_REQUESTER, NO_THREAD);
  block.store(G_INTERVAL_US, Math.round(init.switchIntervalMs * US_PER_MS));
  block.store(G_CHECK_INTERVAL, init.checkInterval);
  block.store(G_DEADLOCK_MS, Math.round(init.deadlockMs));
  block.store(G_BUFFER_ID, init.bufferId);
  block.setF64(G_WORK_PER_BYTECODE, init.workPerBytecode);
  block.setF64(G_BYTECODE_NS, init.bytecodeNs);
}

/*
 * PyThreadState: one slot of the thread table per Python thread, and the eval breaker.
 *
 * The thread table at `layout.threadsOff` holds `layout.maxThreads` slots of THREAD_STATE_BYTES.
 * A slot is claimed (FREE -> STARTING, one compareExchange) by whichever thread starts the
 * Python thread, so its index is known at once; the worker that runs it then binds a ThreadState
 * to it. The slot is the truth; a ThreadState object is the owning JS thread's cache of its
 * indices plus the counters it has not flushed yet.
 *
 * A slot, line by line (64-byte lines; who writes each):
 *
 *   line 0      eval breaker          anyone (Atomics.or / and)  DROP_REQUEST, GC_SCHEDULED,
 *                                                               STOP_THE_WORLD, ABORT, ...
 *   line 1      attach state          owner, stop-the-world      DETACHED / ATTACHED / SUSPENDED
 *                                     requester                  / GONE (CPython 3.13's states)
 *   line 2      status, blocked-on    owner                      status (joiners sleep on it),
 *                                                               what it is blocked on and since
 *                                                               when: the watchdog reads these
 *   line 3      wake, sleep words     notifiers                  the thread's private futexes,
 *                                                               its link in a Condition's queue
 *   lines 4-5   name                  claimer, once              UTF-8, up to NAME_MAX_BYTES
 *   lines 6-13  metrics (doubles)     owner                      bytecodes, acquisitions, wait
 *                                                               and hold time, drop requests,
 *                                                               releases, parked time, blocked
 *                                                               time per kind
 *   lines 14-21 wait histogram        owner                      GIL wait per acquisition, µs
 *   line 22     trace head            owner                      events written to its ring
 *
 * The eval breaker is what CPython 3.10+ polls at loop back edges and calls: `tick()` is one
 * Atomics.load and a branch while nothing is pending. Bytecodes are counted in a local number
 * and flushed to the slot at polls that take the slow path, at every GIL release, and at least
 * every FLUSH_EVERY bytecodes. The old GIL counts its ticks with the same counter.
 *
 * Attach and detach follow CPython 3.13 (Python/pystate.c): a thread running Python code is
 * ATTACHED (and holds the GIL, when there is one); around a blocking call it is DETACHED. A
 * stop-the-world requester turns DETACHED threads into SUSPENDED with a compareExchange and
 * asks ATTACHED ones to park through their eval breaker; a SUSPENDED thread cannot attach until
 * the world restarts.
 */

import { AbortError, PyRuntimeError } from '../errors.ts';
import { CACHE_LINE, THREAD_STATE_BYTES, type Layout } from '../heap/layout.ts';
import { G_HELD_MS, G_WORK_PER_BYTECODE } from '../gil/block.ts';
import { US_PER_MS } from '../gil/clock.ts';
import type { DropReason } from '../gil/policy.ts';
import { waitWhile, type WaitGuard } from '../gil/wait.ts';
import { histIndex } from './threading/histogram.ts';
import {
  EV_BLOCK_BEGIN,
  EV_BLOCK_END,
  EV_DROP,
  EV_DROP_REQUEST,
  EV_GC_BEGIN,
  EV_GC_END,
  EV_PARK_BEGIN,
  EV_PARK_END,
  EV_TAKE,
  EV_THREAD_END,
  EV_THREAD_START,
  EV_WAIT_BEGIN,
  EV_WAIT_END,
  ringOffset,
  writeEvent,
} from './threading/timeline.ts';
import { BACK_EDGE_EVERY, burn } from './threading/work.ts';
import type { ThreadSystem } from './threads.ts';

/* ---- status (line 2) ---- */
export const ST_FREE = 0;
export const ST_STARTING = 1;
export const ST_RUNNING = 2;
export const ST_BLOCKED = 3;
export const ST_DONE = 4;
export const ST_FAILED = 5;
/** ended by an AbortError because another thread failed */
export const ST_ABORTED = 6;
export const STATUS_NAMES = ['free', 'starting', 'running', 'blocked', 'done', 'failed', 'aborted'] as const;
export type ThreadStatus = (typeof STATUS_NAMES)[number];
export const isEnded = (status: number): boolean => status >= ST_DONE;
export const isLive = (status: number): boolean => status >= ST_STARTING && status <= ST_BLOCKED;

/* ---- attach state (line 1) ---- */
export const DETACHED = 0;
export const ATTACHED = 1;
export const SUSPENDED = 2;
export const GONE = 3;

/* ---- eval breaker bits (line 0); bits 4.. are free for later requests (e.g. merging queued
 * refcounts, issue 7) ---- */
export const DROP_REQUEST = 1 << 0;
export const GC_SCHEDULED = 1 << 1;
export const STOP_THE_WORLD = 1 << 2;
export const ABORT = 1 << 3;
/** The first bit left for later requests; ThreadHooks.breaker handles bits from here up. */
export const FIRST_FREE_BREAKER_BIT = 1 << 4;
const KNOWN_BITS = FIRST_FREE_BREAKER_BIT - 1;

/* ---- what a blocked thread waits for ---- */
export const BLOCK_KINDS = ['none', 'io', 'sleep', 'lock', 'join', 'native', 'queue', 'event', 'cond'] as const;
export type BlockKind = Exclude<(typeof BLOCK_KINDS)[number], 'none'>;
export const blockCode = (k: BlockKind): number => BLOCK_KINDS.indexOf(k);

/* ---- drop reasons, as the DROP event's argument ---- */
export const DROP_REASONS = ['voluntary', 'request', 'interval', 'exit', 'park'] as const;
type DropCause = DropReason | 'park';

/* ---- word offsets inside a slot ---- */
const LINE_WORDS = CACHE_LINE / 4;
const line = (n: number): number => n * LINE_WORDS;
export const T_BREAKER = line(0);
export const T_ATTACH = line(1);
export const T_STATUS = line(2);
export const T_BLOCK_KIND = line(2) + 1;
/** the handle waited on (a lock, queue, event...), or a slot for join */
export const T_BLOCKED_ON = line(2) + 2;
/** byte offset of the state words of what it waits on (locks: where the owner is) */
export const T_BLOCKED_STATE = line(2) + 3;
export const T_BLOCKED_SINCE = line(2) + 4; // f64
export const T_BLOCKED_DEADLINE = line(2) + 6; // f64, Infinity when the wait has no timeout
export const T_PARENT = line(2) + 8;
export const T_WAKE = line(3);
export const T_SLEEP = line(3) + 1;
/** next waiter (slot + 1, 0 = none) in the queue of the Condition this thread waits on */
export const T_COND_NEXT = line(3) + 2;
export const T_NAME_LEN = line(4);
export const T_NAME = line(4) + 1;
export const NAME_MAX_BYTES = 2 * CACHE_LINE - 4;
export const T_METRICS = line(6);
export const METRIC_SLOTS = (8 * CACHE_LINE) / 8;
export const T_HIST = line(14);
export const T_TRACE_HEAD = line(22);
export const SLOT_WORDS_USED = T_TRACE_HEAD + 1;

/* ---- metrics: doubles, index from the first double of T_METRICS ---- */
export const M_BYTECODES = 0;
export const M_ACQUISITIONS = 1;
export const M_WAIT_MS = 2;
export const M_HOLD_MS = 3;
export const M_WAIT_MAX_MS = 4;
export const M_DROP_REQUESTS_MADE = 5;
export const M_DROP_REQUESTS_HONOURED = 6;
export const M_FORCED_DROPS = 7;
export const M_VOLUNTARY_RELEASES = 8;
export const M_PARKED_MS = 9;
export const M_PARKS = 10;
export const M_STARTED_AT = 11;
export const M_ENDED_AT = 12;
export const M_GC_MS = 13;
export const M_GCS = 14;
export const M_CONTENDED_TAKES = 15;
/** blocked time per kind: M_BLOCKED_MS + blockCode(kind) */
export const M_BLOCKED_MS = 16;
export const M_BLOCKED_N = M_BLOCKED_MS + BLOCK_KINDS.length;
export const M_USED = M_BLOCKED_N + BLOCK_KINDS.length;

/** Burn-loop iterations between clock reads while spinning in nativeCall. */
const SPIN_CHUNK = 64;

/** Bytecodes between flushes of the local counter to the slot when nothing else polls. */
export const FLUSH_EVERY = 4096;
/** tick reads the eval breaker plainly; every FENCE_EVERY-th poll is an Atomics.load. */
export const FENCE_EVERY = 16;

/** Int32 index of word `w` of slot `slot`. */
export function slotWord(layout: Layout, slot: number, w: number): number {
  return ((layout.threadsOff + slot * THREAD_STATE_BYTES) >> 2) + w;
}

/** Float64 index of metric `m` of slot `slot`. */
export function metricIndex(layout: Layout, slot: number, m: number): number {
  return (slotWord(layout, slot, T_METRICS) >> 1) + m;
}

const utf8 = new TextEncoder();
const utf8d = new TextDecoder();

/** Write a thread's name (truncated to NAME_MAX_BYTES on a character boundary). */
export function writeName(i32: Int32Array, u8: Uint8Array, layout: Layout, slot: number, name: string): void {
  let bytes = utf8.encode(name);
  if (bytes.length > NAME_MAX_BYTES) {
    let n = NAME_MAX_BYTES;
    while (n > 0 && (bytes[n]! & 0xc0) === 0x80) n--;
    bytes = bytes.subarray(0, n);
  }
  u8.set(bytes, slotWord(layout, slot, T_NAME) * 4);
  Atomics.store(i32, slotWord(layout, slot, T_NAME_LEN), bytes.length);
}

export function readName(i32: Int32Array, u8: Uint8Array, layout: Layout, slot: number): string {
  const len = Atomics.load(i32, slotWord(layout, slot, T_NAME_LEN));
  const at = slotWord(layout, slot, T_NAME) * 4;
  return utf8d.decode(u8.slice(at, at + len));
}

export class ThreadState implements WaitGuard {
  readonly sys: ThreadSystem;
  readonly slot: number;
  readonly name: string;
  /** true while this thread runs Python code (holds the GIL when there is one) */
  attached = false;
  /** bytecodes executed, including those not yet flushed to the slot */
  bytecodes = 0;
  /** tick's slow path runs when bytecodes reach this: a flush, or the old GIL's check interval */
  private checkAt: number;
  /** checkAt while detached (then checkAt is -Infinity, so a py call sends tick to the slow path) */
  private savedCheckAt: number;
  private tookAt = 0;
  private stopError: Error | null = null;
  private lastCycle = '';
  private sink = 1;
  /** polls left until the next Atomics.load of the eval breaker (see tick) */
  private fence = FENCE_EVERY;

  private readonly i32: Int32Array;
  private readonly f64: Float64Array;
  private readonly breaker: number;
  private readonly attachWord: number;
  private readonly statusWord: number;
  private readonly m: number;
  private readonly hist: number;
  private readonly traceHead: number;
  private readonly ringOff: number;
  private readonly ringCap: number;
  private readonly workPerBytecode: number;

  constructor(sys: ThreadSystem, slot: number, name: string) {
    const { layout } = sys;
    this.sys = sys;
    this.slot = slot;
    this.name = name;
    this.i32 = sys.i32;
    this.f64 = sys.f64;
    this.breaker = slotWord(layout, slot, T_BREAKER);
    this.attachWord = slotWord(layout, slot, T_ATTACH);
    this.statusWord = slotWord(layout, slot, T_STATUS);
    this.m = metricIndex(layout, slot, 0);
    this.hist = slotWord(layout, slot, T_HIST);
    this.traceHead = slotWord(layout, slot, T_TRACE_HEAD);
    this.ringOff = ringOffset(layout.traceOff, layout.traceEvents, slot);
    this.ringCap = layout.traceEvents;
    this.workPerBytecode = sys.block.getF64(G_WORK_PER_BYTECODE);
    const interval = sys.policy.checkInterval();
    this.savedCheckAt = interval > 0 ? interval : FLUSH_EVERY;
    this.checkAt = -Infinity;
  }

  /* ================= the eval breaker ================= */

  /**
   * A loop back edge or a call: count one bytecode and poll the eval breaker.
   *
   * CPython polls `eval_breaker` with a relaxed atomic load, which is a plain load. JavaScript's
   * plain read of a shared Int32Array word is the same relaxed load (aligned 32-bit reads never
   * tear); an Atomics.load costs 5-8 ns more in Node 20, on every py call. So the poll reads the
   * word plainly and every FENCE_EVERY-th poll is an Atomics.load (`fenced`), so that no compiler
   * optimisation can keep a stale copy of the word across a loop: a request is seen within
   * FENCE_EVERY bytecodes at worst, far inside any switch interval.
   */
  tick(): void {
    this.bytecodes++;
    if (this.i32[this.breaker] !== 0 || this.bytecodes >= this.checkAt || --this.fence === 0) this.fenced();
  }

  /** Count bytecodes without polling (the body of a py call). */
  count(n: number): void {
    this.bytecodes += n;
  }

  /** tick's slow path: the periodic Atomics.load, then the pending work if there is any. */
  private fenced(): void {
    if (this.fence <= 0) {
      this.fence = FENCE_EVERY;
      if (Atomics.load(this.i32, this.breaker) === 0 && this.bytecodes < this.checkAt) return;
    }
    this.pending();
  }

  /** The slow path of tick: CPython's _Py_HandlePending. */
  private pending(): void {
    let bits = Atomics.load(this.i32, this.breaker);
    if (bits & ABORT) this.raiseAbort();
    // Python code running detached (a program that caught an error from a blocking call and went
    // on): take the GIL back first. Taking it clears a stale drop request, so read the bits again.
    if (!this.attached) {
      this.attach();
      bits = Atomics.load(this.i32, this.breaker);
    }
    if (bits & STOP_THE_WORLD) {
      this.park();
      bits = Atomics.load(this.i32, this.breaker);
    }
    if (bits & DROP_REQUEST) this.honourDropRequest();
    if (bits & GC_SCHEDULED) {
      Atomics.and(this.i32, this.breaker, ~GC_SCHEDULED);
      this.sys.hooks.gcScheduled?.(this);
    }
    if (bits & ~KNOWN_BITS) this.otherRequests(bits & ~KNOWN_BITS);
    if (this.bytecodes >= this.checkAt) {
      this.flush();
      this.sys.hooks.poll?.(this); // [ft-objects] a quiescent point
      const interval = this.sys.policy.checkInterval();
      if (interval > 0 && this.attached) {
        this.detach('interval');
        this.attach();
      }
      this.checkAt = this.bytecodes + (interval > 0 ? interval : FLUSH_EVERY);
    }
  }

  /** Bits a later part defined: its hook handles (and clears) them; without one they are dropped. */
  private otherRequests(bits: number): void {
    const hook = this.sys.hooks.breaker;
    if (hook) hook(this, bits);
    else Atomics.and(this.i32, this.breaker, ~bits);
  }

  /** Set a request bit (FIRST_FREE_BREAKER_BIT and up) on this thread's eval breaker. */
  request(bit: number): void {
    Atomics.or(this.i32, this.breaker, bit);
  }

  /** Clear request bits on this thread's eval breaker (a breaker hook does, once handled). */
  clearRequest(bits: number): void {
    Atomics.and(this.i32, this.breaker, ~bits);
  }

  private honourDropRequest(): void {
    const since = this.sys.clock();
    this.detach('request', since);
    this.attach(since);
  }

  private raiseAbort(): never {
    throw new AbortError(`run aborted: ${this.sys.abortReason()}`);
  }

  /** Ask for a collection at this thread's next poll (CPython's _Py_ScheduleGC). */
  scheduleGc(): void {
    Atomics.or(this.i32, this.breaker, GC_SCHEDULED);
  }

  /** Restart the tick countdown (2.7's sys.setcheckinterval sets _Py_Ticker to the new value). */
  resetTicker(): void {
    const interval = this.sys.policy.checkInterval();
    const at = this.bytecodes + (interval > 0 ? interval : FLUSH_EVERY);
    if (this.attached) this.checkAt = at;
    else this.savedCheckAt = at;
  }

  /** Write the local bytecode count to the slot. */
  flush(): void {
    this.f64[this.m + M_BYTECODES] = this.bytecodes;
  }

  /* ================= attach / detach: taking and dropping the GIL ================= */

  /**
   * Take the GIL (through the policy) and become ATTACHED. If a stop-the-world suspended this
   * thread while it was detached, give the GIL back and wait for the world to restart first.
   * `waitSince`: when the thread stopped running (a drop it is coming back from).
   */
  attach(waitSince?: number): void {
    if (this.attached) return;
    const policy = this.sys.policy;
    const t0 = waitSince ?? this.sys.clock();
    let waited = waitSince !== undefined;
    for (;;) {
      if (policy.take(this.slot, this)) waited = true;
      if (Atomics.compareExchange(this.i32, this.attachWord, DETACHED, ATTACHED) === DETACHED) break;
      policy.drop(this.slot, 'voluntary', this);
      this.waitWhileSuspended();
      waited = true;
    }
    const t1 = this.sys.clock();
    this.attached = true;
    this.checkAt = this.savedCheckAt;
    this.tookAt = t1;
    this.recordAcquisition(t0, t1, waited);
    this.sys.hooks.attachChanged?.(this, true); // [ft-objects]
  }

  /** Stop running Python code: become DETACHED (or SUSPENDED, to park) and drop the GIL. */
  detach(reason: DropCause, t = this.sys.clock()): void {
    this.releaseAs(reason === 'park' ? SUSPENDED : DETACHED, reason, t);
  }

  private releaseAs(state: number, reason: DropCause, t: number): void {
    if (!this.attached) return;
    const f64 = this.f64;
    const m = this.m;
    const held = t - this.tookAt;
    this.f64[m + M_BYTECODES] = this.bytecodes;
    f64[m + M_HOLD_MS] = f64[m + M_HOLD_MS]! + held;
    if (this.sys.policy.exclusive) this.sys.block.setF64(G_HELD_MS, this.sys.block.getF64(G_HELD_MS) + held);
    if (reason === 'voluntary') f64[m + M_VOLUNTARY_RELEASES] = f64[m + M_VOLUNTARY_RELEASES]! + 1;
    else if (reason === 'request' || reason === 'interval') {
      f64[m + M_FORCED_DROPS] = f64[m + M_FORCED_DROPS]! + 1;
      if (reason === 'request') f64[m + M_DROP_REQUESTS_HONOURED] = f64[m + M_DROP_REQUESTS_HONOURED]! + 1;
    }
    this.trace(EV_DROP, DROP_REASONS.indexOf(reason), t);
    this.attached = false;
    this.savedCheckAt = this.checkAt;
    this.checkAt = -Infinity;
    Atomics.store(this.i32, this.attachWord, state);
    this.sys.hooks.attachChanged?.(this, false); // [ft-objects]
    this.sys.policy.drop(this.slot, reason === 'park' ? 'voluntary' : reason, this);
  }

  private recordAcquisition(t0: number, t1: number, waited: boolean): void {
    const f64 = this.f64;
    const m = this.m;
    const wait = t1 - t0;
    f64[m + M_ACQUISITIONS] = f64[m + M_ACQUISITIONS]! + 1;
    f64[m + M_WAIT_MS] = f64[m + M_WAIT_MS]! + wait;
    if (wait > f64[m + M_WAIT_MAX_MS]!) f64[m + M_WAIT_MAX_MS] = wait;
    const b = this.hist + histIndex(wait * US_PER_MS);
    this.i32[b] = this.i32[b]! + 1;
    if (waited) {
      f64[m + M_CONTENDED_TAKES] = f64[m + M_CONTENDED_TAKES]! + 1;
      this.trace(EV_WAIT_BEGIN, 0, t0);
      this.trace(EV_WAIT_END, 0, t1);
    }
    this.trace(EV_TAKE, 0, t1);
  }

  /* ================= stop-the-world ================= */

  /** STOP_THE_WORLD seen at a poll: suspend here (a safe point) until the world restarts. */
  private park(): void {
    if (!this.sys.stopRequested()) {
      Atomics.and(this.i32, this.breaker, ~STOP_THE_WORLD);
      return;
    }
    this.detach('park');
    this.sys.notifyParked();
    this.waitWhileSuspended();
    this.attach();
  }

  /** Wait (bounded slices, abort-aware) while this slot is SUSPENDED; counts as parked time. */
  private waitWhileSuspended(): void {
    const clock = this.sys.clock;
    const since = clock();
    if (Atomics.load(this.i32, this.attachWord) !== SUSPENDED) return;
    this.trace(EV_PARK_BEGIN, 0, since);
    while (Atomics.load(this.i32, this.attachWord) === SUSPENDED) {
      if (waitWhile(this.i32, this.attachWord, SUSPENDED, Infinity, this, since, clock) === 'stopped') this.raise();
    }
    const t = clock();
    this.f64[this.m + M_PARKED_MS] = this.f64[this.m + M_PARKED_MS]! + (t - since);
    this.f64[this.m + M_PARKS] = this.f64[this.m + M_PARKS]! + 1;
    this.trace(EV_PARK_END, 0, t);
  }

  /* ================= blocking calls ================= */

  /**
   * Run `wait` outside the GIL: detach, mark the slot blocked (kind, what on, until when), run
   * it, mark it running again and re-attach. If `wait` throws (the run aborts, the watchdog found
   * a deadlock) the thread stays detached and the error propagates.
   */
  blocking<T>(kind: BlockKind, on: number, state: number, deadline: number, wait: () => T): T {
    this.detach('voluntary');
    const since = this.beginBlock(kind, on, state, deadline);
    let result: T;
    try {
      result = wait();
    } catch (e) {
      this.endBlock(kind, since);
      throw e;
    }
    this.endBlock(kind, since);
    this.attach();
    return result;
  }

  private beginBlock(kind: BlockKind, on: number, state: number, deadline: number): number {
    const { i32, f64 } = this;
    const layout = this.sys.layout;
    const t = this.sys.clock();
    i32[slotWord(layout, this.slot, T_BLOCK_KIND)] = blockCode(kind);
    i32[slotWord(layout, this.slot, T_BLOCKED_ON)] = on;
    i32[slotWord(layout, this.slot, T_BLOCKED_STATE)] = state;
    f64[slotWord(layout, this.slot, T_BLOCKED_SINCE) >> 1] = t;
    f64[slotWord(layout, this.slot, T_BLOCKED_DEADLINE) >> 1] = deadline;
    this.setStatus(ST_BLOCKED);
    this.trace(EV_BLOCK_BEGIN, blockCode(kind), t);
    return t;
  }

  private endBlock(kind: BlockKind, since: number): void {
    const t = this.sys.clock();
    const code = blockCode(kind);
    this.f64[this.m + M_BLOCKED_MS + code] = this.f64[this.m + M_BLOCKED_MS + code]! + (t - since);
    this.f64[this.m + M_BLOCKED_N + code] = this.f64[this.m + M_BLOCKED_N + code]! + 1;
    this.setStatus(ST_RUNNING);
    this.i32[slotWord(this.sys.layout, this.slot, T_BLOCK_KIND)] = 0;
    this.lastCycle = '';
    this.trace(EV_BLOCK_END, code, t);
  }

  /** Sleep `ms` on this thread's private word (bounded slices; raises if the run aborts). */
  sleepWord(ms: number): void {
    const clock = this.sys.clock;
    const since = clock();
    const idx = slotWord(this.sys.layout, this.slot, T_SLEEP);
    for (;;) {
      const r = waitWhile(this.i32, idx, 0, since + ms - clock(), this, since, clock);
      if (r === 'timeout') return;
      if (r === 'stopped') this.raise();
      if (clock() >= since + ms) return;
    }
  }

  /** Spin real CPU work for `us` microseconds (C code that released the GIL). */
  spin(us: number): void {
    const clock = this.sys.clock;
    const end = clock() + us / US_PER_MS;
    let x = this.sink;
    while (clock() < end) {
      x = burn(x, SPIN_CHUNK);
      if ((Atomics.load(this.i32, this.breaker) & ABORT) !== 0) this.raiseAbort();
    }
    this.sink = x;
  }

  /** `n` bytecodes of real work, polling the breaker at a back edge every BACK_EDGE_EVERY. */
  compute(n: number): void {
    const per = this.workPerBytecode;
    let x = this.sink;
    let left = Math.floor(n);
    while (left > 0) {
      const k = left < BACK_EDGE_EVERY ? left : BACK_EDGE_EVERY;
      x = burn(x, k * per);
      left -= k;
      this.bytecodes += k - 1;
      this.tick();
    }
    this.sink = x;
  }

  /* ================= the WaitGuard every wait of this thread consults ================= */

  shouldStop(since: number): boolean {
    if ((Atomics.load(this.i32, this.breaker) & ABORT) !== 0) {
      this.stopError = new AbortError(`run aborted: ${this.sys.abortReason()}`);
      return true;
    }
    if (Atomics.load(this.i32, this.statusWord) !== ST_BLOCKED) return false;
    const found = this.sys.watchdog(this, since, this.lastCycle);
    if (found === null) return false;
    if (typeof found === 'string') {
      this.lastCycle = found;
      return false;
    }
    this.stopError = found;
    return true;
  }

  /** A wait of this thread was told to stop and the error is waiting to be raised. */
  stopPending(): boolean {
    return this.stopError !== null;
  }

  raise(): never {
    const e = this.stopError ?? new AbortError(`run aborted: ${this.sys.abortReason()}`);
    this.stopError = null;
    throw e;
  }

  /* ================= status, lifecycle, timeline ================= */

  setStatus(status: number): void {
    Atomics.store(this.i32, this.statusWord, status);
    Atomics.notify(this.i32, this.statusWord);
  }

  status(): number {
    return Atomics.load(this.i32, this.statusWord);
  }

  /** The thread begins: running, then take the GIL. */
  start(): void {
    const t = this.sys.clock();
    this.f64[this.m + M_STARTED_AT] = t;
    this.trace(EV_THREAD_START, 0, t);
    this.setStatus(ST_RUNNING);
    this.sys.hooks.threadStart?.(this); // [ft-objects]
    this.attach();
  }

  /** The thread ends (normally or not): drop the GIL, leave the stop-the-world set, publish. */
  finish(status: number): void {
    this.sys.hooks.threadExit?.(this); // [ft-objects]
    if (this.attached) this.detach('exit');
    this.flush();
    Atomics.store(this.i32, this.attachWord, GONE);
    this.sys.notifyParked();
    const t = this.sys.clock();
    this.f64[this.m + M_ENDED_AT] = t;
    this.trace(EV_THREAD_END, status, t);
    this.setStatus(status);
  }

  /** A collection ran on this thread (the GC reports its own pauses too). */
  gcBegin(generation: number): number {
    const t = this.sys.clock();
    this.trace(EV_GC_BEGIN, generation, t);
    return t;
  }

  gcEnd(generation: number, began: number): void {
    const t = this.sys.clock();
    this.f64[this.m + M_GC_MS] = this.f64[this.m + M_GC_MS]! + (t - began);
    this.f64[this.m + M_GCS] = this.f64[this.m + M_GCS]! + 1;
    this.trace(EV_GC_END, generation, t);
  }

  /** Record that this thread asked `holder` to drop the GIL (called by the policy via the host). */
  noteDropRequest(holder: number): void {
    this.f64[this.m + M_DROP_REQUESTS_MADE] = this.f64[this.m + M_DROP_REQUESTS_MADE]! + 1;
    this.trace(EV_DROP_REQUEST, holder, this.sys.clock());
  }

  /** Append an event to this thread's ring. */
  trace(kind: number, arg: number, t: number): void {
    if (this.ringCap === 0) return;
    const head = this.i32[this.traceHead]!;
    writeEvent(this.f64, this.i32, this.ringOff, this.ringCap, head, t, kind, arg);
    Atomics.store(this.i32, this.traceHead, head + 1);
  }

  /** Raise PyRuntimeError unless this thread runs Python code now (misuse guard for py calls). */
  requireAttached(what: string): void {
    if (!this.attached) throw new PyRuntimeError(`${what}: thread '${this.name}' does not hold the GIL`);
  }
}

/*
 * The thread system: the GIL policy, the thread table and the run state of one buffer, as seen
 * from one JS thread.
 *
 * Every JS thread that touches the buffer (the coordinator, each worker) builds its own
 * ThreadSystem over the same memory: `ThreadSystem.create` once, by the buffer's creator (it
 * initialises the GIL block and calibrates the work loop), `ThreadSystem.attach` everywhere else
 * (it reads the layout and the config from the header). Nothing here is truth except the buffer:
 * the object holds views, the policy object, and the ThreadStates bound in this JS thread.
 *
 * Responsibilities:
 *  - slots: claim one for a new Python thread (any thread may, synchronously), bind a
 *    ThreadState to it in the JS thread that runs it;
 *  - the GilHost the policy calls back: set and clear drop requests on eval breakers;
 *  - failure: abortAll sets ABORT in every breaker and wakes every sleeper, recording the first
 *    failed slot; the watchdog is consulted by blocked waits;
 *  - stop-the-world (CPython 3.13's protocol) for the free-threaded collector;
 *  - the sys settings that live in the GIL block (switch and check intervals).
 */

import { ConfigError, DeadlockError, PyRuntimeError, ValueError } from '../errors.ts';
import { readLayout, type Layout, type Memory } from '../heap/layout.ts';
import {
  G_ABORT,
  G_CHECK_INTERVAL,
  G_DEADLOCK_MS,
  G_FAILED_SLOT,
  G_BUFFER_ID,
  G_COND,
  G_INTERVAL_US,
  G_NOW_SERVING,
  G_STW_COUNT,
  G_STW_EVENT,
  G_STW_MUTEX,
  G_STW_REQUESTED,
  G_STW_REQUESTER,
  G_SWITCH_COND,
  GilBlock,
  NO_THREAD,
  fixedViews,
  initGilBlock,
} from '../gil/block.ts';
import { MS_PER_S, US_PER_MS, now } from '../gil/clock.ts';
import { Mutex } from '../gil/mutex.ts';
import { createPolicy, type GilHost, type GilPolicy } from '../gil/policy.ts';
import { WAIT_SLICE_MS, waitWhile } from '../gil/wait.ts';
import { readConfig, type RuntimeConfig } from './config.ts';
import {
  ABORT,
  ATTACHED,
  DETACHED,
  DROP_REQUEST,
  GONE,
  SLOT_WORDS_USED,
  ST_FAILED,
  ST_FREE,
  ST_STARTING,
  STOP_THE_WORLD,
  SUSPENDED,
  T_ATTACH,
  T_BREAKER,
  T_PARENT,
  T_SLEEP,
  T_STATUS,
  T_WAKE,
  ThreadState,
  isLive,
  readName,
  slotWord,
  writeName,
} from './threadstate.ts';
import type { ThreadStarter } from './threading/ops.ts';
import { checkDeadlock } from './threading/watchdog.ts';
import { DEFAULT_BYTECODE_NS, calibrate } from './threading/work.ts';
import { readGilMetrics, readThreadMetrics, readTimeline, type GilMetrics, type ThreadMetrics, type Timeline } from './threading/readers.ts';

/** Default watchdog limit: a thread blocked this long with nothing able to wake it is a deadlock. */
export const DEFAULT_DEADLOCK_MS = 10_000;
/** The stop-the-world requester re-scans the threads this often (CPython 3.13: 1 ms). */
const STW_POLL_MS = 1;
/** CPython's bounds for sys.setswitchinterval are "positive"; ours also fit the Int32 µs word. */
const MAX_INTERVAL_MS = 10_000;

export interface ThreadSystemOptions {
  /** watchdog limit, ms (default DEFAULT_DEADLOCK_MS) */
  deadlockMs?: number;
  /** target cost of one py.compute bytecode, ns (default DEFAULT_BYTECODE_NS) */
  bytecodeNs?: number;
  /** skip calibration: burn-loop iterations per bytecode */
  workPerBytecode?: number;
}

/** Hooks other parts plug in, per JS thread (the GC registers `gcScheduled` in every thread). */
export interface ThreadHooks {
  /** GC_SCHEDULED was seen at a poll of `ts`: run the scheduled collection there. */
  gcScheduled?: (ts: ThreadState) => void;
  /**
   * Bits from FIRST_FREE_BREAKER_BIT up were seen at a poll of `ts` (a later part's requests, e.g.
   * "merge queued refcounts"): handle them and clear them (ts.clearRequest).
   */
  breaker?: (ts: ThreadState, bits: number) => void;
  /* [ft-objects] the free-threaded wiring (runtime.ts installs these): per-thread heaps, biased
   * refcount queues, QSBR quiescent points */
  /** [ft-objects] a Python thread starts on this JS thread (ThreadState.start, before it attaches) */
  threadStart?: (ts: ThreadState) => void;
  /** [ft-objects] a Python thread ends (ThreadState.finish, before it detaches for good) */
  threadExit?: (ts: ThreadState) => void;
  /** [ft-objects] the eval breaker's periodic slow path (every FLUSH_EVERY bytecodes): a quiescent point */
  poll?: (ts: ThreadState) => void;
  /** [ft-objects] the thread attached (true) or detached (false) */
  attachChanged?: (ts: ThreadState, attached: boolean) => void;
}

export class ThreadSystem {
  readonly mem: Memory;
  readonly layout: Layout;
  readonly config: RuntimeConfig;
  readonly block: GilBlock;
  readonly policy: GilPolicy;
  /** fixed-length views over the fixed regions (GIL block, thread table, rings): fast atomics */
  readonly i32: Int32Array;
  readonly f64: Float64Array;
  readonly clock: () => number = now;
  readonly hooks: ThreadHooks = {};
  /** ThreadStates bound in this JS thread, by slot. */
  private readonly bound = new Map<number, ThreadState>();
  /** The ThreadState running Python code in this JS thread, if any. */
  current: ThreadState | null = null;
  /** Where `py.threading.start` on this JS thread sends new threads (a Coordinator sets it). */
  starter: ThreadStarter | null = null;
  /** A ThreadStarter for `py`s of this JS thread: forwards to `starter`, or fails clearly. */
  readonly localStarter: ThreadStarter = {
    start: (req) => {
      if (this.starter === null) {
        this.failSlot(req.slot);
        throw new PyRuntimeError('threading.start needs the thread host: make a Coordinator over this runtime (src/host)');
      }
      this.starter.start(req);
    },
  };
  private readonly stwMutex: Mutex;

  private constructor(mem: Memory, layout: Layout, config: RuntimeConfig) {
    this.mem = mem;
    this.layout = layout;
    this.config = config;
    const views = fixedViews(mem, layout);
    this.i32 = views.i32;
    this.f64 = views.f64;
    this.block = new GilBlock(mem, layout, views);
    const i32 = this.i32;
    const host: GilHost = {
      block: this.block,
      clock: this.clock,
      requestDrop: (holder, requester) => this.requestDrop(holder, requester),
      clearDropRequest: (slot) => {
        Atomics.and(i32, slotWord(layout, slot, T_BREAKER), ~DROP_REQUEST);
      },
    };
    this.policy = createPolicy(config.gil, host);
    this.stwMutex = new Mutex(i32, this.block.word(G_STW_MUTEX));
  }

  /** Initialise the GIL block and the thread table of a new buffer (the creator, once). */
  static create(mem: Memory, layout: Layout, config: RuntimeConfig, opts: ThreadSystemOptions = {}): ThreadSystem {
    const deadlockMs = opts.deadlockMs ?? DEFAULT_DEADLOCK_MS;
    if (!(deadlockMs > 0 && deadlockMs <= 2 ** 31 - 1)) throw new ConfigError(`deadlockMs must be > 0, got ${deadlockMs}`);
    const bytecodeNs = opts.bytecodeNs ?? DEFAULT_BYTECODE_NS;
    initGilBlock(new GilBlock(mem, layout), {
      switchIntervalMs: config.switchIntervalMs,
      checkInterval: config.checkInterval,
      deadlockMs,
      bufferId: 1 + Math.floor(Math.random() * 0x7ffffffe),
      workPerBytecode: opts.workPerBytecode ?? calibrate(bytecodeNs),
      bytecodeNs,
    });
    const first = slotWord(layout, 0, 0);
    mem.i32.fill(0, first, slotWord(layout, layout.maxThreads, 0));
    for (let s = 0; s < layout.maxThreads; s++) mem.i32[slotWord(layout, s, T_ATTACH)] = GONE;
    return new ThreadSystem(mem, layout, config);
  }

  /** The same buffer, seen from another JS thread. */
  static attach(mem: Memory, layout: Layout = readLayout(mem), config?: RuntimeConfig): ThreadSystem {
    return new ThreadSystem(mem, layout, config ?? readConfig(mem, layout.geometry.profile));
  }

  /** Identifies the buffer to workers (which cache one attachment per buffer). */
  get bufferId(): number {
    return this.block.load(G_BUFFER_ID);
  }

  /* ================= slots ================= */

  /**
   * Claim a free slot for a new thread named `name` (synchronous, from any thread). The slot
   * starts STARTING and DETACHED; if the run already aborted, its breaker starts with ABORT.
   */
  claimSlot(name: string, parent: number = this.current?.slot ?? NO_THREAD): number {
    const { mem, layout, i32 } = this;
    for (let s = 0; s < layout.maxThreads; s++) {
      const st = slotWord(layout, s, T_STATUS);
      if (Atomics.load(i32, st) !== ST_FREE) continue;
      if (Atomics.compareExchange(i32, st, ST_FREE, ST_STARTING) !== ST_FREE) continue;
      const base = slotWord(layout, s, 0);
      for (let w = 0; w < SLOT_WORDS_USED; w++) if (w !== T_STATUS) i32[base + w] = 0;
      writeName(i32, mem.u8, layout, s, name);
      i32[slotWord(layout, s, T_PARENT)] = parent;
      Atomics.store(i32, slotWord(layout, s, T_BREAKER), this.block.load(G_ABORT) ? ABORT : 0);
      Atomics.store(i32, slotWord(layout, s, T_ATTACH), DETACHED);
      return s;
    }
    throw new PyRuntimeError(`can't start new thread: all ${layout.maxThreads} thread slots are in use`);
  }

  /** Bind a ThreadState to a claimed slot in this JS thread (the worker that runs it). */
  bind(slot: number): ThreadState {
    const name = readName(this.mem.i32, this.mem.u8, this.layout, slot);
    const ts = new ThreadState(this, slot, name);
    this.bound.set(slot, ts);
    this.current = ts;
    return ts;
  }

  /** Claim, bind and start a thread for the calling JS thread (the main thread's own state). */
  register(name: string): ThreadState {
    const ts = this.bind(this.claimSlot(name, NO_THREAD));
    ts.start();
    return ts;
  }

  /** Forget a ThreadState after its thread finished. */
  unbind(ts: ThreadState): void {
    this.bound.delete(ts.slot);
    if (this.current === ts) this.current = null;
  }

  /** Rename a claimed slot (before its thread starts). */
  rename(slot: number, name: string): void {
    writeName(this.mem.i32, this.mem.u8, this.layout, slot, name);
  }

  /** A claimed slot whose thread could not be started: mark it failed so joiners return. */
  failSlot(slot: number): void {
    const i32 = this.i32;
    Atomics.store(i32, slotWord(this.layout, slot, T_ATTACH), GONE);
    Atomics.store(i32, slotWord(this.layout, slot, T_STATUS), ST_FAILED);
    Atomics.notify(i32, slotWord(this.layout, slot, T_STATUS));
  }

  /** Status code of a slot (see ST_* in threadstate.ts). */
  statusOf(slot: number): number {
    return Atomics.load(this.i32, slotWord(this.layout, slot, T_STATUS));
  }

  nameOf(slot: number): string {
    return readName(this.mem.i32, this.mem.u8, this.layout, slot);
  }

  /** Slots that were ever claimed, in order. */
  slots(): number[] {
    const out: number[] = [];
    for (let s = 0; s < this.layout.maxThreads; s++) if (this.statusOf(s) !== ST_FREE) out.push(s);
    return out;
  }

  /* ================= the GilHost ================= */

  private requestDrop(holder: number, requester: number): void {
    if (holder < 0 || holder >= this.layout.maxThreads) return;
    // Count and trace first, set the bit last: the requester holds the GIL's mutex here and the
    // holder will want it as soon as it sees the bit.
    this.bound.get(requester)?.noteDropRequest(holder);
    Atomics.or(this.i32, slotWord(this.layout, holder, T_BREAKER), DROP_REQUEST);
  }

  /* ================= failure ================= */

  /**
   * A thread failed: record it (the first failure wins), set ABORT in every eval breaker and
   * wake every sleeper so blocked threads see it within one wait slice at most.
   */
  abortAll(failedSlot: number): void {
    const i32 = this.i32;
    Atomics.compareExchange(i32, this.block.word(G_FAILED_SLOT), 0, failedSlot + 1);
    Atomics.store(i32, this.block.word(G_ABORT), 1);
    for (let s = 0; s < this.layout.maxThreads; s++) {
      Atomics.or(i32, slotWord(this.layout, s, T_BREAKER), ABORT);
      for (const w of [T_STATUS, T_WAKE, T_SLEEP, T_ATTACH]) Atomics.notify(i32, slotWord(this.layout, s, w));
    }
    for (const w of [G_COND, G_SWITCH_COND, G_NOW_SERVING, G_STW_EVENT]) Atomics.notify(i32, this.block.word(w));
  }

  aborted(): boolean {
    return this.block.load(G_ABORT) !== 0;
  }

  /** The slot that failed first, or -1. */
  failedSlot(): number {
    return this.block.load(G_FAILED_SLOT) - 1;
  }

  abortReason(): string {
    const s = this.failedSlot();
    return s >= 0 ? `thread '${this.nameOf(s)}' failed` : 'the run was aborted';
  }

  /** The watchdog, as consulted by a blocked thread's guard (see threading/watchdog.ts). */
  watchdog(ts: ThreadState, since: number, lastCycle: string) {
    return checkDeadlock(this.mem, this.layout, ts.slot, this.clock() - since, lastCycle, this.block.load(G_DEADLOCK_MS));
  }

  get deadlockMs(): number {
    return this.block.load(G_DEADLOCK_MS);
  }

  set deadlockMs(ms: number) {
    if (!(ms > 0 && ms <= 2 ** 31 - 1)) throw new ConfigError(`deadlockMs must be > 0, got ${ms}`);
    this.block.store(G_DEADLOCK_MS, Math.round(ms));
  }

  /* ================= stop-the-world (CPython 3.13, Python/pystate.c) ================= */

  /**
   * Stop every other thread at a safe point; returns when all are parked, blocked outside Python
   * code, or gone. `ts` (the requester) must be attached. One stop-the-world at a time: a second
   * requester waits for the first, detached, so the first can stop it too.
   */
  stopTheWorld(ts: ThreadState): void {
    if (!this.stwMutex.tryLock()) {
      ts.blocking('lock', 0, 0, Infinity, () => {
        if (!this.stwMutex.lockTimed(Infinity, ts)) ts.raise();
      });
    }
    const { block, i32 } = this;
    block.store(G_STW_REQUESTED, 1);
    block.store(G_STW_REQUESTER, ts.slot);
    Atomics.add(i32, block.word(G_STW_COUNT), 1);
    const since = this.clock();
    for (;;) {
      const seen = Atomics.load(i32, block.word(G_STW_EVENT));
      if (this.parkDetachedThreads(ts.slot)) break;
      if (waitWhile(i32, block.word(G_STW_EVENT), seen, STW_POLL_MS, ts, since, this.clock) === 'stopped') {
        this.startTheWorld(ts);
        ts.raise();
      }
      if (this.clock() - since > this.deadlockMs) {
        const stuck = this.unparked(ts.slot);
        this.startTheWorld(ts);
        throw new DeadlockError(
          `thread '${ts.name}' could not stop the world in ${this.deadlockMs} ms: ${stuck} never reached a safe point ` +
            '(attached but not running Python code: a thread must detach, e.g. await joinAsync, while it waits)',
        );
      }
    }
  }

  /** Names of the live threads a stop-the-world is still waiting for. */
  private unparked(requester: number): string {
    const names: string[] = [];
    for (let s = 0; s < this.layout.maxThreads; s++) {
      if (s === requester || !isLive(this.statusOf(s))) continue;
      if (Atomics.load(this.i32, slotWord(this.layout, s, T_ATTACH)) === ATTACHED) names.push(`'${this.nameOf(s)}'`);
    }
    return names.length > 0 ? `thread ${names.join(', ')}` : 'a thread';
  }

  /** One pass: suspend detached threads, ask attached ones to park. True when all are stopped. */
  private parkDetachedThreads(requester: number): boolean {
    const { layout, i32 } = this;
    let running = 0;
    for (let s = 0; s < layout.maxThreads; s++) {
      if (s === requester || !isLive(this.statusOf(s))) continue;
      const a = slotWord(layout, s, T_ATTACH);
      const state = Atomics.load(i32, a);
      if (state === DETACHED && Atomics.compareExchange(i32, a, DETACHED, SUSPENDED) === DETACHED) continue;
      if (state === SUSPENDED || state === GONE) continue;
      if (state === ATTACHED || state === DETACHED) {
        Atomics.or(i32, slotWord(layout, s, T_BREAKER), STOP_THE_WORLD);
        running++;
      }
    }
    return running === 0;
  }

  /** Resume every suspended thread. */
  startTheWorld(_ts: ThreadState): void {
    const { layout, block, i32 } = this;
    block.store(G_STW_REQUESTED, 0);
    block.store(G_STW_REQUESTER, NO_THREAD);
    for (let s = 0; s < layout.maxThreads; s++) {
      Atomics.and(i32, slotWord(layout, s, T_BREAKER), ~STOP_THE_WORLD);
      const a = slotWord(layout, s, T_ATTACH);
      if (Atomics.compareExchange(i32, a, SUSPENDED, DETACHED) === SUSPENDED) Atomics.notify(i32, a);
    }
    this.stwMutex.unlock();
  }

  stopRequested(): boolean {
    return this.block.load(G_STW_REQUESTED) !== 0;
  }

  /** A thread parked (or left): wake the stop-the-world requester to re-count. */
  notifyParked(): void {
    Atomics.add(this.i32, this.block.word(G_STW_EVENT), 1);
    Atomics.notify(this.i32, this.block.word(G_STW_EVENT));
  }

  /* ================= sys settings kept in the GIL block ================= */

  /** sys.setswitchinterval(seconds) */
  setswitchinterval(seconds: number): void {
    if (!(typeof seconds === 'number' && seconds > 0)) throw new ValueError('switch interval must be strictly positive');
    const ms = Math.min(seconds * MS_PER_S, MAX_INTERVAL_MS);
    this.block.store(G_INTERVAL_US, Math.max(1, Math.round(ms * US_PER_MS)));
  }

  /** sys.getswitchinterval(): seconds */
  getswitchinterval(): number {
    return this.block.load(G_INTERVAL_US) / (US_PER_MS * MS_PER_S);
  }

  /** sys.setcheckinterval(ticks) (Python 2) */
  setcheckinterval(ticks: number): void {
    if (!Number.isInteger(ticks)) throw new ValueError('check interval must be an integer');
    this.block.store(G_CHECK_INTERVAL, Math.max(1, ticks));
  }

  getcheckinterval(): number {
    return this.block.load(G_CHECK_INTERVAL);
  }

  /* ================= readers, for the report ================= */

  threadMetrics(slot: number): ThreadMetrics {
    return readThreadMetrics(this.mem, this.layout, slot);
  }

  gilMetrics(): GilMetrics {
    return readGilMetrics(this.mem, this.layout, this.config.gil);
  }

  timeline(slot: number): Timeline {
    return readTimeline(this.mem, this.layout, slot);
  }

  /** Milliseconds of one wait slice (exported for tests that reason about abort latency). */
  static readonly WAIT_SLICE_MS = WAIT_SLICE_MS;
}

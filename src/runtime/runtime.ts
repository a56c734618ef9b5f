/*
 * The Runtime: one shared buffer holding a whole Python process, as one JS thread sees it.
 * ======================================================================================
 *
 * `Runtime.create(opts)` makes the process: it resolves the configuration (python profile plus
 * overrides, config.ts), lays out and creates the growable SharedArrayBuffer (heap/layout.ts),
 * writes the config line of its header, initialises the allocator (Heap.create) and the object
 * space: builtin types, None/True/False, the small ints and the other statics in the RUNTIME
 * STATE region (objects/statics.ts documents those words), the GC lists in the GC STATE region
 * (objects/gc-lists.ts), the interned-strings dict.
 *
 * `Runtime.attach(sab)` is what a worker does with the same buffer: it reads the layout from the
 * header, the config from the config line, attaches a Heap handle and an ObjectSpace (JS caches
 * only) and checks that the statics are there. Creator and workers then share every object.
 *
 * `rt.mainThread()` gives the `py` of the calling JS thread, with the single-thread ThreadOps
 * until a thread host is plugged in (`rt.pyFor(ops)` builds a `py` for a thread state of the GIL
 * layer). `rt.heap` is the allocator's report surface: `debugmallocstats()`, and `verifyHeap()`
 * which also checks the objects (objects/verify.ts).
 *
 * Core file: no Node imports.
 */

import { ConfigError } from '../errors.ts';
import { Heap } from '../heap/heap.ts';
import { computeLayout, createBuffer, Memory, readLayout, type Layout } from '../heap/layout.ts';
import { allocStateBytes } from '../heap/state.ts';
import type { MallocStats } from '../heap/stats.ts';
import { checkObjectSpace, initObjectSpace } from '../objects/statics_init.ts';
import { ObjectSpace } from '../objects/space.ts';
import { verifyObjects } from '../objects/verify.ts';
import {
  readConfig,
  resolveConfig,
  writeConfig,
  type ConfigOverrides,
  type PythonProfile,
  type RuntimeConfig,
} from './config.ts';
import { collectorGcModule } from '../gc/install.ts'; // [gc]
import { PyImpl, type GcModuleFactory, type ThreadOps } from './py.ts';
// [gil] the thread system: GIL policy, thread states, threading objects (src/gil, src/runtime/threading)
import { lockedAllocator } from '../gil/none.ts';
import { ThreadSystem, type ThreadSystemOptions } from './threads.ts';
import { FIRST_FREE_BREAKER_BIT, slotWord, T_BREAKER, type ThreadState } from './threadstate.ts';
// [ft-objects] the free-threaded mode: thread heaps, biased refcount queues, pending calls
import { ThreadHeap } from '../heap/thread-heap.ts';
import { MERGE_REFCOUNTS, PENDING_CALLS } from '../objects/brc.ts';
import { PyImplFT } from './py.ts';
import { THREADING_TYPES, createThreadOps, type ThreadStarter } from './threading/ops.ts';
import { SpaceNatives } from './threading/space-natives.ts';

export interface RuntimeOptions extends ConfigOverrides, ThreadSystemOptions /* [gil] deadlockMs, bytecodeNs */ {
  /** maximum size of the shared buffer (default 1 GiB) */
  maxHeapBytes?: number;
  /** the Python profile ('2.7', '3.11', '3.13', '3.13t'); same as `python` */
  profile?: PythonProfile;
  /** thread table slots (default 64) */
  maxThreads?: number;
  /** timeline events per thread (default 16384) */
  traceEvents?: number;
}

/** The allocator as the runtime exposes it: reports and checks. */
export interface RuntimeHeap {
  /** sys._debugmallocstats(): CPython's text and figures */
  debugmallocstats(): MallocStats;
  /** the allocator's invariants AND the objects' (no live object with count <= 0, no container
   *  referencing a freed block, GC lists well linked); empty when all is sound */
  verifyHeap(): string[];
  liveBlockCount(): number;
  isLiveBlock(p: number): boolean;
  forEachLiveBlock(cb: (p: number, usableSize: number) => void): void;
}

export class Runtime {
  readonly mem: Memory;
  readonly layout: Layout;
  readonly config: RuntimeConfig;
  /** the allocator handle of this JS thread */
  readonly allocator: Heap;
  /** this JS thread's object space (views, caches, hook tables) */
  readonly space: ObjectSpace;
  readonly heap: RuntimeHeap;
  /** the gc module factory every py of this runtime gets: [gc] the cyclic collector */
  gcFactory: GcModuleFactory = collectorGcModule; // [gc]
  private main: PyImpl | null = null;
  /** [gil] the GIL, the thread table and stop-the-world, as this JS thread sees them */
  readonly threads: ThreadSystem;
  /** [gil] Lock/RLock/Event/Condition/Queue as native objects of this space */
  readonly natives: SpaceNatives;

  private constructor(mem: Memory, layout: Layout, config: RuntimeConfig, allocator: Heap, threads: ThreadSystem) {
    this.mem = mem;
    this.layout = layout;
    this.config = config;
    this.allocator = allocator;
    this.threads = threads; // [gil]
    // [gil] without a GIL, allocator calls take the heap lock; [ft-objects] unless each thread
    // allocates from its own thread heap (the free-threaded mode: see installThreadHooks)
    const heapLock = threads.policy.heapLock;
    const objectHeap = allocator instanceof ThreadHeap || !heapLock ? allocator : lockedAllocator(allocator, heapLock);
    this.space = new ObjectSpace(mem, layout, objectHeap, config, config.gil === 'none');
    this.installThreadHooks(); // [ft-objects]
    this.natives = new SpaceNatives(this.space, THREADING_TYPES); // [gil]
    const space = this.space;
    this.heap = {
      debugmallocstats: () => allocator.debugmallocstats(),
      verifyHeap: () => [...allocator.verifyHeap(), ...verifyObjects(space)],
      liveBlockCount: () => allocator.liveBlockCount(),
      isLiveBlock: (p) => allocator.isLiveBlock(p),
      forEachLiveBlock: (cb) => allocator.forEachLiveBlock(cb),
    };
  }

  /** Make a new process: buffer, config, heap, statics. */
  static create(opts: RuntimeOptions = {}): Runtime {
    const { maxHeapBytes, profile, maxThreads, traceEvents, deadlockMs, bytecodeNs, workPerBytecode, ...overrides } = opts;
    if (profile !== undefined && overrides.python !== undefined && profile !== overrides.python) {
      throw new ConfigError(`profile '${profile}' and python '${overrides.python}' disagree`);
    }
    const config = resolveConfig({ ...overrides, python: overrides.python ?? profile });
    const layout = computeLayout(
      { profile: config.heapProfile, maxBytes: maxHeapBytes, maxThreads, traceEvents },
      allocStateBytes,
    );
    const mem = createBuffer(layout);
    writeConfig(mem, config);
    const heap = config.gil === 'none' ? ThreadHeap.create(mem, layout) : Heap.create(mem, layout); // [ft-objects]
    const threads = ThreadSystem.create(mem, layout, config, { deadlockMs, bytecodeNs, workPerBytecode }); // [gil]
    const rt = new Runtime(mem, layout, config, heap, threads);
    rt.space.sync();
    initObjectSpace(rt.space);
    rt.natives.register(); // [gil] the threading type objects, before any thread runs
    return rt;
  }

  /** Join a process made by Runtime.create (in a worker). */
  static attach(sab: SharedArrayBuffer): Runtime {
    const mem = new Memory(sab);
    const layout = readLayout(mem);
    const config = readConfig(mem, layout.geometry.profile);
    const heap = config.gil === 'none' ? ThreadHeap.attach(mem, layout) : Heap.attach(mem, layout); // [ft-objects]
    const rt = new Runtime(mem, layout, config, heap, ThreadSystem.attach(mem, layout, config));
    checkObjectSpace(rt.space);
    return rt;
  }

  get sab(): SharedArrayBuffer {
    return this.mem.sab;
  }

  /**
   * The `py` of the calling JS thread. [gil] It registers the thread in the thread table as
   * 'MainThread' and takes the GIL; `py.threading.start` works once a Coordinator (src/host)
   * serves this runtime.
   */
  mainThread(): PyImpl {
    if (this.main === null) {
      const ts = this.threads.current ?? this.threads.register('MainThread');
      this.main = this.threadPy(ts, this.threads.localStarter);
    }
    return this.main;
  }

  /** [gil] The `py` of a thread state bound in this JS thread (a worker running a Python thread). */
  threadPy(ts: ThreadState, starter: ThreadStarter): PyImpl {
    return this.pyFor(createThreadOps(ts, this.natives, starter));
  }

  /**
   * A `py` for this JS thread driven by a thread state of the GIL layer. [ft-objects] Without a
   * GIL it is a PyImplFT (critical sections around container operations); with one, PyImpl.
   */
  pyFor(ops: ThreadOps): PyImpl {
    this.main = this.config.gil === 'none' ? new PyImplFT(this, ops, this.gcFactory) : new PyImpl(this, ops, this.gcFactory);
    return this.main;
  }

  /**
   * [ft-objects] What a Python thread's life means for the objects and the heap, plugged into the
   * thread system's hooks of this JS thread:
   *
   *   threadStart   free-threaded: bind this JS thread's ThreadHeap to the thread's slot (its own
   *                 pools); every mode: the object space takes the thread's ident (the owner id
   *                 under biased refcounting) and opens its queues (objects/brc.ts)
   *   breaker       MERGE_REFCOUNTS / PENDING_CALLS requests from other threads: merge queued
   *                 refcounts, run routed finalizers and weakref callbacks
   *   poll          the periodic slow path of the eval breaker: absorb blocks other threads freed
   *                 into our pools, pass a QSBR quiescent point (deferred frees become due)
   *   attachChanged detached threads read no objects: QSBR offline / online, and the count of
 *                 attached threads (a thread alone frees at once; attaching alone it settles
 *                 what exited threads left: their pools and deferred frees)
   *   threadExit    run what is pending, merge, give up ownership; abandon the thread heap (its
   *                 pools are adopted by the next thread that needs one)
   */
  private installThreadHooks(): void {
    const { space, threads, layout } = this;
    const th = this.allocator instanceof ThreadHeap ? this.allocator : null;
    const bitOf = (what: number): number => (what === MERGE_REFCOUNTS ? BRC_MERGE_BIT : PENDING_CALLS_BIT);
    space.notifyThread = (slot, what) => {
      Atomics.or(threads.i32, slotWord(layout, slot, T_BREAKER), bitOf(what));
    };
    const hooks = threads.hooks;
    hooks.breaker = (ts, bits) => {
      ts.clearRequest(bits);
      space.handleRequests(((bits & BRC_MERGE_BIT) !== 0 ? MERGE_REFCOUNTS : 0) | ((bits & PENDING_CALLS_BIT) !== 0 ? PENDING_CALLS : 0));
    };
    hooks.threadStart = (ts) => {
      if (th !== null) {
        if (th.bound) th.abandon();
        th.bind(ts.slot);
      }
      space.bindThread(ts.slot, th !== null);
    };
    hooks.threadExit = (ts) => {
      try {
        space.unbindThread();
        if (th !== null && th.bound && space.countOnline(0) <= (ts.attached ? 1 : 0)) settleAlone(th);
      } finally {
        th?.abandon();
      }
    };
    if (th === null) return;
    hooks.poll = () => {
      th.collect();
      th.adoptAbandoned(1);
      th.quiescent();
    };
    hooks.attachChanged = (_ts, attached) => {
      if (!attached) {
        space.countOnline(-1);
        th.qsbrOffline();
        return;
      }
      th.qsbrOnline();
      if (space.countOnline(1) === 1 && th.bound) settleAlone(th);
    };
  }

  /** heap + object checks (same as rt.heap.verifyHeap()). */
  verifyHeap(): string[] {
    return this.heap.verifyHeap();
  }
}

/**
 * [ft-objects] This thread is the only one attached: nobody can be reading a block freed before
 * now, so take over the pools of exited threads and let every deferred free happen (two
 * quiescent points: the first may only advance the write sequence past the last goal).
 */
function settleAlone(th: ThreadHeap): void {
  th.adoptAbandoned();
  th.quiescent();
  th.quiescent();
}

/** [ft-objects] eval-breaker bits of the object space's requests (threadstate.ts leaves these free) */
export const BRC_MERGE_BIT = FIRST_FREE_BREAKER_BIT;
export const PENDING_CALLS_BIT = FIRST_FREE_BREAKER_BIT << 1;

/** The library entry: a runtime for the calling JS thread. */
export function createRuntime(opts: RuntimeOptions = {}): Runtime {
  return Runtime.create(opts);
}

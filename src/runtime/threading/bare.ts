/*
 * A bare runtime: heap + thread system, no object layer.
 *
 * The threading machinery works from the buffer alone (Memory, Layout, RuntimeConfig) and the
 * allocator. This file puts just those together, so the GIL, the thread table, locks and queues
 * can be tested and benchmarked on their own, on worker threads, without Python objects: a
 * thread program gets a `ThreadPy` (the thread half of `py`, plus the raw memory) instead of the
 * full `Py`. Queue items are then BlockNatives handles (locks, events, other queues).
 */

import { Heap, allocStateBytes } from '../../heap/index.ts';
import { computeLayout, createBuffer, Memory, readLayout, type Layout } from '../../heap/layout.ts';
import { readConfig, resolveConfig, writeConfig, type ConfigOverrides, type RuntimeConfig } from '../config.ts';
import type { ThreadState } from '../threadstate.ts';
import { ThreadSystem, type ThreadSystemOptions } from '../threads.ts';
import type { PyObject, QueueModule, ThreadingModule, TimeModule } from '../types.ts';
import { BlockNatives } from './natives.ts';
import { THREADING_TYPES, createThreadOps, type ThreadOps, type ThreadStarter } from './ops.ts';

export interface BareOptions extends ConfigOverrides, ThreadSystemOptions {
  maxThreads?: number;
  traceEvents?: number;
  maxBytes?: number;
}

/** The thread half of `py`, plus the memory: what a thread program gets in a bare runtime. */
export interface ThreadPy {
  readonly mem: Memory;
  readonly ops: ThreadOps;
  readonly threading: ThreadingModule;
  readonly queue: QueueModule;
  readonly time: TimeModule;
  readonly sys: {
    setswitchinterval(s: number): void;
    getswitchinterval(): number;
    setcheckinterval(n: number): void;
    getcheckinterval(): number;
  };
  io(ms: number): void;
  nativeCall(us: number): void;
  compute(n: number): void;
  tick(): void;
  incref(o: PyObject): void;
  decref(o: PyObject): void;
  /** the reference count of a native object (BlockNatives) */
  refcount(o: PyObject): number;
  /** a scratch block of `bytes` zeroed bytes from the heap (for counters in tests) */
  malloc(bytes: number): number;
}

/** Default maximum size of a bare runtime's buffer: small, tests make many. */
const BARE_MAX_BYTES = 64 * 2 ** 20;
const BARE_MAX_THREADS = 16;
const BARE_TRACE_EVENTS = 4096;

export class BareRuntime {
  readonly mem: Memory;
  readonly layout: Layout;
  readonly config: RuntimeConfig;
  readonly heap: Heap;
  readonly threads: ThreadSystem;
  readonly natives: BlockNatives;

  private constructor(mem: Memory, layout: Layout, config: RuntimeConfig, heap: Heap, threads: ThreadSystem) {
    this.mem = mem;
    this.layout = layout;
    this.config = config;
    this.heap = heap;
    this.threads = threads;
    this.natives = new BlockNatives(mem.i32, heap, threads.policy.heapLock, THREADING_TYPES);
  }

  static create(opts: BareOptions = {}): BareRuntime {
    const { maxThreads, traceEvents, maxBytes, deadlockMs, bytecodeNs, workPerBytecode, ...overrides } = opts;
    const config = resolveConfig(overrides);
    const layout = computeLayout(
      {
        profile: config.heapProfile,
        maxThreads: maxThreads ?? BARE_MAX_THREADS,
        traceEvents: traceEvents ?? BARE_TRACE_EVENTS,
        maxBytes: maxBytes ?? BARE_MAX_BYTES,
      },
      allocStateBytes,
    );
    const mem = createBuffer(layout);
    writeConfig(mem, config);
    const heap = Heap.create(mem, layout);
    const threads = ThreadSystem.create(mem, layout, config, { deadlockMs, bytecodeNs, workPerBytecode });
    return new BareRuntime(mem, layout, config, heap, threads);
  }

  /** The same buffer from another JS thread. */
  static attach(sab: SharedArrayBuffer): BareRuntime {
    const mem = new Memory(sab);
    const layout = readLayout(mem);
    const config = readConfig(mem, layout.geometry.profile);
    return new BareRuntime(mem, layout, config, Heap.attach(mem, layout), ThreadSystem.attach(mem, layout, config));
  }

  get sab(): SharedArrayBuffer {
    return this.mem.sab;
  }

  /** The `ThreadPy` of a thread state bound in this JS thread. */
  py(ts: ThreadState, starter: ThreadStarter): ThreadPy {
    const ops = createThreadOps(ts, this.natives, starter);
    const natives = this.natives;
    const mem = this.mem;
    return {
      mem,
      ops,
      threading: ops.threading,
      queue: ops.queue,
      time: ops.time,
      sys: {
        setswitchinterval: ops.setswitchinterval,
        getswitchinterval: ops.getswitchinterval,
        setcheckinterval: ops.setcheckinterval,
        getcheckinterval: ops.getcheckinterval,
      },
      io: ops.io,
      nativeCall: ops.nativeCall,
      compute: ops.compute,
      tick: ops.tick,
      incref: (o) => natives.incref(o),
      decref: (o) => natives.decref(o),
      refcount: (o) => natives.refcount(o),
      malloc(bytes) {
        const p = natives.malloc(bytes);
        mem.u8.fill(0, p, p + bytes);
        return p;
      },
    };
  }
}

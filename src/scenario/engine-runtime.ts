/*
 * The engine over the real runtime: src/runtime (Runtime, ThreadSystem, the readers) and
 * src/host (the Coordinator and its worker pool).
 *
 *   Runtime.create(config, maxHeapBytes, maxThreads, traceEvents)   the buffer, heap, objects
 *   new Coordinator(rt.threads, 'runtime', { pool })                 Python threads on workers
 *   coordinator.runThreads([{ module, fn: 'default.programs.x', args, name }])
 *   readThreadMetrics / readGilMetrics / readTimeline                the thread table and rings
 *   rt.heap.debugmallocstats()                                       the allocator
 *   readGcStats                                                      the collector's record
 *
 * A worker finds a program by the scenario module's URL and a dotted export path into the
 * scenario object (`default.programs.countdown`): the user never names either.
 *
 * One worker pool serves every run of the process (compare, sweep and the tour run several), so
 * workers start and load TypeScript once; `shutdownEngines()` destroys it at the end.
 */

import { GilsimError } from '../errors.ts';
import { readGcStats } from '../gc/index.ts';
import type { MallocStats } from '../heap/stats.ts';
import { Coordinator } from '../host/coordinator.ts';
import { WorkerPool } from '../host/pool.ts';
import { Runtime } from '../runtime/runtime.ts';
import type { ThreadSystem } from '../runtime/threads.ts';
import { BLOCK_KINDS } from '../runtime/threadstate.ts';
import { readGilMetrics, readThreadMetrics, readTimeline, type TimelineEvent as RingEvent } from '../runtime/threading/readers.ts';
import type { Engine, EngineFactory, EngineOptions, EngineThreadSpec, GcCounters, ThreadCounters } from './engine.ts';
import type { BlockReason, HeapSummary, TimelineEvent, TimelineKind } from './result.ts';

let sharedPool: WorkerPool | null = null;

function pool(): WorkerPool {
  sharedPool ??= new WorkerPool({ workers: INITIAL_WORKERS });
  return sharedPool;
}

/** Workers started with the pool; it grows when a phase needs more. */
const INITIAL_WORKERS = 2;

/** Destroy the shared worker pool (the process can then exit). */
export async function shutdownEngines(): Promise<void> {
  const p = sharedPool;
  sharedPool = null;
  await p?.destroy();
}

/** What the engine needs of the Runtime beyond its declared type, until runtime.ts has it. */
interface ThreadedRuntime {
  threads?: ThreadSystem | null;
}

export const createRuntimeEngine: EngineFactory = async (o: EngineOptions) => {
  const { python, heapProfile: _hp, ...overrides } = o.config;
  let rt: Runtime;
  try {
    rt = Runtime.create({ ...overrides, python, maxHeapBytes: o.heapMaxBytes, maxThreads: o.maxThreads, traceEvents: o.traceEvents });
  } catch (e) {
    if (e instanceof RangeError) throw new GilsimError(`cannot make the runtime: ${e.message}`);
    throw e;
  }
  const threads = (rt as unknown as ThreadedRuntime).threads;
  if (!threads) {
    throw new GilsimError(
      'the runtime has no thread system yet (src/runtime/runtime.ts: Runtime.threads and threadPy are not wired), so no scenario can run',
    );
  }
  const co = new Coordinator(threads, 'runtime', { pool: pool() });
  return new RuntimeEngine(rt, co);
};

class RuntimeEngine implements Engine {
  readonly missing: readonly string[] = [];
  private readonly rt: Runtime;
  private readonly co: Coordinator;

  constructor(rt: Runtime, co: Coordinator) {
    this.rt = rt;
    this.co = co;
  }

  async runThreads(specs: readonly EngineThreadSpec[]) {
    const outs = await this.co.runThreads(
      specs.map((s) => ({ module: s.moduleUrl, fn: s.fn, args: s.args, name: s.name })),
    );
    return outs.map((x, i) => ({ name: specs[i]!.name, ident: x.slot, value: x.value, startedAt: x.startedAt, endedAt: x.endedAt }));
  }

  gilCounters() {
    const g = readGilMetrics(this.rt.mem, this.rt.layout, this.rt.config.gil);
    return { switches: g.switchNumber, heldMs: g.heldMs, contendedMs: g.contendedMs };
  }

  threadCounters(slot: number): ThreadCounters {
    const m = readThreadMetrics(this.rt.mem, this.rt.layout, slot);
    return {
      bytecodes: m.bytecodes,
      acquisitions: m.acquisitions,
      waitMs: m.waitMs,
      holdMs: m.holdMs,
      waitP50Us: m.waitP50Us,
      waitP99Us: m.waitP99Us,
      dropRequests: m.dropRequestsMade,
      forcedDrops: m.forcedDrops,
    };
  }

  timeline(slot: number) {
    const tl = readTimeline(this.rt.mem, this.rt.layout, slot);
    return { events: tl.events.flatMap(toTimelineEvent), lost: tl.dropped };
  }

  heap(): HeapSummary {
    return heapSummary(this.rt.heap.debugmallocstats(), this.rt);
  }

  heapSample() {
    const s = this.rt.heap.debugmallocstats();
    return { bytesInUse: s.bytesInAllocatedBlocks + s.rawBytesInUse, arenas: s.arenasCurrent };
  }

  verify(): string[] {
    return this.rt.verifyHeap();
  }

  gc(): GcCounters {
    const g = readGcStats(this.rt.mem, this.rt.layout);
    return { generations: g.generations, pausesMs: g.pausesMs };
  }

  async close(): Promise<void> {
    await this.co.close();
  }
}

/* ---- from the runtime's records to the report's ---- */

const KIND: Partial<Record<RingEvent['kind'], TimelineKind>> = {
  thread_start: 'start',
  thread_end: 'exit',
  take: 'take',
  drop: 'drop',
  wait_begin: 'wait_begin',
  wait_end: 'wait_end',
  blocked_begin: 'blocked_begin',
  blocked_end: 'blocked_end',
  gc_begin: 'gc_begin',
  gc_end: 'gc_end',
  // parked for a stop-the-world collection: shown as gc
  park_begin: 'gc_begin',
  park_end: 'gc_end',
};

const REASONS: readonly BlockReason[] = ['io', 'sleep', 'lock', 'join', 'native', 'queue', 'event', 'cond'];

function toTimelineEvent(e: RingEvent): TimelineEvent[] {
  const kind = KIND[e.kind];
  if (!kind) return []; // instants the trace does not draw (drop_request)
  if (kind === 'blocked_begin' || kind === 'blocked_end') {
    const name = BLOCK_KINDS[e.arg] as string | undefined;
    const reason = REASONS.find((r) => r === name) ?? 'other';
    return [{ t: e.t, kind, reason }];
  }
  return [{ t: e.t, kind }];
}

function heapSummary(s: MallocStats, rt: Runtime): HeapSummary {
  const g = rt.layout.geometry;
  return {
    profile: g.profile,
    smallRequestThreshold: g.SMALL_REQUEST_THRESHOLD,
    numSizeClasses: g.NB_SMALL_SIZE_CLASSES,
    poolSize: g.POOL_SIZE,
    arenaSize: g.ARENA_SIZE,
    arenasAllocated: s.arenasAllocatedTotal,
    arenasReclaimed: s.arenasReclaimed,
    arenasHighwater: s.arenasHighwater,
    arenasCurrent: s.arenasCurrent,
    bytesInAllocatedBlocks: s.bytesInAllocatedBlocks,
    bytesInAvailableBlocks: s.bytesInAvailableBlocks,
    unusedPools: s.unusedPools,
    bytesLostToPoolHeaders: s.bytesLostToPoolHeaders,
    bytesLostToQuantization: s.bytesLostToQuantization,
    bytesLostToArenaAlignment: s.bytesLostToArenaAlignment,
    rawBytesInUse: s.rawBytesInUse,
    sizeClasses: s.classes.map((c) => ({ ...c })),
  };
}

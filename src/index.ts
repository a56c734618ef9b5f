/*
 * gilsim's public entry: `import { createHeap, createRuntime, ... } from 'gilsim'`.
 * Each layer adds its exports here as it lands.
 */
export * from './errors.ts';
export * from './heap/layout.ts';
export * from './runtime/types.ts';
export * from './runtime/config.ts';
export * from './heap/index.ts';
export { defineScenario, isScenario, param, range } from './scenario/define.ts';
export type { PhaseOutcome, PhaseSpec, Program, ResultsContext, Scenario, ScenarioContext, ScenarioDefinition, ThreadOutcome, ThreadSpec } from './scenario/define.ts';
export type { ParamSchema, ParamSpec, ParamValue, ParamValues } from './scenario/params.ts';
export type { RunResult, RunConfig, ThreadReport, GilSummary, HeapSummary, GcSummary, PhaseReport } from './scenario/result.ts';
export { rng, type Rng } from './scenario/random.ts';
export { createRuntime, Runtime, type RuntimeOptions, type RuntimeHeap } from './runtime/runtime.ts';
export { PyImpl, type ThreadOps, type GcModuleFactory } from './runtime/py.ts';
export { singleThreadOps } from './runtime/single-thread-ops.ts';
export { trackingGcModule } from './runtime/tracking-gc.ts';
export { ObjectSpace, type ObjectHeap, type Visit } from './objects/space.ts';
export { defineNativeType, nativeType, allocNative, NATIVE_PAYLOAD, type NativeTypeSpec } from './objects/native.ts';
export { GcLists } from './objects/gc-lists.ts';
export { ThreadSystem, DEFAULT_DEADLOCK_MS, type ThreadSystemOptions, type ThreadHooks } from './runtime/threads.ts';
export { ThreadState, STATUS_NAMES, BLOCK_KINDS, DROP_REQUEST, GC_SCHEDULED, STOP_THE_WORLD, ABORT, type ThreadStatus, type BlockKind } from './runtime/threadstate.ts';
export { readThreadMetrics, readGilMetrics, readTimeline, type ThreadMetrics, type GilMetrics, type Timeline as ThreadTimeline, type TimelineEvent as ThreadTimelineEvent } from './runtime/threading/readers.ts';
export { createThreadOps, THREADING_TYPES, type ThreadStarter, type ThreadStartRequest } from './runtime/threading/ops.ts';
export { BareRuntime, type BareOptions, type ThreadPy } from './runtime/threading/bare.ts';
export { POLICIES, createPolicy, type GilPolicy, type GilHost, type DropReason } from './gil/policy.ts';
export { Mutex } from './gil/mutex.ts';
export { Cond } from './gil/cond.ts';
export { Coordinator, type CoordinatorOptions, type ThreadSpec as CoordinatorThreadSpec } from './host/coordinator.ts';
export { WorkerPool, type WorkerPoolOptions } from './host/pool.ts';
export type { ThreadOutcome as WorkerThreadOutcome, ThreadErrorRecord, AttachMode } from './host/types.ts';
export { Collector, GcModuleImpl, readGcStats, readLog, LOG_RECORDS, DEBUG_STATS, DEBUG_COLLECTABLE, DEBUG_UNCOLLECTABLE, DEBUG_SAVEALL, DEBUG_LEAK, type GcStats, type GcGenerationStats, type CollectionRecord, type GcCallback, type CollectorOptions, type CollectResult } from './gc/index.ts';
export { collectorGcModule, collectorOf } from './gc/install.ts';
export { PyImplFT } from './runtime/py.ts';
export { BRC_MERGE_BIT, PENDING_CALLS_BIT } from './runtime/runtime.ts';
export { brcStats, type BrcStats } from './objects/brc.ts';
export { AtomicRefcount, BiasedRefcount, PlainRefcount, makeRefcount, type RefcountStrategy, type BrcQueue } from './objects/refcount/index.ts';

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
export { PyImpl, singleThreadOps, trackingGcModule, type ThreadOps, type GcModuleFactory } from './runtime/py.ts';
export { ObjectSpace, type ObjectHeap, type Visit } from './objects/space.ts';
export { defineNativeType, nativeType, allocNative, NATIVE_PAYLOAD, type NativeTypeSpec } from './objects/native.ts';
export { GcLists } from './gc/lists.ts';

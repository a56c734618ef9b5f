/*
 * The cyclic garbage collector's public surface.
 *
 *   Collector     one per JS thread: the trigger (install() plugs it into the allocation path
 *                 and the eval breaker), gc.collect, stop-the-world, the collection log
 *   GcModuleImpl  `py.gc` over a Collector
 *   readGcStats   per-generation counts and pauses from the buffer, for the report
 */
export { Collector, type CollectorOptions, type GcCallback } from './collector.ts';
export { collectMain, genHead, type CollectResult } from './collect.ts';
export { GcModuleImpl } from './module.ts';
export { readGcStats, percentile, type GcStats, type GcGenerationStats } from './stats.ts';
export {
  DEBUG_COLLECTABLE,
  DEBUG_LEAK,
  DEBUG_SAVEALL,
  DEBUG_STATS,
  DEBUG_UNCOLLECTABLE,
  LOG_RECORDS,
  readLog,
  type CollectionRecord,
} from './state.ts';
export { collectorGcModule, collectorOf, type PyLike } from './install.ts';

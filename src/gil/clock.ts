/*
 * The clock every thread shares.
 *
 * Timeline events and cross-thread measurements (a drop request made by one thread and honoured
 * by another) need one time base for all threads. `performance.now()` alone is relative to each
 * worker's own start, so we add `performance.timeOrigin`: the sum is milliseconds since the epoch,
 * comparable between threads, with sub-microsecond resolution left in a double.
 */

/** Milliseconds since the epoch, comparable across threads. */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

/** Microseconds per millisecond: the unit of the wait histograms and of nativeCall. */
export const US_PER_MS = 1000;
/** Milliseconds per second (sys.setswitchinterval takes seconds). */
export const MS_PER_S = 1000;

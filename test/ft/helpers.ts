/*
 * Shared set-up for the free-threaded tests: runtimes without a GIL, a second (and third) view of
 * the same buffer from the test's own JS thread (each one a Python thread of its own: a non-owner
 * for biased refcounting), and one worker pool per test file for the threaded tests.
 */

import { WorkerPool } from '../../src/host/pool.ts';
import { Runtime } from '../../src/runtime/runtime.ts';
import type { PyImpl } from '../../src/runtime/py.ts';

export const PROGRAMS = new URL('./programs.ts', import.meta.url).href;

let pool: WorkerPool | null = null;

export function sharedPool(workers = 4): WorkerPool {
  pool ??= new WorkerPool({ workers });
  return pool;
}

export async function destroyPool(): Promise<void> {
  await pool?.destroy();
  pool = null;
}

export interface View {
  rt: Runtime;
  py: PyImpl;
}

/** A free-threaded (3.13t: no GIL, biased refcounts) runtime and its main thread's py. */
export function ftRuntime(opts: Parameters<typeof Runtime.create>[0] = {}): View {
  const rt = Runtime.create({ python: '3.13t', maxThreads: 8, traceEvents: 0, deadlockMs: 10_000, ...opts });
  return { rt, py: rt.mainThread() };
}

/** Another Python thread over the same buffer, in this JS thread (its own ident and thread heap). */
export function otherThread(rt: Runtime): View {
  const other = Runtime.attach(rt.sab);
  return { rt: other, py: other.mainThread() };
}

/** The biased-refcount words of o, as `rt` sees them now. */
export function words(rt: Runtime, o: number): { local: number; tid: number; shared: number } {
  rt.space.sync();
  const i32 = rt.space.i32;
  const w = o >> 2;
  return { local: Atomics.load(i32, w), tid: Atomics.load(i32, w + 1), shared: Atomics.load(i32, w + 3) };
}

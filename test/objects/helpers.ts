/* Shared set-up for the object tests: a small runtime and a verifyHeap check after each test. */
import { afterEach, expect } from 'vitest';
import { Runtime, type RuntimeOptions } from '../../src/runtime/runtime.ts';
import type { PyImpl } from '../../src/runtime/py.ts';

const made: Runtime[] = [];

/** A runtime with a small thread table (tests need no threads). */
export function makeRuntime(opts: RuntimeOptions = {}): { rt: Runtime; py: PyImpl } {
  const rt = Runtime.create({ maxThreads: 1, traceEvents: 0, maxHeapBytes: 256 * 2 ** 20, ...opts });
  made.push(rt);
  return { rt, py: rt.mainThread() };
}

/** Every test leaves a heap whose allocator and objects verify clean. */
afterEach(() => {
  for (const rt of made.splice(0)) expect(rt.verifyHeap()).toEqual([]);
});

/** Blocks in use per size class, from sys._debugmallocstats(). */
export function blocksInUse(rt: Runtime): Map<number, number> {
  const m = new Map<number, number>();
  for (const c of rt.heap.debugmallocstats().classes) m.set(c.size, c.blocksInUse);
  return m;
}

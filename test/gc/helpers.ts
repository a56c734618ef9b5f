/* Shared set-up for the collector tests: a runtime whose py.gc is the collector. */
import { afterEach, expect } from 'vitest';
import { collectorGcModule } from '../../src/gc/install.ts';
import type { PyImpl } from '../../src/runtime/py.ts';
import { Runtime, type RuntimeOptions } from '../../src/runtime/runtime.ts';

const made: Runtime[] = [];

/** A single-threaded runtime with the collector plugged in. */
export function makeGcRuntime(opts: RuntimeOptions = {}): { rt: Runtime; py: PyImpl } {
  const rt = Runtime.create({ maxThreads: 1, traceEvents: 0, maxHeapBytes: 512 * 2 ** 20, ...opts });
  rt.gcFactory = collectorGcModule;
  made.push(rt);
  return { rt, py: rt.mainThread() };
}

/** Every test leaves a heap whose allocator and objects verify clean. */
afterEach(() => {
  for (const rt of made.splice(0)) expect(rt.verifyHeap()).toEqual([]);
});

/** The members of a py list, as handles (borrowed: valid while the list holds them). */
export function items(py: PyImpl, list: number): number[] {
  const out: number[] = [];
  const n = py.len(list);
  for (let i = 0; i < n; i++) {
    const o = py.getitem(list, i);
    out.push(o);
    py.decref(o);
  }
  return out;
}

/** Empty a py list (gc.garbage, say), dropping its references. */
export function clearList(py: PyImpl, list: number): void {
  while (py.len(list) > 0) py.decref(py.pop(list));
}

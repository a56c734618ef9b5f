/*
 * Plugging the collector into a runtime: the `gc` module factory.
 *
 * `collectorGcModule` is a GcModuleFactory (runtime/py.ts): for each thread's `py` it makes that
 * JS thread's Collector, installs it (the allocation trigger on the object space, the
 * GC_SCHEDULED hook on the thread system) and returns `py.gc`. The thread system is found on the
 * runtime (`rt.threads`) when the runtime has one; without it the collector runs single-threaded
 * (no stop-the-world), which is right for a runtime used from one JS thread.
 */

import type { ObjectSpace } from '../objects/space.ts';
import type { ThreadSystem } from '../runtime/threads.ts';
import type { GcModule } from '../runtime/types.ts';
import { Collector } from './collector.ts';
import { GcModuleImpl } from './module.ts';

/** What the factory needs from a PyImpl (structural, so this layer does not import py.ts). */
export interface PyLike {
  enter(): void;
  /** the runtime; its `threads` (a ThreadSystem), when it has one, enables stop-the-world */
  readonly rt?: object;
}

/** The collector of the space a `py` uses, when it was made by collectorGcModule. */
const collectors = new WeakMap<ObjectSpace, Collector>();

export function collectorGcModule(py: PyLike, space: ObjectSpace): GcModule {
  const sys = (py.rt as { threads?: ThreadSystem | null } | undefined)?.threads ?? null;
  const c = new Collector(space, { sys }).install();
  collectors.set(space, c);
  return new GcModuleImpl(c, py);
}

/** The Collector installed on `space` (for the runtime and tests), or undefined. */
export function collectorOf(space: ObjectSpace): Collector | undefined {
  return collectors.get(space);
}

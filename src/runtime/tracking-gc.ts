/*
 * The `gc` module of a py made without the collector: what the generation lists know.
 *
 * is_tracked, get_count, the thresholds, enable/disable, get_objects, get_referents and
 * is_finalized work from the lists and the traversals of src/objects; collect, get_stats,
 * freeze, garbage and the debug flags raise PyRuntimeError. A Runtime plugs in the collector's
 * module instead (src/gc/install.ts); this one serves a bare PyImpl, and shows the seam.
 */

import { PyRuntimeError, PyTypeError, ValueError } from '../errors.ts';
import { newList } from '../objects/list.ts';
import type { ObjectSpace } from '../objects/space.ts';
import type { PyImpl } from './py.ts';
import type { GcInfo, GcModule, PyObject } from './types.ts';

function notYet(what: string): never {
  throw new PyRuntimeError(`gc.${what} needs the cyclic collector, which this py was made without (src/gc/install.ts)`);
}

/** The gc module as far as the tracking lists go; collecting raises. */
export function trackingGcModule(py: PyImpl, s: ObjectSpace): GcModule {
  const gcl = s.gcl;
  const callbacks: ((phase: 'start' | 'stop', info: GcInfo) => void)[] = [];
  const gen = (g: number | undefined): number => {
    if (g === undefined) return -1;
    if (!Number.isInteger(g) || g < 0 || g > 2) throw new ValueError('generation parameter must be 0, 1 or 2');
    return g;
  };
  return {
    collect: () => notYet('collect'),
    enable: () => {
      gcl.enabled = true;
    },
    disable: () => {
      gcl.enabled = false;
    },
    isenabled: () => gcl.enabled,
    get_count: () => [gcl.count(0), gcl.count(1), gcl.count(2)],
    get_threshold: () => [gcl.threshold(0), gcl.threshold(1), gcl.threshold(2)],
    set_threshold(t0: number, t1?: number, t2?: number) {
      const ts = [t0, t1, t2];
      for (let g = 0; g < 3; g++) {
        const t = ts[g];
        if (t === undefined) continue;
        if (!Number.isInteger(t)) throw new PyTypeError(`'${typeof t}' object cannot be interpreted as an integer`);
        gcl.setThreshold(g, t);
      }
    },
    get_stats: () => notYet('get_stats'),
    freeze: () => notYet('freeze'),
    unfreeze: () => notYet('unfreeze'),
    get_freeze_count: () => notYet('get_freeze_count'),
    is_tracked: (o: PyObject) => {
      py.enter();
      s.check(o);
      return s.isTracked(o);
    },
    is_finalized: (o: PyObject) => {
      py.enter();
      s.check(o);
      return s.isFinalized(o);
    },
    get_objects(generation?: number) {
      py.enter();
      const g = gen(generation);
      const out: number[] = [];
      for (let i = g < 0 ? 0 : g; i <= (g < 0 ? 2 : g); i++) {
        for (const head of gcl.generationHeads(i)) gcl.forEachObject(head, (o) => out.push(o));
      }
      return newList(s, out);
    },
    get_referrers: () => notYet('get_referrers'),
    get_referents(...objs: PyObject[]) {
      py.enter();
      const out: number[] = [];
      for (const o of objs) {
        s.check(o);
        if (s.isGC(o)) s.traverse(o, (c: number, acc: number[]) => acc.push(c), out);
      }
      return newList(s, out);
    },
    get garbage(): PyObject {
      return notYet('garbage');
    },
    callbacks,
    set_debug: () => notYet('set_debug'),
    get_debug: () => notYet('get_debug'),
    DEBUG_STATS: 1,
    DEBUG_COLLECTABLE: 2,
    DEBUG_UNCOLLECTABLE: 4,
    DEBUG_SAVEALL: 32,
    DEBUG_LEAK: 38,
  };
}

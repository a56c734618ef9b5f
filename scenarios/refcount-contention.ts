/*
 * refcount-contention: T threads incref and decref one shared object, then each its own.
 *
 * With a GIL the threads take turns and the two phases cost the same. Without one, plain
 * refcounts would lose updates, so 3.13t makes them atomic (or biased): on one shared object the
 * cores fight over one cache line, on objects of their own they do not (unless the objects sit
 * on the same line: false sharing).
 */

import { defineScenario, param, range } from '../src/scenario/define.ts';
import type { Py, PyObject } from '../src/runtime/types.ts';
import { perSecond, ratio, round, sum } from '../src/scenario/stats.ts';

interface Shared {
  target: PyObject;
}

function makeTarget(py: Py): Shared {
  return { target: py.object() };
}

function dropTarget(py: Py, s: Shared): void {
  py.decref(s.target);
}

/** `ops` incref/decref pairs on `target`, or on an object of the thread's own when null. */
function hammer(py: Py, target: PyObject | null, ops: number): number {
  const o = target ?? py.object();
  for (let i = 0; i < ops; i++) {
    py.incref(o);
    py.decref(o);
    py.tick(); // the loop's back edge
  }
  if (target === null) py.decref(o);
  return ops;
}

export default defineScenario({
  name: 'refcount-contention',
  description: 'T threads incref/decref one shared object, then each its own',
  about:
    'Each thread does `ops` incref/decref pairs, first all on one shared object (shared), then ' +
    'each on an object of its own (own). Under a GIL both phases cost the same; under 3.13t ' +
    '(atomic or biased refcounts, --refcount) the shared object is one contended cache line: ' +
    'compare sharedOpsPerSec with ownOpsPerSec.',
  params: {
    threads: param.int({ default: 2, min: 1, max: 64, description: 'threads' }),
    ops: param.int({ default: 200_000, min: 1, description: 'incref/decref pairs per thread' }),
  },
  programs: { makeTarget, dropTarget, hammer },
  setup: 'makeTarget',
  teardown: 'dropTarget',
  phases: ({ params: p, shared }) => [
    {
      name: 'shared',
      threads: range(p.threads).map((i) => ({
        name: `shared-${i}`,
        program: 'hammer' as const,
        args: [(shared as Shared).target, p.ops],
      })),
    },
    {
      name: 'own',
      threads: range(p.threads).map((i) => ({ name: `own-${i}`, program: 'hammer' as const, args: [null, p.ops] })),
    },
  ],
  results: (r) => {
    const shared = r.phase('shared');
    const own = r.phase('own');
    const sharedOps = perSecond(sum(shared.values('hammer') as number[]), shared.wallMs);
    const ownOps = perSecond(sum(own.values('hammer') as number[]), own.wallMs);
    return {
      sharedOpsPerSec: round(sharedOps, 0),
      ownOpsPerSec: round(ownOps, 0),
      ownOverShared: round(ratio(ownOps, sharedOps), 2),
    };
  },
});

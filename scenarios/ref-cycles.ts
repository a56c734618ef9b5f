/*
 * ref-cycles: cyclic garbage at scale. Each thread makes pairs of objects that point at each
 * other and drops them: reference counting cannot free a pair, only the cyclic collector can.
 *
 * The collection count and pauses depend on the thresholds (--gc-threshold a,b,c): generation 0
 * is collected every threshold-0 net allocations of tracked objects. A long-lived set of objects
 * (`live`) makes full collections costlier; `freeze` moves it out of the collector's sight, as
 * `gc.freeze()` does after a server's start-up.
 */

import { defineScenario, param, range } from '../src/scenario/define.ts';
import type { Py, PyObject } from '../src/runtime/types.ts';
import { perSecond, round, sum } from '../src/scenario/stats.ts';

interface Shared {
  Node: PyObject;
}

function makeClass(py: Py): Shared {
  return { Node: py.newClass('Node', { slots: ['peer'] }) };
}

function dropClass(py: Py, s: Shared): void {
  py.decref(s.Node);
}

/** Keep `live` nodes alive (frozen if asked), then make and drop `pairs` two-node cycles. */
function churn(py: Py, Node: PyObject, pairs: number, live: number, freeze: boolean): number {
  const keep = py.list();
  for (let i = 0; i < live; i++) {
    const o = py.instance(Node);
    py.append(keep, o);
    py.decref(o);
  }
  if (freeze) py.gc.freeze();
  for (let i = 0; i < pairs; i++) {
    const a = py.instance(Node);
    const b = py.instance(Node);
    py.setattr(a, 'peer', b);
    py.setattr(b, 'peer', a);
    py.decref(a);
    py.decref(b);
    py.tick();
  }
  if (freeze) py.gc.unfreeze();
  py.decref(keep);
  return pairs;
}

export default defineScenario({
  name: 'ref-cycles',
  description: 'threads make two-object cycles and drop them: only the collector frees them',
  about:
    'Each thread keeps `live` long-lived objects, then makes `pairs` pairs of objects pointing at ' +
    'each other and drops them. Look at collections per generation, collected, and the pauses ' +
    '(p50/p99/max): try --gc-threshold 100,10,10 against 5000,10,10, and --param live=200000 with ' +
    'and without --param freeze=true. Under 3.13t each collection stops every thread.',
  params: {
    threads: param.int({ default: 2, min: 1, max: 64, description: 'threads' }),
    pairs: param.int({ default: 10_000, min: 0, description: 'cycles each thread makes and drops' }),
    live: param.int({ default: 5_000, min: 0, description: 'long-lived objects each thread keeps' }),
    freeze: param.bool({ default: false, description: 'gc.freeze() the long-lived objects' }),
  },
  programs: { makeClass, dropClass, churn },
  setup: 'makeClass',
  teardown: 'dropClass',
  threads: ({ params: p, shared }) =>
    range(p.threads).map((i) => ({
      name: `churn-${i}`,
      program: 'churn' as const,
      args: [(shared as Shared).Node, p.pairs, p.live, p.freeze],
    })),
  results: (r) => {
    const ph = r.phase('main');
    const pairs = sum(ph.values('churn') as number[]);
    const gens = ph.gc.generations;
    return {
      pairs,
      pairsPerSec: round(perSecond(pairs, ph.wallMs), 0),
      gen0Collections: gens[0]?.collections ?? 0,
      gen1Collections: gens[1]?.collections ?? 0,
      gen2Collections: gens[2]?.collections ?? 0,
      collected: sum(gens.map((g) => g.collected)),
      pauseP50Ms: round(ph.gc.pauses.p50Ms),
      pauseP99Ms: round(ph.gc.pauses.p99Ms),
      pauseMaxMs: round(ph.gc.pauses.maxMs),
    };
  },
});

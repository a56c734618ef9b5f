/*
 * alloc-storm: the larson benchmark's pattern. T threads each own S slots and, round after
 * round, replace a random slot with a new object of a random size (the old one is freed).
 *
 * Every round is one allocation and one free. Under a GIL the threads take turns, so allocations
 * per second do not grow with T; without one they can, if the allocator does not serialise them.
 */

import { defineScenario, param, range } from '../src/scenario/define.ts';
import type { Py } from '../src/runtime/types.ts';
import { rng } from '../src/scenario/random.ts';
import { mean, perSecond, round, sum } from '../src/scenario/stats.ts';
import { mixedObject } from '../src/scenario/workload.ts';

interface StormOut {
  allocations: number;
  ms: number;
}

function storm(py: Py, slots: number, rounds: number, seed: number, stream: number): StormOut {
  const r = rng(seed, stream);
  const t0 = py.time.perf_counter_ms();
  const owned = py.list();
  for (let i = 0; i < slots; i++) {
    const o = mixedObject(py, r);
    py.append(owned, o);
    py.decref(o);
  }
  for (let k = 0; k < rounds; k++) {
    const o = mixedObject(py, r);
    py.setitem(owned, r.below(slots), o); // the list drops the old object: it is freed here
    py.decref(o);
    py.tick();
  }
  py.decref(owned);
  return { allocations: slots + rounds, ms: py.time.perf_counter_ms() - t0 };
}

export default defineScenario({
  name: 'alloc-storm',
  description: 'T threads replace random slots with new objects of mixed sizes (larson)',
  about:
    'Each thread owns `slots` slots and replaces a random one `rounds` times with a new object ' +
    'of a random type and size (so every round is one allocation and one free). allocsPerSec ' +
    'is the total over the phase; allocsPerSecPerThread the mean of each thread on its own ' +
    'time. Sweep --threads 1,2,4 under 3.11 and 3.13t: with a GIL the total stays flat.',
  params: {
    threads: param.int({ default: 2, min: 1, max: 64, description: 'threads' }),
    slots: param.int({ default: 1000, min: 1, description: 'slots each thread owns' }),
    rounds: param.int({ default: 300_000, min: 0, description: 'replacements per thread' }),
  },
  programs: { storm },
  threads: ({ params: p, seed }) =>
    range(p.threads).map((i) => ({ name: `storm-${i}`, program: 'storm' as const, args: [p.slots, p.rounds, seed, i] })),
  results: (r) => {
    const ph = r.phase('main');
    const outs = ph.values('storm') as StormOut[];
    const total = sum(outs.map((o) => o.allocations));
    return {
      allocations: total,
      allocsPerSec: round(perSecond(total, ph.wallMs), 0),
      allocsPerSecPerThread: round(mean(outs.map((o) => perSecond(o.allocations, o.ms))), 0),
      arenasHighwater: ph.heap.arenasHighwater,
    };
  },
});

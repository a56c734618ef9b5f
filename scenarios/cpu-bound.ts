/*
 * cpu-bound: the classic countdown (David Beazley's "Understanding the Python GIL").
 *
 * Each thread counts an int down with `n = n - 1`: a new int object every step, the old one
 * decref'd and freed, as CPython does for ints past the small-int cache. The same total work runs
 * once on one thread, then split across T threads. With a GIL the threaded run is no faster (the
 * new GIL) or slower (the old GIL fighting on several cores); without one it should approach 1/T.
 */

import { defineScenario, param, range } from '../src/scenario/define.ts';
import type { Py } from '../src/runtime/types.ts';
import { ratio, round } from '../src/scenario/stats.ts';

/** while n > 0: n = n - 1 */
function countdown(py: Py, steps: number): number {
  const zero = py.int(0);
  const one = py.int(1);
  let n = py.int(steps);
  let done = 0;
  for (;;) {
    const more = py.gt(n, zero);
    const go = py.truthy(more);
    py.decref(more);
    if (!go) break;
    const next = py.sub(n, one);
    py.decref(n);
    n = next;
    done++;
    py.tick();
  }
  py.decref(n);
  py.decref(one);
  py.decref(zero);
  return done;
}

export default defineScenario({
  name: 'cpu-bound',
  description: 'countdown loop: the same work on one thread, then split across T threads',
  about:
    'Each thread runs `while n > 0: n = n - 1`, a new int object per step. The work runs once on ' +
    'one thread (sequential), then split evenly across T threads (threaded). slowdown = ' +
    'threadedMs / sequentialMs: about 1 under the new GIL, above 1 under the old one (the ' +
    'check-interval battle), about 1/T without a GIL (if there are T cores).',
  params: {
    n: param.int({ default: 300_000, min: 1, description: 'countdown steps in all (split across the threads)' }),
    threads: param.int({ default: 2, min: 1, max: 64, description: 'threads in the threaded phase' }),
  },
  programs: { countdown },
  phases: ({ params: p }) => [
    { name: 'sequential', threads: [{ name: 'count', program: 'countdown', args: [p.n] }] },
    {
      name: 'threaded',
      threads: range(p.threads).map((i) => ({
        name: `count-${i}`,
        program: 'countdown',
        // the remainder goes to the first threads, so the total is exactly n
        args: [Math.floor(p.n / p.threads) + (i < p.n % p.threads ? 1 : 0)],
      })),
    },
  ],
  results: (r) => {
    const sequentialMs = r.phase('sequential').wallMs;
    const threadedMs = r.phase('threaded').wallMs;
    return {
      sequentialMs: round(sequentialMs),
      threadedMs: round(threadedMs),
      slowdown: round(ratio(threadedMs, sequentialMs)),
    };
  },
});

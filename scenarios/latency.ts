/*
 * latency: how late a thread that wakes every 10 ms gets to run (CPython's Tools/ccbench
 * latency test), against 0, 1, 2 ... background CPU-bound threads.
 *
 * The waker sleeps (releasing the GIL) and, when its sleep ends, must take the GIL back. Its
 * lateness is the time from the end of the sleep to running again: near zero alone, about one
 * switch interval under the new GIL with a CPU thread, worse under the old GIL.
 */

import { defineScenario, param, range } from '../src/scenario/define.ts';
import type { Py, PyObject } from '../src/runtime/types.ts';
import { max, percentile, round } from '../src/scenario/stats.ts';

const SPIN_CHUNK = 200;

/** Sleep `intervalMs` `wakeups` times; returns how late each wake-up ran, in ms. */
function waker(py: Py, wakeups: number, intervalMs: number, stop: PyObject): number[] {
  const late: number[] = [];
  for (let i = 0; i < wakeups; i++) {
    const t0 = py.time.perf_counter_ms();
    py.time.sleep(intervalMs);
    late.push(Math.max(0, py.time.perf_counter_ms() - t0 - intervalMs));
    py.tick();
  }
  py.threading.set(stop);
  return late;
}

function spin(py: Py, stop: PyObject): number {
  let n = 0;
  while (!py.threading.is_set(stop)) {
    py.compute(SPIN_CHUNK);
    n += SPIN_CHUNK;
  }
  return n;
}

/** One stop event per phase (an event, once set, stays set). */
function makeEvents(py: Py, params: { threads: number }): PyObject[] {
  return range(params.threads + 1).map(() => py.threading.Event());
}

function dropEvents(py: Py, events: PyObject[]): void {
  for (const e of events) py.decref(e);
}

export default defineScenario({
  name: 'latency',
  description: 'a thread waking every 10 ms: how late it runs against 0, 1, 2 ... CPU threads',
  about:
    'A waker sleeps intervalMs, `wakeups` times, and measures how late each wake-up gets to ' +
    'run. Phase bgN runs it beside N CPU-bound threads, for N = 0 .. threads. Look at ' +
    'bgN.lateP50Ms: about 0 alone; about the switch interval under the new GIL (the waker must ' +
    'ask the CPU thread off); without a GIL, about 0 again while there are cores to spare.',
  params: {
    wakeups: param.int({ default: 20, min: 1, description: 'wake-ups per phase' }),
    intervalMs: param.number({ default: 10, min: 0.1, max: 1000, description: 'sleep between wake-ups, ms' }),
    threads: param.int({ default: 2, min: 0, max: 63, description: 'most background CPU threads (phases 0..threads)' }),
  },
  programs: { waker, spin, makeEvents, dropEvents },
  setup: 'makeEvents',
  teardown: 'dropEvents',
  phases: ({ params: p, shared }) => {
    const events = shared as PyObject[];
    return range(p.threads + 1).map((b) => ({
      name: `bg${b}`,
      threads: [
        { name: 'waker', program: 'waker' as const, args: [p.wakeups, p.intervalMs, events[b]] },
        ...range(b).map((i) => ({ name: `cpu-${i}`, program: 'spin' as const, args: [events[b]] })),
      ],
    }));
  },
  results: (r) => {
    const out: Record<string, number> = {};
    for (const ph of r.phases) {
      const late = ph.value('waker') as number[];
      out[`${ph.name}.lateP50Ms`] = round(percentile(late, 50));
      out[`${ph.name}.lateP99Ms`] = round(percentile(late, 99));
      out[`${ph.name}.lateMaxMs`] = round(max(late));
    }
    return out;
  },
});

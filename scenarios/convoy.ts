/*
 * convoy: the convoy effect (bpo-7946).
 *
 * An I/O-bound thread makes K blocking calls that complete at once (`py.io(0)`, a socket that is
 * always ready). Each call drops the GIL and must take it back. Alone, that costs next to nothing.
 * Beside C CPU-bound threads, every call waits behind a CPU thread until the switch interval runs
 * out and a drop request forces it off: about 5 ms per call under the new GIL.
 */

import { defineScenario, param, range } from '../src/scenario/define.ts';
import type { Py, PyObject } from '../src/runtime/types.ts';
import { percentile, ratio, round } from '../src/scenario/stats.ts';

/** Bytecodes of CPU work between two looks at the stop event. */
const SPIN_CHUNK = 200;

interface Shared {
  /** set by the first CPU thread once it runs, so the I/O calls start against a busy GIL */
  running: PyObject;
  /** set by the I/O thread when it is done, so the CPU threads stop */
  stop: PyObject;
}

/** The longest the I/O thread waits for the CPU threads to start, ms (a bound, not a pause). */
const START_WAIT_MS = 5_000;

/**
 * K calls of py.io(ioMs); returns each call's latency in microseconds. Beside CPU threads, it
 * first waits (releasing the GIL) until one of them runs.
 */
function ioCalls(py: Py, calls: number, ioMs: number, shared: Shared | null): number[] {
  if (shared) py.threading.wait(shared.running, START_WAIT_MS);
  const lat: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t0 = py.time.perf_counter_ms();
    py.io(ioMs);
    lat.push((py.time.perf_counter_ms() - t0) * 1000);
    py.tick();
  }
  if (shared) py.threading.set(shared.stop);
  return lat;
}

/** Pure CPU work until the stop event is set. Returns the bytecodes spent. */
function spin(py: Py, shared: Shared): number {
  const { running, stop } = shared;
  py.threading.set(running);
  let n = 0;
  while (!py.threading.is_set(stop)) {
    py.compute(SPIN_CHUNK);
    n += SPIN_CHUNK;
  }
  return n;
}

function makeShared(py: Py): Shared {
  return { running: py.threading.Event(), stop: py.threading.Event() };
}

function dropShared(py: Py, s: Shared): void {
  py.decref(s.running);
  py.decref(s.stop);
}

export default defineScenario({
  name: 'convoy',
  description: 'an I/O thread alone, then beside CPU-bound threads (the convoy effect)',
  about:
    'An I/O thread makes K calls that complete at once (py.io(0): drop the GIL, take it back). ' +
    'First alone (io-alone), then beside C CPU-bound threads (io-loaded). Under the new GIL each ' +
    'loaded call waits about one switch interval for the CPU thread to be asked off: slowdown ' +
    'is in the hundreds. Look at callP50Us against --switch-interval, and at the I/O ' +
    "thread's wait p50 in the thread table. Without a GIL (3.13t) the calls do not wait.",
  params: {
    calls: param.int({ default: 1000, min: 1, description: 'blocking calls the I/O thread makes' }),
    ioMs: param.number({ default: 0, min: 0, max: 1000, description: 'how long each call blocks, ms (0: ready at once)' }),
    threads: param.int({ default: 1, min: 1, max: 63, description: 'CPU-bound threads beside it (C)' }),
  },
  programs: { ioCalls, spin, makeShared, dropShared },
  setup: 'makeShared',
  teardown: 'dropShared',
  phases: ({ params: p, shared }) => {
    const s = shared as Shared;
    return [
      { name: 'io-alone', threads: [{ name: 'io', program: 'ioCalls', args: [p.calls, p.ioMs, null] }] },
      {
        name: 'io-loaded',
        threads: [
          { name: 'io', program: 'ioCalls', args: [p.calls, p.ioMs, s] },
          ...range(p.threads).map((i) => ({ name: `cpu-${i}`, program: 'spin' as const, args: [s] })),
        ],
      },
    ];
  },
  results: (r) => {
    const alone = r.phase('io-alone');
    const loaded = r.phase('io-loaded');
    const aloneLat = alone.value('io') as number[];
    const loadedLat = loaded.value('io') as number[];
    const ioAloneMs = alone.threads.find((t) => t.name === 'io')!.wallMs;
    const ioLoadedMs = loaded.threads.find((t) => t.name === 'io')!.wallMs;
    return {
      ioAloneMs: round(ioAloneMs),
      ioLoadedMs: round(ioLoadedMs),
      slowdown: round(ratio(ioLoadedMs, ioAloneMs), 1),
      callP50Us: round(percentile(loadedLat, 50), 1),
      callP99Us: round(percentile(loadedLat, 99), 1),
      aloneCallP50Us: round(percentile(aloneLat, 50), 1),
      aloneCallP99Us: round(percentile(aloneLat, 99), 1),
    };
  },
});

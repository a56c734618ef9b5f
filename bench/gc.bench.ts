/*
 * Collector benchmarks: a full collection per object, against CPython's on this machine.
 *
 *   gc.live.ns_per_obj             gc.collect() over 1,000,000 tracked objects that are all
 *                                  reachable (a list holding 999,999 empty lists): the pure cost
 *                                  of update_refs + subtract_refs + move_unreachable + the
 *                                  full-collection bookkeeping, per object
 *   gc.garbage.ns_per_obj          gc.collect() over 500,000 garbage 2-cycles (a = []; b = [a];
 *                                  a.append(b)): finding them AND freeing them, per object
 *   gc.cpython_live.ns_per_obj     the same two in python3 (when it is on the PATH), with its
 *   gc.cpython_garbage.ns_per_obj  collector disabled while building, timed with perf_counter
 *   gc.live.ratio, gc.garbage.ratio  gilsim over CPython (goal: <= 1.0)
 *
 * Each figure is the best of REPEAT timed collections (the machines are shared: the minimum is
 * the least disturbed run).
 */
import { spawnSync } from 'node:child_process';
import { collectorGcModule } from '../src/gc/install.ts';
import type { PyImpl } from '../src/runtime/py.ts';
import { Runtime } from '../src/runtime/runtime.ts';

const N = 1_000_000;
const REPEAT = 5;

function runtime(): PyImpl {
  const rt = Runtime.create({ maxThreads: 1, traceEvents: 0, maxHeapBytes: 1024 * 2 ** 20 });
  rt.gcFactory = collectorGcModule;
  const py = rt.mainThread();
  py.gc.disable();
  return py;
}

function timeCollect(py: PyImpl): number {
  const t0 = performance.now();
  py.gc.collect();
  return performance.now() - t0;
}

/** ns per object of a full collection where everything is reachable. */
function live(py: PyImpl): number {
  const keep = py.list();
  for (let i = 0; i < N - 1; i++) {
    const x = py.list();
    py.append(keep, x);
    py.decref(x);
  }
  py.gc.collect(); // settle: everything in generation 2
  let best = Infinity;
  for (let r = 0; r < REPEAT; r++) best = Math.min(best, timeCollect(py));
  py.decref(keep);
  return (best * 1e6) / N;
}

/** ns per object of a full collection of N / 2 garbage 2-cycles (finding and freeing them). */
function garbage(py: PyImpl): number {
  let best = Infinity;
  for (let r = 0; r < REPEAT; r++) {
    for (let i = 0; i < N / 2; i++) {
      const a = py.list();
      const b = py.list([a]);
      py.append(a, b);
      py.decref(a);
      py.decref(b);
    }
    best = Math.min(best, timeCollect(py));
  }
  return (best * 1e6) / N;
}

const CPYTHON = `
import gc, json, time
N = ${N}; REPEAT = ${REPEAT}
gc.disable(); gc.collect()
def timed():
    t = time.perf_counter(); gc.collect(); return time.perf_counter() - t
keep = [[] for _ in range(N - 1)]
gc.collect()
live = min(timed() for _ in range(REPEAT))
del keep; gc.collect()
best = float('inf')
for _ in range(REPEAT):
    for _ in range(N // 2):
        a = []; b = [a]; a.append(b)
    del a, b
    best = min(best, timed())
print(json.dumps({'live': live * 1e9 / N, 'garbage': best * 1e9 / N}))
`;

function cpython(): { live: number; garbage: number } | null {
  const r = spawnSync('python3', ['-c', CPYTHON], { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0 || !r.stdout) return null;
  return JSON.parse(r.stdout.trim()) as { live: number; garbage: number };
}

export default async function (): Promise<Record<string, number>> {
  const figures: Record<string, number> = {};
  figures['gc.live.ns_per_obj'] = live(runtime());
  figures['gc.garbage.ns_per_obj'] = garbage(runtime());
  const c = cpython();
  if (c !== null) {
    figures['gc.cpython_live.ns_per_obj'] = c.live;
    figures['gc.cpython_garbage.ns_per_obj'] = c.garbage;
    figures['gc.live.ratio'] = figures['gc.live.ns_per_obj'] / c.live;
    figures['gc.garbage.ratio'] = figures['gc.garbage.ns_per_obj'] / c.garbage;
  }
  return figures;
}

/*
 * Scaling benchmarks: does allocation scale with threads, per profile; and what biased
 * reference counting costs the owner.
 *
 *   scaling.alloc.3_11.x2        allocsPerSec of the alloc-storm scenario with 2 threads divided
 *                                by the same with 1 thread, under 3.11 (the new GIL): the GIL
 *                                serialises, goal <= 1.1
 *   scaling.alloc.3_13t.x2       the same under 3.13t (no GIL, thread heaps, biased refcounts,
 *                                critical sections): goal >= 1.7 on 2 cores
 *   scaling.alloc.3_11.t1_per_s, scaling.alloc.3_13t.t1_per_s   the 1-thread throughputs
 *                                (allocations per second), for the single-thread overhead
 *   refcount.biased_owner.ns     an incref + decref pair by the owner thread through the `biased`
 *                                strategy (compare refcount.atomic.ns from bench/objects.bench.ts
 *                                in the same run: `npm run bench -- objects scaling`; goal <= 0.4x)
 *   refcount.biased_owner.ratio  biased owner pair over an atomic pair, both measured here
 *   refcount.biased_shared.ns    the same pair by a thread that does not own the object (the
 *                                shared count: Atomics.add / a compareExchange loop)
 *
 * The scenario runs through the same runner and engine as `gilsim run` (src/scenario), with
 * more rounds than its default (so a run lasts long enough to time), no heap sampling and no
 * timeline (the runner's sampling would take CPU from the threads being measured). Each profile
 * gets fresh workers (shutdownEngines between profiles: JIT state of one profile's classes does
 * not slow the other), 1- and 2-thread runs alternate, and each figure is the best of REPS runs
 * (throughput on a shared machine: the best run is the one least disturbed).
 */
import { Bench } from 'tinybench';
import type { RefcountStrategy } from '../src/objects/refcount/index.ts';
import { resolveConfig, type PythonProfile } from '../src/runtime/config.ts';
import { Runtime } from '../src/runtime/runtime.ts';
import { createRuntimeEngine, shutdownEngines } from '../src/scenario/engine-runtime.ts';
import { loadBuiltin } from '../src/scenario/registry.ts';
import { runScenario } from '../src/scenario/runner.ts';

const ROUNDS = 200_000;
const SLOTS = 1000;
const REPS = 6;
const BATCH = 10_000;
const HEAP_BYTES = 512 * 2 ** 20;

/** allocsPerSec of one alloc-storm run. */
async function stormRate(python: PythonProfile, threads: number, seed: number): Promise<number> {
  const loaded = await loadBuiltin('alloc-storm');
  const res = await runScenario({
    loaded,
    params: { threads, slots: SLOTS, rounds: ROUNDS },
    config: resolveConfig({ python }),
    heapMaxBytes: HEAP_BYTES,
    seed,
    engine: createRuntimeEngine,
    heapSampleMs: 0,
    traceEvents: 0,
  });
  if (res.error) throw new Error(`alloc-storm under ${python} with ${threads} threads failed: ${res.error.message}`);
  return (res.results as { allocsPerSec: number }).allocsPerSec;
}

/** Best 1-thread and 2-thread throughput of a profile, runs alternating. */
async function scaling(python: PythonProfile): Promise<{ t1: number; t2: number }> {
  let t1 = 0;
  let t2 = 0;
  try {
    await stormRate(python, 2, 99); // warm the workers (module load, JIT)
    for (let r = 0; r < REPS; r++) {
      t1 = Math.max(t1, await stormRate(python, 1, r + 1));
      t2 = Math.max(t2, await stormRate(python, 2, r + 1));
    }
  } finally {
    await shutdownEngines();
  }
  return { t1, t2 };
}

/* One loop per measured thing, so each call site stays monomorphic. */
function pairsBiasedOwner(rc: RefcountStrategy, o: number, n: number): number {
  let zero = 0;
  for (let i = 0; i < n; i++) {
    rc.incref(o);
    if (rc.decref(o)) zero++;
  }
  return zero;
}

function pairsBiasedShared(rc: RefcountStrategy, o: number, n: number): number {
  let zero = 0;
  for (let i = 0; i < n; i++) {
    rc.incref(o);
    if (rc.decref(o)) zero++;
  }
  return zero;
}

function pairsAtomic(rc: RefcountStrategy, o: number, n: number): number {
  let zero = 0;
  for (let i = 0; i < n; i++) {
    rc.incref(o);
    if (rc.decref(o)) zero++;
  }
  return zero;
}

async function refcountPairs(): Promise<Record<string, number>> {
  const owner = Runtime.create({ python: '3.13t', maxThreads: 4, traceEvents: 0, maxHeapBytes: 64 << 20 });
  const py = owner.mainThread();
  const o = py.object();
  const other = Runtime.attach(owner.sab); // a second Python thread: not o's owner
  other.mainThread();
  const atomic = Runtime.create({ python: '3.11', refcount: 'atomic', maxThreads: 1, traceEvents: 0, maxHeapBytes: 64 << 20 });
  const ao = atomic.mainThread().object();
  if (owner.space.rc.kind !== 'biased' || owner.space.i32[(o >> 2) + 1] !== owner.space.ident) {
    throw new Error('the biased benchmark object is not owned by the measuring thread');
  }
  let sink = 0;
  const bench = new Bench({ time: 1500, warmup: true });
  bench
    .add('biased owner', () => {
      sink += pairsBiasedOwner(owner.space.rc, o, BATCH);
    })
    .add('biased shared', () => {
      sink += pairsBiasedShared(other.space.rc, o, BATCH);
    })
    .add('atomic', () => {
      sink += pairsAtomic(atomic.space.rc, ao, BATCH);
    });
  await bench.run();
  const ns = (name: string): number => {
    const r = bench.getTask(name)?.result;
    if (!r || r.state !== 'completed') throw new Error(`benchmark '${name}' did not complete`);
    return (r.latency.p50 * 1e6) / BATCH;
  };
  if (sink !== 0 || py.sys.getrefcount(o) !== 2) throw new Error('the refcount benchmark changed the count');
  const biasedOwner = ns('biased owner');
  return {
    'refcount.biased_owner.ns': round(biasedOwner),
    'refcount.biased_shared.ns': round(ns('biased shared')),
    'refcount.biased_owner.ratio': round(biasedOwner / ns('atomic')),
  };
}

const round = (x: number): number => Math.round(x * 1000) / 1000;

export default async function (): Promise<Record<string, number>> {
  const refcounts = await refcountPairs();
  const gil = await scaling('3.11');
  const ft = await scaling('3.13t');
  return {
    ...refcounts,
    'scaling.alloc.3_11.x2': round(gil.t2 / gil.t1),
    'scaling.alloc.3_13t.x2': round(ft.t2 / ft.t1),
    'scaling.alloc.3_11.t1_per_s': Math.round(gil.t1),
    'scaling.alloc.3_13t.t1_per_s': Math.round(ft.t1),
  };
}

/*
 * Object benchmarks: creating and destroying an object through `py`, and reference counting.
 *
 *   objects.create_destroy.ns          py.instance(N) + py.decref(o), `class N: __slots__ = ('next',)`:
 *                                      tick + handle checks, pymalloc, header and GC header,
 *                                      tracking, the class's refcount, then the dealloc path
 *   objects.cpython_create_destroy.ns  python3 -m timeit -s "class N: __slots__ = ('next',)" "N()"
 *                                      (best of 5; omitted when python3 is not installed)
 *   objects.create_destroy.ratio       ours over CPython's (goal: <= 0.5)
 *   refcount.plain.ns                  an incref + decref pair through the `plain` strategy
 *   refcount.atomic.ns                 the same through the `atomic` strategy (Atomics.add/sub)
 *   refcount.floor.ns                  a bare Atomics.add + Atomics.sub pair on a fixed-length
 *                                      Int32Array over a growable SharedArrayBuffer (the views the
 *                                      object space uses): the least an atomic count can cost
 *   refcount.atomic.ratio              atomic over floor (goal: <= 1.3)
 *
 * Each task iteration runs BATCH operations so the timer's own cost is negligible; figures are
 * the median per operation. Bench files may use Node (child_process for python3).
 */
import { execFileSync } from 'node:child_process';
import { Bench } from 'tinybench';
import type { RefcountStrategy } from '../src/objects/refcount/index.ts';
import type { PyImpl } from '../src/runtime/py.ts';
import { Runtime } from '../src/runtime/runtime.ts';

const BATCH = 10_000;

/* One loop per measured thing, so each call site stays monomorphic. */
function createDestroy(py: PyImpl, cls: number, n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const o = py.instance(cls);
    sum += o;
    py.decref(o);
  }
  return sum;
}

function increfDecrefPlain(rc: RefcountStrategy, o: number, n: number): number {
  let zero = 0;
  for (let i = 0; i < n; i++) {
    rc.incref(o);
    if (rc.decref(o)) zero++;
  }
  return zero;
}

function increfDecrefAtomic(rc: RefcountStrategy, o: number, n: number): number {
  let zero = 0;
  for (let i = 0; i < n; i++) {
    rc.incref(o);
    if (rc.decref(o)) zero++;
  }
  return zero;
}

function floorPairs(i32: Int32Array, at: number, n: number): number {
  let zero = 0;
  for (let i = 0; i < n; i++) {
    Atomics.add(i32, at, 1);
    if (Atomics.sub(i32, at, 1) === 1) zero++;
  }
  return zero;
}

/** CPython's figure from `python3 -m timeit`, in ns per loop; undefined without python3. */
function cpythonCreateDestroy(): number | undefined {
  let out: string;
  try {
    out = execFileSync('python3', ['-m', 'timeit', '-s', "class N: __slots__ = ('next',)", 'N()'], {
      encoding: 'utf8',
      timeout: 120_000,
    });
  } catch {
    return undefined;
  }
  const m = /best of \d+: ([\d.]+) (nsec|usec|msec|sec) per loop/.exec(out);
  if (!m) throw new Error(`cannot read python3 timeit output: ${out}`);
  const scale: Record<string, number> = { nsec: 1, usec: 1e3, msec: 1e6, sec: 1e9 };
  return Number(m[1]) * scale[m[2]!]!;
}

export default async function (): Promise<Record<string, number>> {
  const rt = Runtime.create({ maxThreads: 1, traceEvents: 0, maxHeapBytes: 64 << 20, refcount: 'plain' });
  const py = rt.mainThread();
  const N = py.newClass('N', { slots: ['next'] });
  const plainObj = py.object();
  const rtAtomic = Runtime.create({ maxThreads: 1, traceEvents: 0, maxHeapBytes: 64 << 20, refcount: 'atomic' });
  const atomicObj = rtAtomic.mainThread().object();
  const floor = new Int32Array(new SharedArrayBuffer(64, { maxByteLength: 128 }), 0, 16);
  floor[4] = 1;
  let sink = 0;

  const bench = new Bench({ time: 1500, warmup: true });
  bench
    .add('create_destroy', () => {
      sink += createDestroy(py, N, BATCH);
    })
    .add('refcount plain', () => {
      sink += increfDecrefPlain(rt.space.rc, plainObj, BATCH);
    })
    .add('refcount atomic', () => {
      sink += increfDecrefAtomic(rtAtomic.space.rc, atomicObj, BATCH);
    })
    .add('refcount floor', () => {
      sink += floorPairs(floor, 4, BATCH);
    });
  await bench.run();

  const nsPerOp = (name: string): number => {
    const r = bench.getTask(name)?.result;
    if (!r || r.state !== 'completed') throw new Error(`benchmark '${name}' did not complete`);
    return (r.latency.p50 * 1e6) / BATCH;
  };
  for (const r of [rt, rtAtomic]) {
    const errors = r.verifyHeap();
    if (errors.length !== 0) throw new Error(`heap unsound after the benchmark: ${errors.join('; ')}`);
  }
  if (sink === 0 || py.sys.getrefcount(N) !== 2) throw new Error('the benchmark leaked or did no work');

  const figures: Record<string, number> = {
    'objects.create_destroy.ns': round(nsPerOp('create_destroy')),
    'refcount.plain.ns': round(nsPerOp('refcount plain')),
    'refcount.atomic.ns': round(nsPerOp('refcount atomic')),
    'refcount.floor.ns': round(nsPerOp('refcount floor')),
  };
  figures['refcount.atomic.ratio'] = round(figures['refcount.atomic.ns']! / figures['refcount.floor.ns']!);
  const cpython = cpythonCreateDestroy();
  if (cpython !== undefined) {
    figures['objects.cpython_create_destroy.ns'] = round(cpython);
    figures['objects.create_destroy.ratio'] = round(figures['objects.create_destroy.ns']! / cpython);
  }
  return figures;
}

const round = (x: number): number => Math.round(x * 1000) / 1000;

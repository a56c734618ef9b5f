/*
 * producer-consumer: xmalloc-test's pattern. Producers allocate batches of objects and hand them
 * through a queue.Queue; consumers drop them, so every object is freed by a thread other than
 * the one that made it (cross-thread frees).
 */

import { defineScenario, param, range } from '../src/scenario/define.ts';
import type { Py, PyObject } from '../src/runtime/types.ts';
import { rng } from '../src/scenario/random.ts';
import { perSecond, round, sum } from '../src/scenario/stats.ts';
import { mixedObject } from '../src/scenario/workload.ts';

interface Shared {
  q: PyObject;
}

function makeQueue(py: Py, params: { maxsize: number }): Shared {
  return { q: py.queue.Queue(params.maxsize) };
}

function dropQueue(py: Py, s: Shared): void {
  py.decref(s.q);
}

/** Put `batches` lists of `batch` new objects on the queue; returns the objects made. */
function produce(py: Py, q: PyObject, batches: number, batch: number, seed: number, stream: number): number {
  const r = rng(seed, stream);
  for (let b = 0; b < batches; b++) {
    const lst = py.list();
    for (let i = 0; i < batch; i++) {
      const o = mixedObject(py, r);
      py.append(lst, o);
      py.decref(o);
    }
    py.queue.put(q, lst);
    py.decref(lst);
    py.tick();
  }
  return batches * batch;
}

/** Take `batches` lists off the queue and drop them (freeing what another thread made). */
function consume(py: Py, q: PyObject, batches: number): number {
  let n = 0;
  for (let b = 0; b < batches; b++) {
    const lst = py.queue.get(q);
    n += py.len(lst);
    py.decref(lst);
    py.tick();
  }
  return n;
}

export default defineScenario({
  name: 'producer-consumer',
  description: 'producers allocate batches, consumers free them through a queue.Queue (xmalloc)',
  about:
    'P producers each put `batches` lists of `batch` new objects on one queue.Queue (bounded by ' +
    'maxsize); P consumers take them off and drop them, so every object is freed by another ' +
    'thread than the one that allocated it. objectsPerSec is objects made and freed per second; ' +
    'peakArenas the arenas highwater mark (a slow consumer lets batches pile up).',
  params: {
    threads: param.int({ default: 1, min: 1, max: 32, description: 'producer/consumer pairs' }),
    batches: param.int({ default: 100, min: 1, description: 'batches each producer makes' }),
    batch: param.int({ default: 100, min: 1, description: 'objects per batch' }),
    maxsize: param.int({ default: 16, min: 0, description: 'queue bound (0 = unbounded)' }),
  },
  programs: { makeQueue, dropQueue, produce, consume },
  setup: 'makeQueue',
  teardown: 'dropQueue',
  threads: ({ params: p, shared, seed }) => {
    const { q } = shared as Shared;
    return [
      ...range(p.threads).map((i) => ({ name: `producer-${i}`, program: 'produce' as const, args: [q, p.batches, p.batch, seed, i] })),
      ...range(p.threads).map((i) => ({ name: `consumer-${i}`, program: 'consume' as const, args: [q, p.batches] })),
    ];
  },
  results: (r) => {
    const ph = r.phase('main');
    const made = sum(ph.values('produce') as number[]);
    const freed = sum(ph.values('consume') as number[]);
    return {
      objects: made,
      objectsFreed: freed,
      objectsPerSec: round(perSecond(made, ph.wallMs), 0),
      peakArenas: ph.heap.arenasHighwater,
    };
  },
});

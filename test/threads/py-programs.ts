/*
 * Thread programs for the full runtime (objects + threads): each gets the real `py`.
 */

import type { Py, PyObject } from '../../src/runtime/types.ts';

/** Put `n` new ints (0..n-1), then None as the end mark. Each put takes its own reference. */
export function produceInts(py: Py, q: PyObject, n: number, shared: PyObject): void {
  for (let i = 0; i < n; i++) {
    const o = py.int(i * 1000);
    py.queue.put(q, o);
    py.decref(o);
    py.queue.put(q, shared);
  }
  py.queue.put(q, py.None);
}

/** Take until None; sum the ints; drop every reference taken. */
export function consumeInts(py: Py, q: PyObject, shared: PyObject): number {
  let sum = 0;
  for (;;) {
    const o = py.queue.get(q);
    if (py.is(o, py.None)) {
      py.decref(o);
      return sum;
    }
    if (!py.is(o, shared)) sum += py.toJS(o) as number;
    py.decref(o);
  }
}

/** Build and drop containers: allocation traffic from several threads at once. With events,
 *  first meet the other thread (set `mine`, wait for `theirs`) so the two really overlap. */
export function churn(py: Py, rounds: number, mine?: PyObject, theirs?: PyObject): number {
  if (mine !== undefined && theirs !== undefined) {
    py.threading.set(mine);
    py.threading.wait(theirs);
  }
  let kept = 0;
  for (let r = 0; r < rounds; r++) {
    const l = py.list();
    for (let i = 0; i < 20; i++) {
      const v = py.int(100_000 + i * r);
      py.append(l, v);
      py.decref(v);
    }
    kept += py.len(l);
    py.decref(l);
  }
  return kept;
}

/*
 * Thread programs for the collector's thread tests (each gets the real `py` of its worker).
 */

import type { Py, PyObject } from '../../src/runtime/types.ts';

/** A small deterministic generator (xorshift32), so each thread's run is reproducible. */
function rng(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

export interface CycleStats {
  cyclesMade: number;
  collectionsAsked: number;
  collected: number;
  checks: number;
}

/**
 * For `ms` milliseconds: build garbage cycles of several shapes and drop them, while keeping a
 * rotating set of LIVE structures (each a list [tag, self-list, instance pointing back]) whose
 * contents are checked again and again: a collector that freed anything live would make a check
 * fail (a changed value, or PyReferenceError on a freed handle). Every so often ask for a
 * collection of a random generation. `cls` is a class shared by all threads (its count is
 * changed from every thread). Ends with nothing of its own left alive.
 */
export function cycles(py: Py, ms: number, seed: number, cls: PyObject): CycleStats {
  const rand = rng(seed);
  const end = py.time.perf_counter_ms() + ms;
  const live: PyObject[] = [];
  const tags: number[] = [];
  const stats: CycleStats = { cyclesMade: 0, collectionsAsked: 0, collected: 0, checks: 0 };
  const check = (i: number): void => {
    const s = live[i]!;
    const tag = py.getitem(s, 0);
    if (py.toJS(tag) !== tags[i]) throw new Error(`live structure ${i} lost its tag: ${String(py.toJS(tag))} != ${tags[i]}`);
    py.decref(tag);
    const self = py.getitem(s, 1);
    if (!py.is(py.getitem(self, 0), self)) throw new Error(`live structure ${i}: its self-list no longer holds itself`);
    py.decref(self); // getitem(self, 0) returned self again: two references
    py.decref(self);
    const inst = py.getitem(s, 2);
    const back = py.getattr(inst, 'owner');
    if (!py.is(back, s)) throw new Error(`live structure ${i}: the instance lost its owner`);
    py.decref(back);
    py.decref(inst);
    stats.checks++;
  };
  const makeLive = (tag: number): PyObject => {
    const s = py.list();
    const t = py.int(tag);
    py.append(s, t);
    py.decref(t);
    const self = py.list();
    py.append(self, self);
    py.append(s, self);
    py.decref(self);
    const inst = py.instance(cls);
    py.setattr(inst, 'owner', s); // a cycle through live data: s -> inst -> s
    py.append(s, inst);
    py.decref(inst);
    return s;
  };
  let nextTag = seed * 1_000_000;
  while (py.time.perf_counter_ms() < end) {
    // garbage: three shapes of cycle, dropped at once
    const l = py.list();
    py.append(l, l);
    const a = py.instance(cls);
    const b = py.instance(cls);
    py.setattr(a, 'peer', b);
    py.setattr(b, 'peer', a);
    py.setattr(a, 'junk', l);
    const x = py.list();
    const tup = py.tuple([x, a]);
    py.append(x, tup);
    py.decref(l);
    py.decref(a);
    py.decref(b);
    py.decref(x);
    py.decref(tup);
    stats.cyclesMade += 3;
    // live data: replace one structure now and then, check one every round
    if (live.length < 64 || rand() < 0.05) {
      const i = live.length < 64 ? live.length : Math.floor(rand() * live.length);
      if (i < live.length) py.decref(live[i]!);
      live[i] = makeLive(nextTag);
      tags[i] = nextTag++;
    }
    check(Math.floor(rand() * live.length));
    if (rand() < 0.002) {
      stats.collectionsAsked++;
      stats.collected += py.gc.collect(Math.floor(rand() * 3));
    }
  }
  for (let i = 0; i < live.length; i++) check(i);
  for (const s of live) py.decref(s);
  return stats;
}

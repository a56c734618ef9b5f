/*
 * Thread programs for the free-threaded tests: each runs on a worker with the real `py` of a
 * runtime without a GIL (PyImplFT, thread heaps, biased refcounts).
 */

import { IndexError, KeyError, QueueEmpty, QueueFull } from '../../src/errors.ts';
import type { Py, PyObject } from '../../src/runtime/types.ts';
import { rng } from '../../src/scenario/random.ts';
import { obLock, obUnlock } from '../../src/objects/critical.ts';

/** Set `mine`, wait for `theirs`: the threads then really run at once. */
function meet(py: Py, mine: PyObject, theirs: PyObject): void {
  py.threading.set(mine);
  py.threading.wait(theirs);
}

/** Append n new ints start, start+1, ... to one list shared with another thread. */
export function appendMany(py: Py, list: PyObject, n: number, start: number, mine: PyObject, theirs: PyObject): number {
  meet(py, mine, theirs);
  for (let i = 0; i < n; i++) {
    const o = py.int(start + i);
    py.append(list, o);
    py.decref(o);
  }
  return n;
}

/** Replace the items of `list` with new ints (each old one dies here, or where it is still read). */
export function replaceMany(py: Py, list: PyObject, n: number, base: number, mine: PyObject, theirs: PyObject): number {
  meet(py, mine, theirs);
  const len = py.len(list);
  for (let i = 0; i < n; i++) {
    const o = py.int(base + i);
    py.setitem(list, i % len, o);
    py.decref(o);
  }
  return n;
}

/** Read items of `list` while another thread replaces them: every read must be a live int >= base. */
export function readMany(py: Py, list: PyObject, n: number, base: number, mine: PyObject, theirs: PyObject): number {
  meet(py, mine, theirs);
  const len = py.len(list);
  let bad = 0;
  for (let i = 0; i < n; i++) {
    const v = py.getitem(list, (i * 7) % len);
    const x = py.toJS(v);
    if (typeof x !== 'number' || x < base) bad++;
    py.decref(v);
  }
  return bad;
}

/** Pop every item of `list` and drop it here (they die on this thread, made by another). */
export function dropAll(py: Py, list: PyObject): number {
  let n = 0;
  while (py.len(list) > 0) {
    py.decref(py.pop(list));
    n++;
  }
  return n;
}

/** What one stress thread did. */
export interface StressStats {
  ops: number;
  increments: number;
  created: number;
  crossDrops: number;
  collections: number;
  kinds: number[];
}

/** The shared world a stress thread works on (handles made by the main thread). */
export interface StressWorld {
  lists: PyObject[];
  dict: PyObject;
  set: PyObject;
  queue: PyObject;
  lock: PyObject;
  counter: PyObject;
  nodeClass: PyObject;
  slotClass: PyObject;
  shared: PyObject;
}

const MAX_LIST = 200;
const KEYS = 64;

/** A new object of a random kind (a new reference). */
function randomObject(py: Py, w: StressWorld, r: ReturnType<typeof rng>): PyObject {
  switch (r.below(7)) {
    case 0:
      return py.int(1000 + r.below(1 << 30));
    case 1:
      return py.str('x'.repeat(r.below(80)));
    case 2: {
      const a = py.int(r.below(1 << 20) + 1000);
      const t = py.tuple([a, py.None]);
      py.decref(a);
      return t;
    }
    case 3:
      return py.list();
    case 4: {
      const d = py.dict();
      py.setitem(d, r.below(8), py.None);
      return d;
    }
    case 5: {
      const o = py.instance(w.nodeClass);
      py.setattr(o, 'owner', py.None);
      return o;
    }
    default:
      return py.instance(w.slotClass);
  }
}

/**
 * `ms` milliseconds of random operations on shared containers: create and publish, pop and drop
 * (objects made by other threads die here), lock-free reads, dict and set updates, hand-offs
 * through a Queue, garbage cycles, weakrefs, attribute writes on a shared instance, collections,
 * and a counter incremented under a threading.Lock (read, add, write: only the lock keeps it exact).
 */
export function stress(py: Py, ms: number, seed: number, w: StressWorld): StressStats {
  const r = rng(seed, 7);
  const st: StressStats = { ops: 0, increments: 0, created: 0, crossDrops: 0, collections: 0, kinds: new Array(14).fill(0) };
  const end = py.time.perf_counter_ms() + ms;
  const lists = w.lists;
  while (py.time.perf_counter_ms() < end) {
    for (let k = 0; k < 64; k++) {
      const op = r.below(14);
      st.kinds[op]!++;
      st.ops++;
      const l = lists[r.below(lists.length)]!;
      switch (op) {
        case 0:
        case 1: {
          if (py.len(l) >= MAX_LIST) {
            py.decref(py.pop(l, 0));
            break;
          }
          const o = randomObject(py, w, r);
          py.append(l, o);
          py.decref(o);
          st.created++;
          break;
        }
        case 2:
          try {
            const o = py.pop(l, r.below(2) === 0 ? 0 : -1);
            if (r.below(2) === 0) {
              try {
                py.queue.put(w.queue, o, false);
              } catch (e) {
                if (!(e instanceof QueueFull)) throw e;
              }
            }
            py.decref(o);
            st.crossDrops++;
          } catch (e) {
            if (!(e instanceof IndexError)) throw e;
          }
          break;
        case 3: {
          const n = py.len(l);
          if (n === 0) break;
          try {
            const o = py.getitem(l, r.below(n));
            if (py.typeName(o) === '') throw new Error('a dead object came out of a list');
            py.decref(o);
          } catch (e) {
            if (!(e instanceof IndexError)) throw e;
          }
          break;
        }
        case 4: {
          const o = randomObject(py, w, r);
          py.setitem(w.dict, r.below(KEYS), o);
          py.decref(o);
          break;
        }
        case 5:
          try {
            py.decref(py.getitem(w.dict, r.below(KEYS)));
          } catch (e) {
            if (!(e instanceof KeyError)) throw e;
          }
          break;
        case 6:
          try {
            py.delitem(w.dict, r.below(KEYS));
          } catch (e) {
            if (!(e instanceof KeyError)) throw e;
          }
          break;
        case 7:
          try {
            py.decref(py.queue.get(w.queue, false));
            st.crossDrops++;
          } catch (e) {
            if (!(e instanceof QueueEmpty)) throw e;
          }
          break;
        case 8: {
          // a garbage cycle only the collector can free
          const a = py.list();
          const b = py.list([a]);
          py.append(a, b);
          py.decref(a);
          py.decref(b);
          break;
        }
        case 9: {
          py.threading.acquire(w.lock);
          try {
            const v = py.getattr(w.counter, 'n');
            const one = py.int(1);
            const nv = py.add(v, one);
            py.tick(); // a poll inside the critical region: without the lock, updates would be lost
            py.setattr(w.counter, 'n', nv);
            py.decref(v);
            py.decref(one);
            py.decref(nv);
          } finally {
            py.threading.release(w.lock);
          }
          st.increments++;
          break;
        }
        case 10: {
          const o = py.instance(w.nodeClass);
          const ref = py.weakref(o);
          py.append(l, o);
          py.decref(o);
          const back = py.deref(ref);
          if (back !== o && back !== py.None) throw new Error('a weakref returned a stranger');
          py.decref(back);
          py.decref(ref);
          break;
        }
        case 11: {
          const v = py.int(r.below(1 << 30) + 1000);
          py.setattr(w.shared, r.below(2) === 0 ? 'owner' : 'peer', v);
          py.decref(v);
          break;
        }
        case 12: {
          const v = py.int(r.below(256) + 1000);
          if (py.len(w.set) > KEYS) {
            const s2 = py.set();
            py.decref(s2);
          } else py.add_item(w.set, v);
          py.decref(v);
          break;
        }
        default:
          if (r.below(200) === 0) {
            py.gc.collect();
            st.collections++;
          } else {
            const t = py.tuple(lists.slice(0, 2));
            py.decref(py.eq(t, t));
            py.decref(t);
          }
      }
    }
  }
  return st;
}

/** Make a class whose `del` lives in THIS thread's table, and an instance; keep both in `keep`. */
export function defineWithDel(py: Py, keep: PyObject): number {
  const cls = py.newClass('Doomed', { del: () => {} });
  const o = py.instance(cls);
  py.append(keep, cls);
  py.append(keep, o);
  py.decref(o);
  py.decref(cls);
  return py.len(keep);
}

/** Make n instances of `cls` and drop them here: they die on this thread. Returns their handles. */
export function makeAndDrop(py: Py, cls: PyObject, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const o = py.instance(cls);
    out.push(o);
    py.decref(o);
  }
  return out;
}

/**
 * n non-atomic increments (load, add, store) of a spare word of list `o` (the high half of its
 * 8-byte `allocated` field) under o's object lock: only the lock keeps them from being lost.
 */
export function countUnderLock(py: Py, o: PyObject, n: number, mine: PyObject, theirs: PyObject): number {
  meet(py, mine, theirs);
  const s = (py as unknown as { space: { i32: Int32Array } }).space;
  for (let i = 0; i < n; i++) {
    obLock(s.i32, o);
    const w = (o >> 2) + 9;
    const v = s.i32[w]!;
    s.i32[w] = v + 1;
    obUnlock(s.i32, o);
  }
  return n;
}

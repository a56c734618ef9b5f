/*
 * Thread programs for the GIL and threading tests. Each runs on a worker with a ThreadPy (the
 * bare runtime: heap + threads, no objects). Addresses are byte offsets of scratch words the test
 * allocated in the heap.
 */

import { KeyError } from '../../src/errors.ts';
import type { ThreadPy } from '../../src/runtime/threading/bare.ts';
import { burn } from '../../src/runtime/threading/work.ts';

/** Wait (GIL released between looks) until `n` threads arrived at the word at `addr`. */
export function arrive(py: ThreadPy, addr: number, n: number): void {
  const i32 = py.mem.i32;
  Atomics.add(i32, addr >> 2, 1);
  while (Atomics.load(i32, addr >> 2) < n) py.time.sleep(1);
}

/**
 * `steps` read-increment-write steps on a plain (non-atomic) word. The window between the read
 * and the write has real work in it but no poll: only a GIL keeps another thread out of it. The
 * loop's back edge polls the eval breaker, so a switch lands between steps.
 */
export function count(py: ThreadPy, barrier: number, nthreads: number, addr: number, steps: number): number {
  arrive(py, barrier, nthreads);
  const i32 = py.mem.i32;
  const w = addr >> 2;
  let x = 1;
  for (let i = 0; i < steps; i++) {
    const v = i32[w]!;
    x = burn(x, 4);
    i32[w] = v + 1;
    py.tick();
  }
  return x & 1;
}

/** The same, with a poll between the read and the write (`x += 1` split across an eval breaker check). */
export function countSplit(py: ThreadPy, barrier: number, nthreads: number, addr: number, steps: number): void {
  arrive(py, barrier, nthreads);
  const i32 = py.mem.i32;
  const w = addr >> 2;
  for (let i = 0; i < steps; i++) {
    const v = i32[w]!;
    py.tick();
    i32[w] = v + 1;
    py.tick();
  }
}

/** The same under a threading.Lock: no update lost even without a GIL. */
export function countLocked(py: ThreadPy, barrier: number, nthreads: number, addr: number, steps: number, lock: number): void {
  arrive(py, barrier, nthreads);
  const i32 = py.mem.i32;
  const w = addr >> 2;
  let x = 1;
  for (let i = 0; i < steps; i++) {
    py.threading.acquire(lock);
    const v = i32[w]!;
    x = burn(x, 4);
    i32[w] = v + 1;
    py.threading.release(lock);
    py.tick();
  }
}

/**
 * Two threads, one lost update, deterministically: `role` 0 reads, lets role 1 read and write,
 * then writes its stale value + 1. Without a GIL nothing stops this interleaving. `flag` sequences
 * the two (0: start, 1: A has read, 2: B has written).
 */
export function lostUpdate(py: ThreadPy, addr: number, flag: number, role: number): void {
  const i32 = py.mem.i32;
  const w = addr >> 2;
  const f = flag >> 2;
  const deadline = performance.now() + 10_000;
  const until = (v: number): void => {
    while (Atomics.load(i32, f) !== v) {
      if (performance.now() > deadline) throw new Error('lostUpdate: the other thread never came');
      Atomics.wait(i32, f, Atomics.load(i32, f), 10);
    }
  };
  if (role === 0) {
    const v = i32[w]!;
    Atomics.store(i32, f, 1);
    Atomics.notify(i32, f);
    until(2);
    i32[w] = v + 1;
  } else {
    until(1);
    i32[w] = i32[w]! + 1;
    Atomics.store(i32, f, 2);
    Atomics.notify(i32, f);
  }
}

/** CPU-bound: n bytecodes of py.compute. */
export function cpu(py: ThreadPy, barrier: number, nthreads: number, n: number): void {
  if (nthreads > 0) arrive(py, barrier, nthreads);
  py.compute(n);
}

/** CPU-bound until the word at `stop` is set (polls at every back edge). */
export function cpuUntil(py: ThreadPy, stop: number): number {
  let k = 0;
  while (Atomics.load(py.mem.i32, stop >> 2) === 0) {
    py.compute(64);
    k++;
  }
  return k;
}

/** Run a little, then raise a KeyError. */
export function raiser(py: ThreadPy, n: number): void {
  py.compute(n);
  throw new KeyError('boom');
}

/** Take `first` then, once the other thread holds its lock, `second`: opposite orders deadlock. */
export function lockPair(py: ThreadPy, barrier: number, first: number, second: number): void {
  py.threading.acquire(first);
  arrive(py, barrier, 2);
  py.threading.acquire(second);
  py.threading.release(second);
  py.threading.release(first);
}

/** Block on an Event nobody will set. */
export function waitForever(py: ThreadPy, ev: number): boolean {
  return py.threading.wait(ev);
}

export function sleeper(py: ThreadPy, ms: number): string {
  py.time.sleep(ms);
  return py.threading.current_name();
}

/** Start a child thread from this worker and join it. */
export function parent(py: ThreadPy, module: string, ms: number): unknown {
  const child = py.threading.start(module, 'sleeper', [ms], { name: 'child' });
  const joined = py.threading.join(child, 10_000);
  return { joined, child: child.name };
}

/** Put `n` handles (the same `item`) on queue `q`, then a sentinel (the queue itself... no: `stop`). */
export function producer(py: ThreadPy, q: number, item: number, n: number, stop: number): void {
  for (let i = 0; i < n; i++) py.queue.put(q, item);
  py.queue.put(q, stop);
}

/** Take items until the sentinel; drop each reference taken; returns how many items it got. */
export function consumer(py: ThreadPy, q: number, stop: number): number {
  let got = 0;
  for (;;) {
    const o = py.queue.get(q);
    const isStop = o === stop;
    py.decref(o);
    if (isStop) return got;
    got++;
  }
}

/** Condition handshake: wait until the word at `addr` is nonzero (checked under the lock). */
export function condWaiter(py: ThreadPy, cond: number, lock: number, addr: number): boolean {
  py.threading.acquire(lock);
  let ok = true;
  while (Atomics.load(py.mem.i32, addr >> 2) === 0) ok = py.threading.wait(cond, 5_000) && ok;
  py.threading.release(lock);
  return ok;
}

export function condNotifier(py: ThreadPy, cond: number, lock: number, addr: number, ms: number): void {
  py.time.sleep(ms);
  py.threading.acquire(lock);
  Atomics.store(py.mem.i32, addr >> 2, 1);
  py.threading.notify_all(cond);
  py.threading.release(lock);
}

/** I/O that completes at once, `k` times: each call drops and re-takes the GIL. Returns ms. */
export function ioBound(py: ThreadPy, k: number): number {
  const t0 = performance.now();
  for (let i = 0; i < k; i++) py.io(0);
  return performance.now() - t0;
}

/** I/O calls that complete at once, for `ms` of wall time; returns how many it made. */
export function ioFor(py: ThreadPy, ms: number): number {
  const end = performance.now() + ms;
  let k = 0;
  while (performance.now() < end) {
    py.io(0);
    py.tick();
    k++;
  }
  return k;
}

/** `k` I/O calls of `ms` each. */
export function ioCalls(py: ThreadPy, k: number, ms: number): void {
  for (let i = 0; i < k; i++) {
    py.io(ms);
    py.tick();
  }
}

/** Sleep 2 ms at a time until the word at `stop` is set. */
export function sleepUntil(py: ThreadPy, stop: number): void {
  while (Atomics.load(py.mem.i32, stop >> 2) === 0) py.time.sleep(2);
}

/*
 * queue.Queue: a FIFO of object references between threads.
 *
 * CPython's queue.Queue is a deque guarded by a mutex with two conditions, not_empty and
 * not_full. Here the deque is a ring of handles in a heap block that doubles when full, and the
 * conditions are sequence words (src/gil/cond.ts style) beside the mutex in the object's state:
 *
 *   word 0  mutex       futex mutex, held only for a few instructions, never across a wait
 *   word 1  not_empty   sequence word: bumped by put, getters sleep on it
 *   word 2  not_full    sequence word: bumped by get, putters sleep on it
 *   word 3  maxsize     0 or less: unbounded
 *   word 4  count       items in the ring
 *   word 5  head        index of the oldest item
 *   word 6  capacity    slots in the ring
 *   word 7  ring        byte offset of the ring block (0 until the first put)
 *
 * References: put increfs the item (the queue owns one reference per item, the caller keeps its
 * own); get hands the queue's reference to the caller (a new reference, as the C API says);
 * a queue that dies decrefs what it still holds. A blocked get or put releases the GIL.
 */

import { QueueEmpty, QueueFull } from '../../errors.ts';
import { Mutex } from '../../gil/mutex.ts';
import { waitWhile } from '../../gil/wait.ts';
import type { ThreadState } from '../threadstate.ts';
import type { PyObject } from '../types.ts';
import { deadlineOf } from './lock.ts';
import type { NativeObjects, NativeType } from './natives.ts';

const Q_MUTEX = 0;
const Q_NOT_EMPTY = 1;
const Q_NOT_FULL = 2;
const Q_MAXSIZE = 3;
const Q_COUNT = 4;
const Q_HEAD = 5;
const Q_CAP = 6;
const Q_RING = 7;
const Q_STATE_BYTES = 32;
/** The first ring holds this many handles. */
const Q_INITIAL_CAPACITY = 8;

export const QUEUE_TYPE: NativeType = {
  name: 'Queue',
  stateBytes: Q_STATE_BYTES,
  traverse(_n: NativeObjects, i32: Int32Array, state: number, visit: (o: PyObject) => void) {
    forEachItem(i32, state, visit);
  },
  clear(n: NativeObjects, i32: Int32Array, state: number) {
    const items: PyObject[] = [];
    forEachItem(i32, state, (o) => items.push(o));
    const w = state >> 2;
    i32[w + Q_COUNT] = 0;
    i32[w + Q_HEAD] = 0;
    for (const o of items) n.decref(o);
  },
  dealloc(n: NativeObjects, i32: Int32Array, state: number) {
    QUEUE_TYPE.clear!(n, i32, state);
    const w = state >> 2;
    const ring = i32[w + Q_RING]!;
    i32[w + Q_RING] = 0;
    i32[w + Q_CAP] = 0;
    if (ring !== 0) n.free(ring);
  },
};

function forEachItem(i32: Int32Array, state: number, visit: (o: PyObject) => void): void {
  const w = state >> 2;
  const count = i32[w + Q_COUNT]!;
  const head = i32[w + Q_HEAD]!;
  const cap = i32[w + Q_CAP]!;
  const ring = i32[w + Q_RING]! >> 2;
  for (let k = 0; k < count; k++) visit(i32[ring + ((head + k) % cap)]!);
}

export function queueInit(i32: Int32Array, state: number, maxsize: number): void {
  i32[(state >> 2) + Q_MAXSIZE] = maxsize > 0 ? Math.floor(maxsize) : 0;
}

/** Queue.put(item, block, timeout) */
export function queuePut(ts: ThreadState, natives: NativeObjects, q: PyObject, state: number, item: PyObject, block = true, timeoutMs?: number): void {
  const i32 = ts.sys.mem.i32;
  const w = state >> 2;
  const m = new Mutex(i32, w + Q_MUTEX);
  const clock = ts.sys.clock;
  const since = clock();
  const deadline = deadlineOf(since, timeoutMs);
  for (;;) {
    m.lock();
    const max = i32[w + Q_MAXSIZE]!;
    if (max <= 0 || i32[w + Q_COUNT]! < max) {
      try {
        push(natives, i32, w, item);
      } finally {
        m.unlock();
      }
      signal(i32, w + Q_NOT_EMPTY);
      return;
    }
    const seq = Atomics.load(i32, w + Q_NOT_FULL);
    m.unlock();
    if (!block || clock() >= deadline) throw new QueueFull();
    sleepOn(ts, q, i32, w + Q_NOT_FULL, seq, since, deadline);
  }
}

/** Queue.get(block, timeout): a new reference. */
export function queueGet(ts: ThreadState, q: PyObject, state: number, block = true, timeoutMs?: number): PyObject {
  const i32 = ts.sys.mem.i32;
  const w = state >> 2;
  const m = new Mutex(i32, w + Q_MUTEX);
  const clock = ts.sys.clock;
  const since = clock();
  const deadline = deadlineOf(since, timeoutMs);
  for (;;) {
    m.lock();
    if (i32[w + Q_COUNT]! > 0) {
      const item = shift(i32, w);
      m.unlock();
      signal(i32, w + Q_NOT_FULL);
      return item;
    }
    const seq = Atomics.load(i32, w + Q_NOT_EMPTY);
    m.unlock();
    if (!block || clock() >= deadline) throw new QueueEmpty();
    sleepOn(ts, q, i32, w + Q_NOT_EMPTY, seq, since, deadline);
  }
}

export function queueSize(ts: ThreadState, state: number): number {
  return Atomics.load(ts.sys.mem.i32, (state >> 2) + Q_COUNT);
}

export function queueFull(ts: ThreadState, state: number): boolean {
  const i32 = ts.sys.mem.i32;
  const max = i32[(state >> 2) + Q_MAXSIZE]!;
  return max > 0 && queueSize(ts, state) >= max;
}

function signal(i32: Int32Array, idx: number): void {
  Atomics.add(i32, idx, 1);
  Atomics.notify(i32, idx, 1);
}

/** Sleep outside the GIL until the sequence word moves or the deadline passes. */
function sleepOn(ts: ThreadState, q: PyObject, i32: Int32Array, idx: number, seq: number, since: number, deadline: number): void {
  const clock = ts.sys.clock;
  ts.blocking('queue', q, 0, deadline, () => {
    if (waitWhile(i32, idx, seq, deadline - clock(), ts, since, clock) === 'stopped') ts.raise();
  });
}

function push(natives: NativeObjects, i32: Int32Array, w: number, item: PyObject): void {
  const count = i32[w + Q_COUNT]!;
  if (count === i32[w + Q_CAP]!) grow(natives, i32, w);
  natives.incref(item);
  const cap = i32[w + Q_CAP]!;
  i32[(i32[w + Q_RING]! >> 2) + ((i32[w + Q_HEAD]! + count) % cap)] = item;
  Atomics.store(i32, w + Q_COUNT, count + 1);
}

function shift(i32: Int32Array, w: number): PyObject {
  const head = i32[w + Q_HEAD]!;
  const item = i32[(i32[w + Q_RING]! >> 2) + head]!;
  i32[w + Q_HEAD] = (head + 1) % i32[w + Q_CAP]!;
  Atomics.store(i32, w + Q_COUNT, i32[w + Q_COUNT]! - 1);
  return item;
}

/** Double the ring (or make the first), unrolling it so the oldest item is at index 0. */
function grow(natives: NativeObjects, i32: Int32Array, w: number): void {
  const cap = i32[w + Q_CAP]!;
  const next = cap === 0 ? Q_INITIAL_CAPACITY : cap * 2;
  const ring = natives.malloc(next * 4);
  const old = i32[w + Q_RING]!;
  const head = i32[w + Q_HEAD]!;
  const count = i32[w + Q_COUNT]!;
  for (let k = 0; k < count; k++) i32[(ring >> 2) + k] = i32[(old >> 2) + ((head + k) % cap)]!;
  i32[w + Q_RING] = ring;
  i32[w + Q_CAP] = next;
  i32[w + Q_HEAD] = 0;
  if (old !== 0) natives.free(old);
}

/*
 * threading.Event: a flag word threads can sleep on.
 *
 * set() stores 1 and wakes every sleeper; wait() returns at once if the flag is set, otherwise
 * releases the GIL and sleeps on the word (bounded slices) until it is set or the timeout passes.
 */

import { waitWhile } from '../../gil/wait.ts';
import type { ThreadState } from '../threadstate.ts';
import type { PyObject } from '../types.ts';
import { deadlineOf } from './lock.ts';
import type { NativeType } from './natives.ts';

const EV_FLAG = 0;
export const EVENT_TYPE: NativeType = { name: 'Event', stateBytes: 8 };

export function eventSet(ts: ThreadState, state: number): void {
  const i32 = ts.sys.mem.i32;
  Atomics.store(i32, (state >> 2) + EV_FLAG, 1);
  Atomics.notify(i32, (state >> 2) + EV_FLAG);
}

export function eventClear(ts: ThreadState, state: number): void {
  Atomics.store(ts.sys.mem.i32, (state >> 2) + EV_FLAG, 0);
}

export function eventIsSet(ts: ThreadState, state: number): boolean {
  return Atomics.load(ts.sys.mem.i32, (state >> 2) + EV_FLAG) !== 0;
}

/** Event.wait(timeout): true if the flag is set on return. */
export function eventWait(ts: ThreadState, handle: PyObject, state: number, timeoutMs?: number): boolean {
  if (eventIsSet(ts, state)) return true;
  if (timeoutMs === 0) return false;
  const i32 = ts.sys.mem.i32;
  const idx = (state >> 2) + EV_FLAG;
  const clock = ts.sys.clock;
  const since = clock();
  const deadline = deadlineOf(since, timeoutMs);
  return ts.blocking('event', handle, 0, deadline, () => {
    while (Atomics.load(i32, idx) === 0) {
      const r = waitWhile(i32, idx, 0, deadline - clock(), ts, since, clock);
      if (r === 'stopped') ts.raise();
      if (r === 'timeout') break;
    }
    return Atomics.load(i32, idx) !== 0;
  });
}

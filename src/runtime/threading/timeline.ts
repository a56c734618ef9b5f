/*
 * The timeline: each thread's ring of events, for the trace the report draws.
 *
 * Each thread owns `layout.traceEvents` slots of 16 bytes in the TRACE region: a double (the
 * shared clock's milliseconds, comparable between threads), the event kind and one argument. The
 * owner alone writes its ring, so no atomics are needed except to publish the head (the count of
 * events ever written): a reader takes the last min(head, capacity) events, oldest first, and
 * reports how many older ones the ring overwrote.
 *
 * Events pair up into slices the trace shows as non-overlapping spans of one thread:
 *   TAKE .. DROP                 running Python code (under 'none': attached)
 *   WAIT_BEGIN .. WAIT_END       waiting for the GIL (WAIT_END is at the same time as its TAKE)
 *   BLOCK_BEGIN .. BLOCK_END     blocked outside the GIL (arg: io, sleep, lock, join, native, ...)
 *   PARK_BEGIN .. PARK_END       parked for a stop-the-world
 *   GC_BEGIN .. GC_END           collecting (arg: generation)
 * and instants: THREAD_START, THREAD_END, DROP_REQUEST (arg: the holder asked to drop).
 */

import { TRACE_EVENT_BYTES } from '../../heap/layout.ts';

export const EV_THREAD_START = 1;
export const EV_THREAD_END = 2;
export const EV_TAKE = 3;
export const EV_DROP = 4;
export const EV_WAIT_BEGIN = 5;
export const EV_WAIT_END = 6;
export const EV_BLOCK_BEGIN = 7;
export const EV_BLOCK_END = 8;
export const EV_GC_BEGIN = 9;
export const EV_GC_END = 10;
export const EV_PARK_BEGIN = 11;
export const EV_PARK_END = 12;
export const EV_DROP_REQUEST = 13;

export const EVENT_NAMES: Readonly<Record<number, string>> = {
  [EV_THREAD_START]: 'thread_start',
  [EV_THREAD_END]: 'thread_end',
  [EV_TAKE]: 'take',
  [EV_DROP]: 'drop',
  [EV_WAIT_BEGIN]: 'wait_begin',
  [EV_WAIT_END]: 'wait_end',
  [EV_BLOCK_BEGIN]: 'blocked_begin',
  [EV_BLOCK_END]: 'blocked_end',
  [EV_GC_BEGIN]: 'gc_begin',
  [EV_GC_END]: 'gc_end',
  [EV_PARK_BEGIN]: 'park_begin',
  [EV_PARK_END]: 'park_end',
  [EV_DROP_REQUEST]: 'drop_request',
};

export type TimelineEventKind =
  | 'thread_start'
  | 'thread_end'
  | 'take'
  | 'drop'
  | 'wait_begin'
  | 'wait_end'
  | 'blocked_begin'
  | 'blocked_end'
  | 'gc_begin'
  | 'gc_end'
  | 'park_begin'
  | 'park_end'
  | 'drop_request';

/** Byte offset of slot `slot`'s ring. */
export function ringOffset(traceOff: number, traceEvents: number, slot: number): number {
  return traceOff + slot * traceEvents * TRACE_EVENT_BYTES;
}

/** Write event number `head` of a ring (the caller publishes head + 1 afterwards). */
export function writeEvent(
  f64: Float64Array,
  i32: Int32Array,
  ringOff: number,
  capacity: number,
  head: number,
  t: number,
  kind: number,
  arg: number,
): void {
  const off = ringOff + (head % capacity) * TRACE_EVENT_BYTES;
  f64[off >> 3] = t;
  i32[(off >> 2) + 2] = kind;
  i32[(off >> 2) + 3] = arg;
}

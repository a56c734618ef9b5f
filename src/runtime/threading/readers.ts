/*
 * Readers: the thread table, the GIL block and the timeline rings as plain objects, for the
 * report layer and for tests. They only read the buffer (any thread may call them, any time;
 * counters a running thread has not flushed yet lag by at most FLUSH_EVERY bytecodes).
 */

import type { Layout, Memory } from '../../heap/layout.ts';
import { readConfig, type GilPolicyName } from '../config.ts';
import {
  G_CHECK_INTERVAL,
  G_CONTENDED_MS,
  G_CONTENDED_SINCE,
  G_DROP_REQUESTS,
  G_HELD_MS,
  G_INTERVAL_US,
  G_STW_COUNT,
  G_SWITCH_NUMBER,
  G_WAITERS,
  GilBlock,
} from '../../gil/block.ts';
import {
  BLOCK_KINDS,
  M_ACQUISITIONS,
  M_BLOCKED_MS,
  M_BLOCKED_N,
  M_BYTECODES,
  M_CONTENDED_TAKES,
  M_DROP_REQUESTS_HONOURED,
  M_DROP_REQUESTS_MADE,
  M_ENDED_AT,
  M_FORCED_DROPS,
  M_GC_MS,
  M_GCS,
  M_HOLD_MS,
  M_PARKED_MS,
  M_PARKS,
  M_STARTED_AT,
  M_VOLUNTARY_RELEASES,
  M_WAIT_MAX_MS,
  M_WAIT_MS,
  STATUS_NAMES,
  T_HIST,
  T_PARENT,
  T_STATUS,
  T_TRACE_HEAD,
  metricIndex,
  readName,
  slotWord,
  type BlockKind,
  type ThreadStatus,
} from '../threadstate.ts';
import { US_PER_MS } from '../../gil/clock.ts';
import { HIST_BUCKETS, histPercentile } from './histogram.ts';
import { EVENT_NAMES, ringOffset, type TimelineEventKind } from './timeline.ts';
import { TRACE_EVENT_BYTES } from '../../heap/layout.ts';

export interface ThreadMetrics {
  slot: number;
  name: string;
  status: ThreadStatus;
  /** slot of the thread that started it, -1 for a root thread */
  parent: number;
  bytecodes: number;
  /** GIL acquisitions (under 'none': attaches) */
  acquisitions: number;
  /** acquisitions that had to wait */
  contendedAcquisitions: number;
  waitMs: number;
  holdMs: number;
  waitP50Us: number;
  waitP90Us: number;
  waitP99Us: number;
  waitMaxUs: number;
  /** the wait histogram's counts (see histogram.ts for the buckets) */
  waitHistogram: number[];
  /** drop requests this thread set on a holder while it waited */
  dropRequestsMade: number;
  /** drops this thread made because a drop request was set on it */
  dropRequestsHonoured: number;
  /** involuntary drops: honoured requests plus the old GIL's check-interval releases */
  forcedDrops: number;
  /** drops for a blocking call (I/O, sleep, lock waits, native code, join) */
  voluntaryReleases: number;
  parkedMs: number;
  parks: number;
  gcMs: number;
  gcs: number;
  /** time and count blocked, per kind */
  blocked: Record<BlockKind, { count: number; ms: number }>;
  startedAt: number;
  endedAt: number;
}

export interface GilMetrics {
  policy: GilPolicyName;
  /** handoffs of the GIL to a different thread */
  switchNumber: number;
  heldMs: number;
  /** time with at least one thread waiting for the GIL (up to now if some wait now) */
  contendedMs: number;
  waitersNow: number;
  dropRequests: number;
  switchIntervalMs: number;
  checkInterval: number;
  stopTheWorldPauses: number;
}

export interface TimelineEvent {
  /** ms since the epoch (performance.timeOrigin + performance.now()), comparable across threads */
  t: number;
  kind: TimelineEventKind;
  /** drop: reason; blocked_*: kind; gc_*: generation; drop_request: holder slot; thread_end: status */
  arg: number;
}

export interface Timeline {
  slot: number;
  name: string;
  events: TimelineEvent[];
  /** older events the ring overwrote */
  dropped: number;
}

export function readThreadMetrics(mem: Memory, layout: Layout, slot: number): ThreadMetrics {
  const { i32, f64 } = mem;
  const m = metricIndex(layout, slot, 0);
  const g = (k: number): number => f64[m + k]!;
  const hb = slotWord(layout, slot, T_HIST);
  const hist = Array.from(i32.subarray(hb, hb + HIST_BUCKETS));
  const maxUs = g(M_WAIT_MAX_MS) * US_PER_MS;
  const blocked = {} as Record<BlockKind, { count: number; ms: number }>;
  BLOCK_KINDS.forEach((k, i) => {
    if (k !== 'none') blocked[k] = { count: g(M_BLOCKED_N + i), ms: g(M_BLOCKED_MS + i) };
  });
  return {
    slot,
    name: readName(i32, mem.u8, layout, slot),
    status: STATUS_NAMES[Atomics.load(i32, slotWord(layout, slot, T_STATUS))] ?? 'free',
    parent: i32[slotWord(layout, slot, T_PARENT)]!,
    bytecodes: g(M_BYTECODES),
    acquisitions: g(M_ACQUISITIONS),
    contendedAcquisitions: g(M_CONTENDED_TAKES),
    waitMs: g(M_WAIT_MS),
    holdMs: g(M_HOLD_MS),
    waitP50Us: histPercentile(hist, 0.5, maxUs),
    waitP90Us: histPercentile(hist, 0.9, maxUs),
    waitP99Us: histPercentile(hist, 0.99, maxUs),
    waitMaxUs: maxUs,
    waitHistogram: hist,
    dropRequestsMade: g(M_DROP_REQUESTS_MADE),
    dropRequestsHonoured: g(M_DROP_REQUESTS_HONOURED),
    forcedDrops: g(M_FORCED_DROPS),
    voluntaryReleases: g(M_VOLUNTARY_RELEASES),
    parkedMs: g(M_PARKED_MS),
    parks: g(M_PARKS),
    gcMs: g(M_GC_MS),
    gcs: g(M_GCS),
    blocked,
    startedAt: g(M_STARTED_AT),
    endedAt: g(M_ENDED_AT),
  };
}

/** `policy` defaults to the one in the buffer's config line; `at` is "now" for open intervals. */
export function readGilMetrics(
  mem: Memory,
  layout: Layout,
  policy: GilPolicyName = readConfig(mem, layout.geometry.profile).gil,
  at: number = performance.timeOrigin + performance.now(),
): GilMetrics {
  const b = new GilBlock(mem, layout);
  const waiters = b.load(G_WAITERS);
  const open = waiters > 0 ? Math.max(0, at - b.getF64(G_CONTENDED_SINCE)) : 0;
  return {
    policy,
    switchNumber: b.load(G_SWITCH_NUMBER) >>> 0,
    heldMs: b.getF64(G_HELD_MS),
    contendedMs: b.getF64(G_CONTENDED_MS) + open,
    waitersNow: waiters,
    dropRequests: b.load(G_DROP_REQUESTS) >>> 0,
    switchIntervalMs: b.load(G_INTERVAL_US) / US_PER_MS,
    checkInterval: b.load(G_CHECK_INTERVAL),
    stopTheWorldPauses: b.load(G_STW_COUNT),
  };
}

export function readTimeline(mem: Memory, layout: Layout, slot: number): Timeline {
  const { i32, f64 } = mem;
  const cap = layout.traceEvents;
  const head = Atomics.load(i32, slotWord(layout, slot, T_TRACE_HEAD));
  const n = Math.min(head, cap);
  const ring = ringOffset(layout.traceOff, cap, slot);
  const events: TimelineEvent[] = [];
  for (let e = head - n; e < head; e++) {
    const off = ring + (e % cap) * TRACE_EVENT_BYTES;
    events.push({ t: f64[off >> 3]!, kind: EVENT_NAMES[i32[(off >> 2) + 2]!] as TimelineEventKind, arg: i32[(off >> 2) + 3]! });
  }
  return { slot, name: readName(i32, mem.u8, layout, slot), events, dropped: head - n };
}

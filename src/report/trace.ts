/*
 * The Chrome trace (`--trace <file>`): Trace Event Format JSON that Perfetto and chrome://tracing
 * open.
 *
 * One process (the run); one track per Python thread, named by `thread_name` metadata (`M`).
 * Each track is cut into non-overlapping complete slices (`X`): `running`, `waiting for GIL`,
 * `blocked` (args.reason: io, sleep, lock, ...) and `gc`. They come from the thread's timeline
 * events by a small state machine: at every instant a thread is in at most one state, chosen by
 * priority gc > blocked > waiting > running, so slices can never overlap whatever order the
 * events arrive in. Counters (`C`): heap bytes in use and arenas (from the heap samples), and
 * GIL waiters (from the timeline: how many threads wait at each instant). Phase starts are
 * global instant events (`i`). Timestamps are microseconds since the first phase began (the
 * warm-up and setup before it are left out).
 */

import type { RunResult, TimelineEvent, TimelineTrack } from '../scenario/result.ts';

export interface TraceEvent {
  name: string;
  ph: 'M' | 'X' | 'C' | 'i';
  pid: number;
  tid: number;
  /** microseconds */
  ts: number;
  dur?: number;
  cat?: string;
  s?: 'g' | 'p' | 't';
  args?: Record<string, unknown>;
}

export interface TraceDocument {
  traceEvents: TraceEvent[];
  displayTimeUnit: 'ms';
  otherData: Record<string, unknown>;
}

export const PID = 1;
/** tid 0 carries the process-wide events (counters, phase marks); threads start at 1 */
const GLOBAL_TID = 0;

export type SliceName = 'running' | 'waiting for GIL' | 'blocked' | 'gc';

export interface Slice {
  name: SliceName;
  start: number;
  end: number;
  reason?: string;
}

interface ThreadFlags {
  alive: boolean;
  holding: boolean;
  waiting: boolean;
  blocked: string | null;
  gcDepth: number;
}

function stateOf(f: ThreadFlags, gilless: boolean): { name: SliceName; reason?: string } | null {
  if (f.gcDepth > 0) return { name: 'gc' };
  if (f.blocked !== null) return { name: 'blocked', reason: f.blocked };
  if (f.waiting) return { name: 'waiting for GIL' };
  if (f.alive && (f.holding || gilless)) return { name: 'running' };
  return null;
}

function apply(f: ThreadFlags, e: TimelineEvent): void {
  switch (e.kind) {
    case 'start':
      f.alive = true;
      break;
    case 'exit':
      f.alive = f.holding = f.waiting = false;
      f.blocked = null;
      f.gcDepth = 0;
      break;
    case 'wait_begin':
      f.waiting = true;
      break;
    case 'wait_end':
      f.waiting = false;
      break;
    case 'take':
      f.holding = true;
      f.waiting = false;
      break;
    case 'drop':
      f.holding = false;
      break;
    case 'blocked_begin':
      f.blocked = e.reason ?? 'other';
      break;
    case 'blocked_end':
      f.blocked = null;
      break;
    case 'gc_begin':
      f.gcDepth++;
      break;
    case 'gc_end':
      f.gcDepth = Math.max(0, f.gcDepth - 1);
      break;
  }
}

/**
 * A thread's timeline as non-overlapping slices, plus the instants it began and stopped
 * waiting for the GIL (for the waiters counter). `gilless`: no GIL, so alive means running.
 */
export function slicesOf(events: readonly TimelineEvent[], gilless: boolean): { slices: Slice[]; waits: { t: number; d: 1 | -1 }[] } {
  const sorted = [...events].sort((a, b) => a.t - b.t);
  const f: ThreadFlags = { alive: true, holding: false, waiting: false, blocked: null, gcDepth: 0 };
  // A track with a 'start' event was not alive before it; one whose start was lost was.
  if (sorted.some((e) => e.kind === 'start')) f.alive = false;
  const slices: Slice[] = [];
  const waits: { t: number; d: 1 | -1 }[] = [];
  let cur = stateOf(f, gilless);
  let since = sorted[0]?.t ?? 0;
  for (const e of sorted) {
    const wasWaiting = f.waiting;
    apply(f, e);
    if (f.waiting !== wasWaiting) waits.push({ t: e.t, d: f.waiting ? 1 : -1 });
    const next = stateOf(f, gilless);
    if (next?.name === cur?.name && next?.reason === cur?.reason) continue;
    if (cur && e.t > since) slices.push({ name: cur.name, start: since, end: e.t, ...(cur.reason ? { reason: cur.reason } : {}) });
    cur = next;
    since = e.t;
  }
  const last = sorted.at(-1)?.t ?? since;
  if (cur && last > since) slices.push({ name: cur.name, start: since, end: last, ...(cur.reason ? { reason: cur.reason } : {}) });
  if (f.waiting) waits.push({ t: last, d: -1 });
  return { slices, waits };
}

/** ms to us, kept to the nanosecond */
const toUs = (msTime: number): number => Math.round(msTime * 1000 * 1000) / 1000;

export function buildTrace(r: RunResult): TraceDocument {
  const ev: TraceEvent[] = [];
  const gilless = r.config.gil === 'none';
  const origin = r.phases.length ? Math.min(...r.phases.map((p) => p.startMs)) : 0;
  const us = (msTime: number): number => toUs(msTime - origin);
  ev.push(meta('process_name', GLOBAL_TID, { name: `gilsim ${r.scenario} (python ${r.config.python}, gil ${r.config.gil})` }));
  ev.push(meta('thread_name', GLOBAL_TID, { name: 'runtime' }));
  ev.push(meta('thread_sort_index', GLOBAL_TID, { sort_index: 0 }));
  const waits: { t: number; d: 1 | -1 }[] = [];
  for (const track of r.timeline.tracks) {
    ev.push(...trackEvents(track, gilless, waits, us));
  }
  for (const p of r.phases) {
    ev.push({ name: `phase ${p.name}`, ph: 'i', s: 'g', pid: PID, tid: GLOBAL_TID, ts: us(p.startMs) });
  }
  for (const h of r.timeline.heap.filter((x) => x.t >= origin)) {
    ev.push({ name: 'heap bytes in use', ph: 'C', pid: PID, tid: GLOBAL_TID, ts: us(h.t), args: { bytes: h.bytesInUse } });
    ev.push({ name: 'arenas', ph: 'C', pid: PID, tid: GLOBAL_TID, ts: us(h.t), args: { arenas: h.arenas } });
  }
  waits.sort((a, b) => a.t - b.t || a.d - b.d);
  let waiting = 0;
  if (waits.length) ev.push({ name: 'GIL waiters', ph: 'C', pid: PID, tid: GLOBAL_TID, ts: Math.min(0, us(waits[0]!.t)), args: { waiters: 0 } });
  for (const w of waits) {
    waiting = Math.max(0, waiting + w.d);
    ev.push({ name: 'GIL waiters', ph: 'C', pid: PID, tid: GLOBAL_TID, ts: us(w.t), args: { waiters: waiting } });
  }
  return {
    traceEvents: ev,
    displayTimeUnit: 'ms',
    otherData: { scenario: r.scenario, python: r.config.python, gil: r.config.gil, params: r.params },
  };
}

function trackEvents(track: TimelineTrack, gilless: boolean, waits: { t: number; d: 1 | -1 }[], us: (ms: number) => number): TraceEvent[] {
  const ev: TraceEvent[] = [
    meta('thread_name', track.tid, { name: track.name }),
    meta('thread_sort_index', track.tid, { sort_index: track.tid }),
  ];
  const { slices, waits: w } = slicesOf(track.events, gilless);
  waits.push(...w);
  for (const s of slices) {
    const ts = us(s.start);
    ev.push({
      name: s.name,
      cat: s.name === 'gc' ? 'gc' : 'gil',
      ph: 'X',
      pid: PID,
      tid: track.tid,
      ts,
      dur: Math.max(0, us(s.end) - ts),
      ...(s.reason ? { args: { reason: s.reason } } : {}),
    });
  }
  return ev;
}

function meta(name: string, tid: number, args: Record<string, unknown>): TraceEvent {
  return { name, ph: 'M', pid: PID, tid, ts: 0, args };
}

export function toTraceText(r: RunResult): string {
  return JSON.stringify(buildTrace(r)) + '\n';
}

/**
 * Problems with a trace document (empty when valid): every event has name, ph, pid, tid and ts;
 * `X` slices have a duration and do not overlap on one thread; every thread that has slices is
 * named by `thread_name` metadata; counters carry numeric args.
 */
export function validateTrace(doc: unknown): string[] {
  const out: string[] = [];
  const d = doc as { traceEvents?: unknown };
  if (typeof doc !== 'object' || doc === null || !Array.isArray(d.traceEvents)) return ['traceEvents: expected an array'];
  const events = d.traceEvents as Record<string, unknown>[];
  const named = new Set<number>();
  const byTid = new Map<number, { ts: number; dur: number }[]>();
  events.forEach((e, i) => {
    for (const k of ['name', 'ph']) if (typeof e[k] !== 'string') out.push(`traceEvents[${i}].${k}: expected a string`);
    for (const k of ['pid', 'tid', 'ts']) if (typeof e[k] !== 'number' || !Number.isFinite(e[k])) out.push(`traceEvents[${i}].${k}: expected a number`);
    if (e.ph === 'M' && e.name === 'thread_name') {
      const a = e.args as { name?: unknown } | undefined;
      if (typeof a?.name !== 'string') out.push(`traceEvents[${i}]: thread_name without args.name`);
      else named.add(e.tid as number);
    }
    if (e.ph === 'X') {
      if (typeof e.dur !== 'number' || !((e.dur as number) >= 0)) out.push(`traceEvents[${i}].dur: expected a number >= 0`);
      const list = byTid.get(e.tid as number) ?? [];
      list.push({ ts: e.ts as number, dur: e.dur as number });
      byTid.set(e.tid as number, list);
    }
    if (e.ph === 'C') {
      const a = e.args as Record<string, unknown> | undefined;
      if (!a || !Object.values(a).every((v) => typeof v === 'number')) out.push(`traceEvents[${i}]: counter without numeric args`);
    }
  });
  for (const [tid, slices] of byTid) {
    if (!named.has(tid)) out.push(`tid ${tid}: slices but no thread_name metadata`);
    slices.sort((a, b) => a.ts - b.ts);
    for (let i = 1; i < slices.length; i++) {
      const prev = slices[i - 1]!;
      // a microsecond's rounding is not an overlap
      if (slices[i]!.ts < prev.ts + prev.dur - 0.001) {
        out.push(`tid ${tid}: slice at ${slices[i]!.ts} us overlaps the one at ${prev.ts} us (dur ${prev.dur})`);
        break;
      }
    }
  }
  return out;
}

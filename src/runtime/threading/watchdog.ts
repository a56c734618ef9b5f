/*
 * The watchdog: turns a thread blocked for good into a DeadlockError instead of a hung process.
 *
 * It runs inside the waits themselves: every blocked thread re-checks between wait slices
 * (WAIT_SLICE_MS), so no separate thread is needed and it works in any host. A blocked thread
 * follows the wait-for chain from itself through the thread table:
 *
 *   waiting for a lock   ->  the lock's owner (locks record who holds them)
 *   waiting to join      ->  the thread being joined
 *   anything else        ->  the chain ends (an event, a queue, a condition, I/O, a sleep)
 *
 * A chain that comes back to a thread already on it is a cycle: those threads can never move.
 * It is reported once seen on two checks in a row (a chain read while locks change hands can be
 * torn, a real cycle cannot go away). Without a cycle, a thread blocked beyond the limit
 * (`deadlockMs`, default 10 s) is reported when nothing can ever wake it: its chain ends at a
 * finished thread, or every live thread is blocked with no timeout.
 */

import { DeadlockError } from '../../errors.ts';
import type { Layout, Memory } from '../../heap/layout.ts';
import {
  BLOCK_KINDS,
  ST_BLOCKED,
  ST_RUNNING,
  ST_STARTING,
  STATUS_NAMES,
  T_BLOCK_KIND,
  T_BLOCKED_DEADLINE,
  T_BLOCKED_ON,
  T_BLOCKED_STATE,
  T_STATUS,
  isEnded,
  readName,
  slotWord,
} from '../threadstate.ts';
import { LOCK_OWNER, ownerSlot } from './lockword.ts';

/** A cycle is only looked for after a thread has been blocked this long. */
export const CYCLE_GRACE_MS = 100;

const BLOCK_LOCK = BLOCK_KINDS.indexOf('lock');
const BLOCK_JOIN = BLOCK_KINDS.indexOf('join');

interface Link {
  slot: number;
  kind: number;
  on: number;
}

/**
 * Check the wait-for chain of `slot`, blocked for `waitedMs`. Returns null (keep waiting), a
 * cycle's signature seen for the first time (keep waiting, confirm next slice), or the error.
 */
export function checkDeadlock(
  mem: Memory,
  layout: Layout,
  slot: number,
  waitedMs: number,
  lastCycle: string,
  limitMs: number,
): DeadlockError | string | null {
  if (waitedMs < Math.min(CYCLE_GRACE_MS, limitMs)) return null;
  const i32 = mem.i32;
  const word = (s: number, w: number): number => Atomics.load(i32, slotWord(layout, s, w));
  const chain: Link[] = [];
  const seen = new Set<number>();
  let cur = slot;
  for (;;) {
    seen.add(cur);
    if (word(cur, T_STATUS) !== ST_BLOCKED) break;
    const kind = word(cur, T_BLOCK_KIND);
    const on = word(cur, T_BLOCKED_ON);
    let next = -1;
    const state = word(cur, T_BLOCKED_STATE);
    if (kind === BLOCK_LOCK && state > 0) next = ownerSlot(Atomics.load(i32, (state >> 2) + LOCK_OWNER));
    else if (kind === BLOCK_JOIN) next = on;
    chain.push({ slot: cur, kind, on });
    if (next < 0 || next >= layout.maxThreads) break;
    if (seen.has(next)) {
      const from = chain.findIndex((l) => l.slot === next);
      const cycle = from >= 0 ? chain.slice(from) : chain;
      const sig = cycle.map((l) => `${l.slot}:${l.kind}:${l.on}`).join(',');
      if (sig !== lastCycle) return sig;
      return new DeadlockError(`deadlock: ${describe(mem, layout, cycle, true)}`);
    }
    cur = next;
  }
  if (waitedMs < limitMs) return null;
  const end = chain.length > 0 ? chain[chain.length - 1]! : null;
  const endSlot = cur;
  const endStatus = word(endSlot, T_STATUS);
  if (endSlot !== slot && isEnded(endStatus) && end !== null) {
    return new DeadlockError(
      `thread '${readName(i32, mem.u8, layout, slot)}' blocked for ${Math.round(waitedMs)} ms: ` +
        `${describe(mem, layout, chain, false)}, and thread '${readName(i32, mem.u8, layout, endSlot)}' has ` +
        `${STATUS_NAMES[endStatus]}`,
    );
  }
  if (anyRunnable(mem, layout)) return null;
  return new DeadlockError(
    `thread '${readName(i32, mem.u8, layout, slot)}' blocked for ${Math.round(waitedMs)} ms and no thread can wake it: ` +
      allBlocked(mem, layout),
  );
}

/** Some live thread runs, or waits with a timeout: progress is still possible. */
function anyRunnable(mem: Memory, layout: Layout): boolean {
  for (let s = 0; s < layout.maxThreads; s++) {
    const st = Atomics.load(mem.i32, slotWord(layout, s, T_STATUS));
    if (st === ST_RUNNING || st === ST_STARTING) return true;
    if (st === ST_BLOCKED && Number.isFinite(mem.f64[slotWord(layout, s, T_BLOCKED_DEADLINE) >> 1]!)) return true;
  }
  return false;
}

function what(kind: number, on: number): string {
  const k = BLOCK_KINDS[kind] ?? 'something';
  if (k === 'join') return 'to join';
  return `for ${k} 0x${on.toString(16)}`;
}

function describe(mem: Memory, layout: Layout, links: Link[], cycle: boolean): string {
  const name = (s: number): string => `'${readName(mem.i32, mem.u8, layout, s)}'`;
  const parts = links.map((l, i) => {
    const next = cycle ? links[(i + 1) % links.length]!.slot : links[i + 1]?.slot;
    const holder =
      l.kind === BLOCK_JOIN
        ? ` thread ${name(l.on)}`
        : next !== undefined
          ? `, held by thread ${name(next)}`
          : '';
    return `thread ${name(l.slot)} waits ${what(l.kind, l.on)}${holder}`;
  });
  return parts.join('; ');
}

function allBlocked(mem: Memory, layout: Layout): string {
  const i32 = mem.i32;
  const parts: string[] = [];
  for (let s = 0; s < layout.maxThreads; s++) {
    if (Atomics.load(i32, slotWord(layout, s, T_STATUS)) !== ST_BLOCKED) continue;
    const kind = Atomics.load(i32, slotWord(layout, s, T_BLOCK_KIND));
    const on = Atomics.load(i32, slotWord(layout, s, T_BLOCKED_ON));
    parts.push(`thread '${readName(i32, mem.u8, layout, s)}' waits ${what(kind, on)}`);
  }
  return parts.join('; ');
}

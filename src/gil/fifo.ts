/*
 * A fair GIL: strict first-come, first-served handoff with tickets.
 *
 * Not a CPython design: it is here to show that a policy is one file. A thread that wants the
 * GIL draws a ticket (next_ticket, one atomic add) and waits until now_serving reaches it; the
 * holder releases by advancing now_serving. Like the new GIL, a waiter that has waited a whole
 * switch interval with nobody served in between sets the drop request on the holder, and the
 * holder that honours it draws its next ticket before it hands over (so it is queued even if the
 * OS deschedules it right after the handoff): every waiter runs before it runs again, and a
 * thread coming back from I/O waits behind exactly the threads that were there first, never
 * barging in ahead of them as it can under the new GIL.
 */

import { G_DROP_REQUEST_AT, G_DROP_REQUESTS, G_FIFO_HOLDER, G_INTERVAL_US, G_LAST_HOLDER, G_NEXT_TICKET, G_NOW_SERVING, G_SWITCH_NUMBER, NO_THREAD, type GilBlock } from './block.ts';
import { US_PER_MS } from './clock.ts';
import type { DropReason, GilHost, GilPolicy } from './policy.ts';
import { WaitStats } from './stats.ts';
import { WAIT_SLICE_MS, type WaitGuard } from './wait.ts';

class FifoGil implements GilPolicy {
  readonly name = 'fifo' as const;
  readonly exclusive = true;
  readonly heapLock = null;
  private readonly host: GilHost;
  private readonly b: GilBlock;
  private readonly i32: Int32Array;
  private readonly nextTicket: number;
  private readonly nowServing: number;
  private readonly stats: WaitStats;
  /** tickets drawn at a forced drop, for the retake that follows (per slot, this JS thread) */
  private readonly next = new Map<number, number>();

  constructor(host: GilHost) {
    const b = host.block;
    this.host = host;
    this.b = b;
    this.i32 = b.i32;
    this.nextTicket = b.word(G_NEXT_TICKET);
    this.nowServing = b.word(G_NOW_SERVING);
    this.stats = new WaitStats(b, host.clock);
  }

  take(slot: number, guard: WaitGuard): boolean {
    let ticket = this.next.get(slot);
    if (ticket === undefined) ticket = Atomics.add(this.i32, this.nextTicket, 1);
    else this.next.delete(slot);
    const waited = Atomics.load(this.i32, this.nowServing) !== ticket;
    if (waited) this.waitForTurn(ticket, slot, guard);
    const b = this.b;
    b.store(G_FIFO_HOLDER, slot);
    if (b.load(G_LAST_HOLDER) !== slot) {
      b.store(G_LAST_HOLDER, slot);
      Atomics.add(this.i32, b.word(G_SWITCH_NUMBER), 1);
    }
    this.host.clearDropRequest(slot);
    return waited;
  }

  private waitForTurn(ticket: number, slot: number, guard: WaitGuard): void {
    const { i32, b, host } = this;
    const since = host.clock();
    this.stats.begin();
    try {
      let serving = Atomics.load(i32, this.nowServing);
      let intervalStart = since;
      while (serving !== ticket) {
        const intervalMs = Math.max(1, b.load(G_INTERVAL_US)) / US_PER_MS;
        const left = intervalStart + intervalMs - host.clock();
        if (left <= 0) {
          const holder = b.load(G_FIFO_HOLDER);
          if (holder !== NO_THREAD) {
            b.setF64(G_DROP_REQUEST_AT, host.clock());
            Atomics.add(i32, b.word(G_DROP_REQUESTS), 1);
            host.requestDrop(holder, slot);
          }
          intervalStart = host.clock();
        } else if (Atomics.wait(i32, this.nowServing, serving, Math.min(left, WAIT_SLICE_MS)) === 'timed-out' && guard.shouldStop(since)) {
          guard.raise();
        }
        const next = Atomics.load(i32, this.nowServing);
        if (next !== serving) intervalStart = host.clock();
        serving = next;
      }
    } finally {
      this.stats.end();
    }
  }

  drop(slot: number, reason: DropReason, _guard: WaitGuard): void {
    if (reason === 'request' || reason === 'interval') this.next.set(slot, Atomics.add(this.i32, this.nextTicket, 1));
    this.b.store(G_LAST_HOLDER, slot);
    this.b.store(G_FIFO_HOLDER, NO_THREAD);
    Atomics.add(this.i32, this.nowServing, 1);
    Atomics.notify(this.i32, this.nowServing);
  }

  checkInterval(): number {
    return 0;
  }
}

export function fifoGil(host: GilHost): GilPolicy {
  return new FifoGil(host);
}

/*
 * The new GIL: CPython since 3.2 (Python/ceval_gil.c), rule for rule.
 *
 * State (in the GIL block): `locked`, `last_holder`, `switch_number`, the switch `interval`, a
 * mutex with its condition `cond`, and (FORCE_SWITCHING) `switch_mutex` with `switch_cond`.
 *
 * take: lock the mutex. While the GIL is locked, remember switch_number and wait on `cond` for at
 * most one interval. If the whole interval passed, the GIL is still locked and no switch happened
 * meanwhile, the holder has run an interval while we waited: set the drop request on its eval
 * breaker and keep waiting. Once free: under switch_mutex set `locked`; if we are not the last
 * holder, become it and count a switch; signal switch_cond. Clear our own drop request; unlock.
 *
 * drop: record ourselves as last holder; under the mutex clear `locked`, then signal `cond` (one
 * waiter, whichever the OS wakes). If we drop because of a drop request, wait on switch_cond
 * until another thread has taken the GIL, so we cannot win it straight back: that is the
 * handoff guarantee the old GIL lacked.
 *
 * A blocking call drops with no drop request, so it does not wait for a handoff, and on return
 * it queues for the GIL like anyone: an I/O thread whose call completes at once must still wait
 * up to an interval behind a CPU-bound holder (the convoy effect, bpo-7946).
 */

import {
  G_COND,
  G_DROP_REQUEST_AT,
  G_DROP_REQUESTS,
  G_INTERVAL_US,
  G_LAST_HOLDER,
  G_LOCKED,
  G_MUTEX,
  G_SWITCH_COND,
  G_SWITCH_MUTEX,
  G_SWITCH_NUMBER,
  type GilBlock,
} from './block.ts';
import { Cond } from './cond.ts';
import { Mutex } from './mutex.ts';
import { US_PER_MS } from './clock.ts';
import type { DropReason, GilHost, GilPolicy } from './policy.ts';
import { WaitStats } from './stats.ts';
import type { WaitGuard } from './wait.ts';

class NewGil implements GilPolicy {
  readonly name = 'new' as const;
  readonly exclusive = true;
  readonly heapLock = null;
  private readonly host: GilHost;
  private readonly b: GilBlock;
  private readonly i32: Int32Array;
  private readonly locked: number;
  private readonly lastHolder: number;
  private readonly switchNumber: number;
  private readonly mutex: Mutex;
  private readonly cond: Cond;
  private readonly switchMutex: Mutex;
  private readonly switchCond: Cond;
  private readonly stats: WaitStats;

  constructor(host: GilHost) {
    const b = host.block;
    this.host = host;
    this.b = b;
    this.i32 = b.i32;
    this.locked = b.word(G_LOCKED);
    this.lastHolder = b.word(G_LAST_HOLDER);
    this.switchNumber = b.word(G_SWITCH_NUMBER);
    this.mutex = new Mutex(this.i32, b.word(G_MUTEX));
    this.cond = new Cond(this.i32, b.word(G_COND));
    this.switchMutex = new Mutex(this.i32, b.word(G_SWITCH_MUTEX));
    this.switchCond = new Cond(this.i32, b.word(G_SWITCH_COND));
    this.stats = new WaitStats(b, host.clock);
  }

  take(slot: number, guard: WaitGuard): boolean {
    this.mutex.lock();
    const waited = Atomics.load(this.i32, this.locked) !== 0;
    if (waited) this.waitForGil(slot, guard);
    this.switchMutex.lock();
    Atomics.store(this.i32, this.locked, 1);
    if (Atomics.load(this.i32, this.lastHolder) !== slot) {
      Atomics.store(this.i32, this.lastHolder, slot);
      Atomics.add(this.i32, this.switchNumber, 1);
    }
    this.switchCond.signal();
    this.switchMutex.unlock();
    this.host.clearDropRequest(slot);
    this.mutex.unlock();
    return waited;
  }

  /** The slow path of take: entered and left with the mutex held (or raises with it released). */
  private waitForGil(slot: number, guard: WaitGuard): void {
    const { i32, b } = this;
    const since = this.host.clock();
    this.stats.begin();
    try {
      while (Atomics.load(i32, this.locked) !== 0) {
        const saved = Atomics.load(i32, this.switchNumber);
        const intervalMs = Math.max(1, b.load(G_INTERVAL_US)) / US_PER_MS;
        const r = this.cond.wait(this.mutex, intervalMs, guard, since);
        // (an interval shorter than a wait slice never reaches the guard inside cond.wait)
        if (r === 'stopped' || guard.shouldStop(since)) {
          this.mutex.unlock();
          guard.raise();
        }
        if (r === 'timeout' && Atomics.load(i32, this.locked) !== 0 && Atomics.load(i32, this.switchNumber) === saved) {
          b.setF64(G_DROP_REQUEST_AT, this.host.clock());
          Atomics.add(i32, b.word(G_DROP_REQUESTS), 1);
          this.host.requestDrop(Atomics.load(i32, this.lastHolder), slot);
        }
      }
    } finally {
      this.stats.end();
    }
  }

  drop(slot: number, reason: DropReason, guard: WaitGuard): void {
    const i32 = this.i32;
    Atomics.store(i32, this.lastHolder, slot);
    this.mutex.lock();
    Atomics.store(i32, this.locked, 0);
    this.mutex.unlock();
    // Signal after unlocking (CPython signals inside): the woken waiter must not find the mutex
    // still held, which costs it a second sleep when it wakes on the dropper's CPU.
    this.cond.signal();
    if (reason === 'request') this.waitForSwitch(slot, guard);
  }

  /** FORCE_SWITCHING: after a requested drop, wait until somebody else holds the GIL. */
  private waitForSwitch(slot: number, guard: WaitGuard): void {
    const i32 = this.i32;
    // Read the clock (for the guard) before taking switch_mutex: CPython holds it for a few
    // instructions, and the new holder needs it to finish its take. (A first clock read after a
    // stretch of pure computation can take microseconds on a VM; the handoff figures showed no
    // difference either way, but the critical section stays CPython's.)
    const since = this.host.clock();
    this.switchMutex.lock();
    if (Atomics.load(i32, this.lastHolder) === slot) {
      this.host.clearDropRequest(slot);
      while (Atomics.load(i32, this.lastHolder) === slot) {
        if (this.switchCond.wait(this.switchMutex, Infinity, guard, since) === 'stopped') {
          this.switchMutex.unlock();
          guard.raise();
        }
      }
    }
    this.switchMutex.unlock();
  }

  checkInterval(): number {
    return 0;
  }
}

export function newGil(host: GilHost): GilPolicy {
  return new NewGil(host);
}

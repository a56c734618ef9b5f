/*
 * The one interface every GIL policy implements, and the registry that picks one by name.
 *
 * A policy decides only who holds the lock and when it changes hands. Everything around it is
 * the runtime's: the thread states, the eval breaker that polls for drop requests, the metrics,
 * the timeline. The runtime calls a policy at four moments:
 *
 *   take(slot)            a thread wants to run Python code (start, after a blocking call, after
 *                         a drop); returns whether it had to wait
 *   drop(slot, reason)    it stops: 'voluntary' for a blocking call (I/O, sleep, lock waits,
 *                         native code), 'request' when honouring a drop request from its eval
 *                         breaker, 'interval' for the old GIL's check-interval release, 'exit'
 *   checkInterval()       ticks between forced releases, for a policy that counts them (legacy);
 *                         0 for the others
 *   heapLock              the lock the allocator must be wrapped with when there is no GIL
 *
 * A policy talks back through the GilHost: to set the drop request on another thread's eval
 * breaker, or to clear its own. Waits take the thread's WaitGuard so they give up when the run
 * aborts. So a new policy is one new file plus one line in POLICIES below.
 */

/** The lock policies, one file each. */
export type GilPolicyName = 'new' | 'legacy' | 'none' | 'fifo';
import type { GilBlock } from './block.ts';
import type { Mutex } from './mutex.ts';
import type { WaitGuard } from './wait.ts';
import { newGil } from './new.ts';
import { legacyGil } from './legacy.ts';
import { noGil } from './none.ts';
import { fifoGil } from './fifo.ts';

export type DropReason = 'voluntary' | 'request' | 'interval' | 'exit';

/** What a policy may ask of the runtime. */
export interface GilHost {
  readonly block: GilBlock;
  readonly clock: () => number;
  /** Set DROP_REQUEST on the eval breaker of `holder`, on behalf of `requester` (counted, traced). */
  requestDrop(holder: number, requester: number): void;
  /** Clear DROP_REQUEST on `slot`'s own eval breaker. */
  clearDropRequest(slot: number): void;
}

export interface GilPolicy {
  readonly name: GilPolicyName;
  /** false only for 'none': threads run at once, in parallel. */
  readonly exclusive: boolean;
  /** Take the GIL for `slot`. Returns true if it had to wait. Raises through `guard` if stopped. */
  take(slot: number, guard: WaitGuard): boolean;
  /** Release the GIL held by `slot`. */
  drop(slot: number, reason: DropReason, guard: WaitGuard): void;
  /** Ticks between forced releases (the old GIL's check interval); 0 if not counted. */
  checkInterval(): number;
  /** The lock allocator calls are wrapped with when there is no GIL; null under a GIL. */
  readonly heapLock: Mutex | null;
}

export type GilPolicyFactory = (host: GilHost) => GilPolicy;

export const POLICIES: Readonly<Record<GilPolicyName, GilPolicyFactory>> = {
  new: newGil,
  legacy: legacyGil,
  none: noGil,
  fifo: fifoGil,
};

export function createPolicy(name: GilPolicyName, host: GilHost): GilPolicy {
  const factory = POLICIES[name];
  if (!factory) throw new RangeError(`unknown GIL policy '${String(name)}'`);
  return factory(host);
}

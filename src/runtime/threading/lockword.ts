/*
 * The state words of a threading lock, shared by Lock, RLock and the watchdog.
 *
 *   word 0   futex    the mutex word (0 unlocked, 1 locked, 2 contended): src/gil/mutex.ts
 *   word 1   owner    slot + 1 of the thread that acquired it, 0 when unlocked
 *   word 2   count    RLock only: recursion depth
 *
 * A plain Lock has no owner in Python (any thread may release it); the owner word is recorded
 * anyway so the watchdog can say who holds what.
 */

export const LOCK_FUTEX = 0;
export const LOCK_OWNER = 1;
export const LOCK_COUNT = 2;
export const LOCK_STATE_BYTES = 16;
/** The owner word holds slot + 1, so a zeroed lock has no owner. */
export const ownerSlot = (word: number): number => word - 1;

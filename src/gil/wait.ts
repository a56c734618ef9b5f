/*
 * Bounded waiting.
 *
 * No thread ever blocks without a bound. Every `Atomics.wait` in gilsim waits for at most
 * WAIT_SLICE_MS, then the waiter re-checks what it is waiting for and asks its guard whether to
 * give up: the run may be aborting (another thread failed) or the watchdog may have found a
 * deadlock. A waiter that is told to stop returns and lets its caller raise the error, after
 * putting any internal lock it holds back in order.
 *
 * A guard is supplied by the runtime (one per thread); the core here only knows its shape.
 */

/** The longest single Atomics.wait anywhere in gilsim. */
export const WAIT_SLICE_MS = 50;

/**
 * A thread's answer to "should this wait give up?". `shouldStop()` is cheap (one Atomics.load of
 * the thread's eval breaker plus, at most once per slice, a watchdog check); `raise()` throws the
 * reason (AbortError, DeadlockError).
 */
export interface WaitGuard {
  /** `since`: when this wait began (clock.now()); lets the watchdog see how long it has lasted. */
  shouldStop(since: number): boolean;
  raise(): never;
}

/** A guard that never stops a wait: for tests of the bare primitives. */
export const NO_GUARD: WaitGuard = {
  shouldStop: () => false,
  raise: () => {
    throw new Error('NO_GUARD never stops a wait');
  },
};

export type WaitOutcome = 'changed' | 'timeout' | 'stopped';

/**
 * Wait while `i32[index] === value`, for at most `timeoutMs` (Infinity allowed: the wait is still
 * sliced). Returns 'changed' when the word no longer holds `value` (or a notify arrived; callers
 * re-check), 'timeout' when the time is up, 'stopped' when the guard says to give up.
 */
export function waitWhile(
  i32: Int32Array,
  index: number,
  value: number,
  timeoutMs: number,
  guard: WaitGuard,
  since: number,
  clock: () => number,
): WaitOutcome {
  const deadline = since + timeoutMs;
  for (;;) {
    if (Atomics.load(i32, index) !== value) return 'changed';
    const left = deadline - clock();
    if (left <= 0) return 'timeout';
    const r = Atomics.wait(i32, index, value, Math.min(left, WAIT_SLICE_MS));
    if (r !== 'timed-out') return 'changed';
    if (guard.shouldStop(since)) return 'stopped';
  }
}

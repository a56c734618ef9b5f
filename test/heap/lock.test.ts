/*
 * The arena lock (free-threaded mode): taken and released, contention counted, and a lock that
 * is never released turns into a DeadlockError after the deadline instead of a hang. (Mutual
 * exclusion across real threads is exercised by thread-stress.test.ts, whose workers allocate
 * raw blocks and new pools under it.)
 */
import { describe, expect, it } from 'vitest';
import { createHeap, DeadlockError } from '../../src/index.ts';
import { ArenaLock } from '../../src/heap/lock.ts';
import { S_ARENA_LOCK, S_LOCK_CONTENDED } from '../../src/heap/state.ts';

describe('ArenaLock', () => {
  it('locks, unlocks, and a taker that finds it held past the deadline throws DeadlockError', () => {
    const h = createHeap({ maxBytes: 16 << 20 });
    const lockAt = h.base + S_ARENA_LOCK;
    const countAt = h.base + S_LOCK_CONTENDED;
    const a = new ArenaLock(h.mem.i32, lockAt, countAt);
    const b = new ArenaLock(h.mem.i32, lockAt, countAt, 50);
    a.lock();
    expect(b.isLocked()).toBe(true);
    const t0 = performance.now();
    expect(() => b.lock()).toThrow(DeadlockError);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(45);
    a.unlock();
    expect(a.isLocked()).toBe(false);
    b.lock(); // free again: taken at once
    b.unlock();
    expect(h.mem.i32[countAt >> 2]).toBe(0); // the failed attempt never got it
  });
});

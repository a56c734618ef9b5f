/*
 * Global GIL accounting that no single thread owns: how many threads wait for the GIL right now,
 * and for how long at least one did (the "contended" time of the report).
 *
 * Waiters arrive and leave from any thread, so the counter and the interval it opens are kept
 * under a small mutex of their own (stats_mutex). It is touched only on the slow path of a take,
 * never when the GIL is free.
 */

import { G_CONTENDED_MS, G_CONTENDED_SINCE, G_STATS_MUTEX, G_WAITERS, type GilBlock } from './block.ts';
import { Mutex } from './mutex.ts';

export class WaitStats {
  private readonly block: GilBlock;
  private readonly mutex: Mutex;
  private readonly clock: () => number;

  constructor(block: GilBlock, clock: () => number) {
    this.block = block;
    this.mutex = new Mutex(block.i32, block.word(G_STATS_MUTEX));
    this.clock = clock;
  }

  /** A thread starts waiting for the GIL. */
  begin(): void {
    const b = this.block;
    this.mutex.lock();
    const n = b.load(G_WAITERS);
    if (n === 0) b.setF64(G_CONTENDED_SINCE, this.clock());
    b.store(G_WAITERS, n + 1);
    this.mutex.unlock();
  }

  /** A thread stops waiting (it took the GIL, or gave up). */
  end(): void {
    const b = this.block;
    this.mutex.lock();
    const n = b.load(G_WAITERS) - 1;
    b.store(G_WAITERS, n);
    if (n === 0) b.setF64(G_CONTENDED_MS, b.getF64(G_CONTENDED_MS) + (this.clock() - b.getF64(G_CONTENDED_SINCE)));
    this.mutex.unlock();
  }
}

/*
 * Shared set-up for tests that start real threads: one worker pool per test file, a bare runtime
 * (heap + threads) per test, and the coordinator that starts threads on the pool.
 */

import { Coordinator } from '../../src/host/coordinator.ts';
import { WorkerPool } from '../../src/host/pool.ts';
import { BareRuntime, type BareOptions } from '../../src/runtime/threading/bare.ts';

export const PROGRAMS = new URL('./programs.ts', import.meta.url).href;

let pool: WorkerPool | null = null;

export function sharedPool(): WorkerPool {
  pool ??= new WorkerPool({ workers: 4 });
  return pool;
}

export async function destroyPool(): Promise<void> {
  await pool?.destroy();
  pool = null;
}

export interface Harness {
  rt: BareRuntime;
  co: Coordinator;
  /** zeroed scratch words in the heap, as byte offsets */
  words(n: number): number[];
  close(): Promise<void>;
}

export function harness(opts: BareOptions = {}): Harness {
  const rt = BareRuntime.create({ deadlockMs: 2_000, ...opts });
  const co = new Coordinator(rt.threads, 'bare', { pool: sharedPool() });
  return {
    rt,
    co,
    words(n) {
      const out: number[] = [];
      for (let i = 0; i < n; i++) {
        const p = rt.heap.malloc(16);
        rt.mem.i32.fill(0, p >> 2, (p >> 2) + 4);
        out.push(p);
      }
      return out;
    },
    close: () => co.close(),
  };
}

/** Poll `cond` every few ms until it holds; fail (never hang) after `limitMs`. */
export async function until(cond: () => boolean, what: string, limitMs = 10_000): Promise<void> {
  const end = performance.now() + limitMs;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`timed out after ${limitMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

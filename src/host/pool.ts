/*
 * The worker pool: piscina, sized so that every live Python thread has a worker of its own.
 *
 * A Python thread is one long task: it runs until its program returns, blocking in Atomics.wait
 * whenever it waits for the GIL or a lock. So a task must never queue behind another: the pool
 * keeps `capacity >= live tasks`, adding a further Piscina (minThreads = maxThreads = the extra
 * count) when it would not. Workers created with a pool are posted their first task at once
 * (piscina treats the initial workers as ready), so a thread started by the main thread runs even
 * if the main thread then blocks without returning to its event loop.
 *
 * Options that matter:
 *  - atomics: 'disabled'. Piscina's default makes an idle worker sleep in Atomics.wait on
 *    piscina's own buffer; ours must be the only waits, and the task port must stay the way
 *    work arrives.
 *  - execArgv: ['--import', 'tsx'] so workers import TypeScript.
 *  - idleTimeout: Infinity: workers live until the pool is destroyed.
 */

import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import type { ThreadOutcome, ThreadTask } from './types.ts';

/**
 * tsx's loader, resolved from this package rather than from the current directory: a user who
 * runs gilsim from a project of their own (or any folder) has no tsx of their own to find.
 */
const TSX_LOADER = tsxLoaderUrl();

function tsxLoaderUrl(): string {
  const require = createRequire(import.meta.url);
  const pkgPath = require.resolve('tsx/package.json');
  const entry = (require(pkgPath) as { exports: { '.': string | { import?: string; default?: string } } }).exports['.'];
  const file = typeof entry === 'string' ? entry : (entry.import ?? entry.default ?? './dist/loader.mjs');
  return new URL(file, pathToFileURL(pkgPath)).href;
}

export const WORKER_FILE = new URL('../../workers/python-thread.ts', import.meta.url).href;

export interface WorkerPoolOptions {
  /** workers to start at once (default 2) */
  workers?: number;
  filename?: string;
}

interface Entry {
  pool: Piscina;
  size: number;
  busy: number;
}

export class WorkerPool {
  private readonly entries: Entry[] = [];
  private readonly filename: string;
  private destroyed = false;

  constructor(opts: WorkerPoolOptions = {}) {
    this.filename = opts.filename ?? WORKER_FILE;
    this.grow(opts.workers ?? 2);
  }

  /** Tasks that can start now without queueing. */
  get free(): number {
    return this.entries.reduce((n, e) => n + e.size - e.busy, 0);
  }

  /** Make sure `n` tasks can start at once (starting workers if needed). */
  reserve(n: number): void {
    const need = n - this.free;
    if (need > 0) this.grow(need);
  }

  private grow(n: number): void {
    if (n <= 0) return;
    const pool = new Piscina({
      filename: this.filename,
      minThreads: n,
      maxThreads: n,
      idleTimeout: Infinity,
      atomics: 'disabled',
      execArgv: ['--import', TSX_LOADER],
      concurrentTasksPerWorker: 1,
      maxQueue: Infinity,
    });
    this.entries.push({ pool, size: n, busy: 0 });
  }

  /** Run a thread task on a worker of its own. The task is posted before this returns. */
  run(task: ThreadTask): Promise<ThreadOutcome> {
    if (this.destroyed) return Promise.reject(new Error('worker pool destroyed'));
    this.reserve(1);
    const e = this.entries.find((x) => x.busy < x.size)!;
    e.busy++;
    const done = e.pool.run(task, { transferList: [task.port] as never }) as Promise<ThreadOutcome>;
    return done.finally(() => {
      e.busy--;
    });
  }

  get liveTasks(): number {
    return this.entries.reduce((n, e) => n + e.busy, 0);
  }

  get workers(): number {
    return this.entries.reduce((n, e) => n + e.pool.threads.length, 0);
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    await Promise.all(this.entries.map((e) => e.pool.destroy()));
  }
}

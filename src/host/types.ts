/*
 * Types shared by the coordinator (main thread) and the worker entry (workers/python-thread.ts).
 */

import type { MessagePort } from 'node:worker_threads';
import type { ThreadStartRequest } from '../runtime/threading/ops.ts';
import type { GilMetrics, ThreadMetrics } from '../runtime/threading/readers.ts';

/** Which runtime a worker attaches to the buffer: the full one, or heap + threads only. */
export type AttachMode = 'runtime' | 'bare';

/** One Python thread, as sent to a worker. */
export interface ThreadTask {
  sab: SharedArrayBuffer;
  /** the GIL block's buffer_id: workers cache one attachment per buffer */
  bufferId: number;
  mode: AttachMode;
  slot: number;
  /** file URL of the module */
  module: string;
  /** export name, dots reach into objects */
  fn: string;
  args: unknown[];
  /** comlink endpoint of the coordinator, for thread starts from this thread */
  port: MessagePort;
}

export interface ThreadErrorRecord {
  /** the error class ('KeyError', 'DeadlockError', 'AbortError', ...) */
  type: string;
  message: string;
  stack: string;
}

/** How a thread ended, as the coordinator reports it. */
export interface ThreadOutcome {
  slot: number;
  name: string;
  ok: boolean;
  /** the program's return value (structured-cloned) */
  value?: unknown;
  error?: ThreadErrorRecord;
  /** slots of the threads this thread started */
  started: number[];
  startedAt: number;
  endedAt: number;
}

/** A live look at the runtime, for a worker (or any async caller) through comlink. */
export interface RuntimeSnapshot {
  gil: GilMetrics;
  threads: ThreadMetrics[];
}

/** What the coordinator exposes to workers through comlink. */
export interface CoordinatorApi {
  /** Start a thread whose slot the caller claimed (fire-and-forget from a synchronous thread). */
  startThread(req: ThreadStartRequest): void;
  /** The GIL's and every claimed thread's metrics now. */
  inspect(): RuntimeSnapshot;
}

export type { ThreadStartRequest };

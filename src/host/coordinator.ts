/*
 * The coordinator: where Python threads come from.
 *
 * It lives on the JS thread that created the runtime (the main thread). It owns nothing shared:
 * the thread table in the buffer says which threads exist and how they are doing. What it owns is
 * the Node side: a worker pool, the task promise of every thread it started, and one comlink
 * endpoint per thread through which that thread (running synchronously on its worker, unable to
 * await anything) can ask for more threads.
 *
 * Starting a thread is always: claim the slot in the buffer (synchronous, any thread), then post
 * the task. From the main thread the post is synchronous too (`spawn`/`start`), so a thread
 * started by the main thread runs even while the main thread blocks in a synchronous join.
 * From a worker, `py.threading.start` sends the request over comlink fire-and-forget: the slot is
 * already known, there is no reply to wait for. Such a request is served when the main thread's
 * event loop runs, so the main thread should wait with `joinAsync`/`runThreads`, which keep it
 * free (and detach its own Python thread state, if it has one, so it does not sit on the GIL).
 *
 * Why comlink rather than a plain port: the requests are calls of a small API (startThread, and
 * inspect for a live look at the runtime), and comlink gives them names, argument passing and
 * errors for free. A synchronous thread program never awaits a reply, which is fine: replies
 * queue on the worker's port until its event loop runs after the thread ends.
 */

import { MessageChannel, type MessagePort } from 'node:worker_threads';
import * as Comlink from 'comlink';
import { DeadlockError, GilsimError, ThreadError } from '../errors.ts';
import { isEnded } from '../runtime/threadstate.ts';
import type { ThreadSystem } from '../runtime/threads.ts';
import type { ThreadStartRequest } from '../runtime/threading/ops.ts';
import { portEndpoint } from './endpoint.ts';
import { toModuleUrl } from './modules.ts';
import { WorkerPool } from './pool.ts';
import type { AttachMode, CoordinatorApi, RuntimeSnapshot, ThreadOutcome, ThreadTask } from './types.ts';

export interface ThreadSpec {
  /** module path or file URL */
  module: string;
  /** export name; dots reach into exported objects */
  fn: string;
  args?: readonly unknown[];
  name?: string;
}

export interface CoordinatorOptions {
  /** share a pool between runtimes (tests, sweeps); by default the coordinator makes its own */
  pool?: WorkerPool;
  /** workers to start with an own pool (default 2) */
  workers?: number;
}

interface Running {
  name: string;
  done: Promise<ThreadOutcome>;
  port: MessagePort;
  outcome?: ThreadOutcome;
}

export class Coordinator {
  readonly threads: ThreadSystem;
  readonly mode: AttachMode;
  readonly pool: WorkerPool;
  private readonly ownPool: boolean;
  private readonly running = new Map<number, Running>();
  private closed = false;

  constructor(threads: ThreadSystem, mode: AttachMode, opts: CoordinatorOptions = {}) {
    this.threads = threads;
    this.mode = mode;
    this.ownPool = opts.pool === undefined;
    this.pool = opts.pool ?? new WorkerPool({ workers: opts.workers });
    threads.starter = this.starter;
  }

  /** A ThreadStarter for `py` objects made on this (the coordinator's) JS thread. */
  readonly starter = { start: (req: ThreadStartRequest): void => this.start(req) };

  /** Claim a slot and start a thread: synchronous, returns the slot. */
  spawn(spec: ThreadSpec): number {
    const slot = this.threads.claimSlot(spec.name ?? '');
    const name = spec.name ?? `Thread-${slot} (${spec.fn})`;
    if (spec.name === undefined) this.threads.rename(slot, name);
    this.start({ slot, module: spec.module, fn: spec.fn, args: [...(spec.args ?? [])], name });
    return slot;
  }

  /** Post the task of a thread whose slot is claimed (from this thread, or a worker's request). */
  start(req: ThreadStartRequest): void {
    if (this.closed) {
      this.threads.failSlot(req.slot);
      throw new GilsimError('coordinator closed');
    }
    const { port1, port2 } = new MessageChannel();
    const api: CoordinatorApi = { startThread: (r) => this.start(r), inspect: () => this.inspect() };
    Comlink.expose(api, portEndpoint(port1));
    port1.unref();
    const task: ThreadTask = {
      sab: this.threads.mem.sab,
      bufferId: this.threads.bufferId,
      mode: this.mode,
      slot: req.slot,
      module: toModuleUrl(req.module),
      fn: req.fn,
      args: [...req.args],
      port: port2,
    };
    const entry: Running = { name: req.name, port: port1, done: undefined as never };
    entry.done = this.pool.run(task).then(
      (o) => (entry.outcome = o),
      (e: unknown) => (entry.outcome = this.crashed(req, e)),
    );
    this.running.set(req.slot, entry);
  }

  /** The worker itself failed (not the program): fail the slot, abort the run. */
  private crashed(req: ThreadStartRequest, e: unknown): ThreadOutcome {
    if (!isEnded(this.threads.statusOf(req.slot))) this.threads.failSlot(req.slot);
    this.threads.abortAll(req.slot);
    const err = e instanceof Error ? e : new Error(String(e));
    const now = this.threads.clock();
    return {
      slot: req.slot,
      name: req.name,
      ok: false,
      error: { type: err.name, message: err.message, stack: err.stack ?? '' },
      started: [],
      startedAt: now,
      endedAt: now,
    };
  }

  /**
   * Wait for a thread without blocking this JS thread's event loop. If this thread has a Python
   * thread state attached (the main thread's), it is detached while waiting.
   */
  async joinAsync(slot: number, timeoutMs = Infinity): Promise<ThreadOutcome | null> {
    const entry = this.running.get(slot);
    if (!entry) throw new GilsimError(`no thread with slot ${slot} was started here`);
    const ts = this.threads.current;
    const wasAttached = ts?.attached ?? false;
    if (wasAttached) ts!.detach('voluntary');
    try {
      if (timeoutMs === Infinity) return await entry.done;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<null>((res) => (timer = setTimeout(() => res(null), timeoutMs)));
      try {
        return await Promise.race([entry.done, timeout]);
      } finally {
        clearTimeout(timer);
      }
    } finally {
      if (wasAttached) ts!.attach();
    }
  }

  /**
   * Start every thread at once and wait until all threads started here (including the ones they
   * started in turn) have ended. If one raised, rejects with a ThreadError naming it (or the
   * DeadlockError the watchdog raised); the others have been aborted by then.
   */
  async runThreads(specs: readonly ThreadSpec[]): Promise<ThreadOutcome[]> {
    this.pool.reserve(specs.length);
    const slots = specs.map((s) => this.spawn(s));
    await this.settleAll();
    const failure = this.failure();
    if (failure) throw failure;
    return slots.map((s) => this.running.get(s)!.outcome!);
  }

  /** Wait until every thread started so far (and those they start) has ended. */
  async settleAll(): Promise<void> {
    const ts = this.threads.current;
    const wasAttached = ts?.attached ?? false;
    if (wasAttached) ts!.detach('voluntary');
    try {
      for (;;) {
        const pending = [...this.running.values()].filter((r) => r.outcome === undefined);
        if (pending.length === 0) break;
        await Promise.all(pending.map((r) => r.done));
        // Starts requested by threads that just ended may still be in flight on their ports.
        await new Promise((res) => setImmediate(res));
      }
    } finally {
      if (wasAttached) ts!.attach();
    }
  }

  /** The GIL's and every claimed thread's metrics now (also offered to workers via comlink). */
  inspect(): RuntimeSnapshot {
    return { gil: this.threads.gilMetrics(), threads: this.threads.slots().map((s) => this.threads.threadMetrics(s)) };
  }

  /** The outcome of a thread started here, once it ended. */
  outcome(slot: number): ThreadOutcome | undefined {
    return this.running.get(slot)?.outcome;
  }

  /** Every outcome so far, by slot order. */
  outcomes(): ThreadOutcome[] {
    return [...this.running.entries()].sort(([a], [b]) => a - b).flatMap(([, r]) => (r.outcome ? [r.outcome] : []));
  }

  /** The run's failure as an error: the first failed thread's ThreadError or DeadlockError. */
  failure(): Error | null {
    const slot = this.threads.failedSlot();
    if (slot < 0) return null;
    const o = this.running.get(slot)?.outcome;
    const name = o?.name ?? this.threads.nameOf(slot);
    const rec = o?.error ?? { type: 'Error', message: 'failed', stack: '' };
    if (rec.type === 'DeadlockError') {
      const e = new DeadlockError(rec.message);
      e.stack = rec.stack;
      return e;
    }
    const msg = rec.type && !rec.message.startsWith(rec.type) ? `${rec.type}: ${rec.message}` : rec.message;
    return new ThreadError(name, msg, rec.stack);
  }

  /** Abort whatever still runs, wait for it (bounded), release the ports and the pool. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const pending = [...this.running.values()].filter((r) => r.outcome === undefined);
    if (pending.length > 0) {
      this.threads.abortAll(-1);
      await Promise.race([Promise.all(pending.map((r) => r.done)), new Promise((r) => setTimeout(r, CLOSE_GRACE_MS).unref())]);
    }
    for (const r of this.running.values()) r.port.close();
    if (this.threads.starter === this.starter) this.threads.starter = null;
    if (this.ownPool) await this.pool.destroy();
  }
}

/** How long close() lets aborted threads unwind before destroying the pool anyway. */
const CLOSE_GRACE_MS = 5_000;

/*
 * The worker entry: one task = one Python thread.
 *
 * The worker attaches to the buffer (once per buffer: attachments are cached by the buffer's id,
 * so a worker that runs many threads of one runtime attaches once), binds the thread state whose
 * slot the starter already claimed, takes the GIL, runs the program with its `py`, and drops the
 * GIL. A program that raises aborts the whole run (every eval breaker gets ABORT, sleepers are
 * woken) and its error travels back to the coordinator with the thread's name and stack.
 */

import * as Comlink from 'comlink';
import { AbortError } from '../src/errors.ts';
import { portEndpoint } from '../src/host/endpoint.ts';
import { resolveModule, resolveProgram } from '../src/host/modules.ts';
import type { CoordinatorApi, ThreadOutcome, ThreadTask } from '../src/host/types.ts';
import { M_ENDED_AT, M_STARTED_AT, ST_ABORTED, ST_DONE, ST_FAILED, metricIndex, type ThreadState } from '../src/runtime/threadstate.ts';
import type { ThreadSystem } from '../src/runtime/threads.ts';
import { BareRuntime } from '../src/runtime/threading/bare.ts';
import { warmGilPaths } from '../src/runtime/threading/warm.ts';
import type { ThreadStarter, ThreadStartRequest } from '../src/runtime/threading/ops.ts';

/** What a worker needs from an attached runtime. */
interface Attached {
  threads: ThreadSystem;
  py(ts: ThreadState, starter: ThreadStarter): unknown;
}

/** Attachments by buffer id; the last few only (a worker may serve several runtimes in turn). */
const attached = new Map<number, Attached>();
const MAX_CACHED = 2;

async function attach(task: ThreadTask): Promise<Attached> {
  const hit = attached.get(task.bufferId);
  if (hit) return hit;
  const env = task.mode === 'bare' ? bareEnv(task.sab) : await runtimeEnv(task.sab);
  attached.set(task.bufferId, env);
  while (attached.size > MAX_CACHED) attached.delete(attached.keys().next().value!);
  return env;
}

function bareEnv(sab: SharedArrayBuffer): Attached {
  const rt = BareRuntime.attach(sab);
  return { threads: rt.threads, py: (ts, starter) => rt.py(ts, starter) };
}

/** The full runtime (objects, GC): src/runtime/runtime.ts, loaded like a program (see modules.ts). */
async function runtimeEnv(sab: SharedArrayBuffer): Promise<Attached> {
  const url = new URL('../src/runtime/runtime.ts', import.meta.url).href;
  const { Runtime } = (await resolveModule(url)) as {
    Runtime: { attach(sab: SharedArrayBuffer): { threads: ThreadSystem; threadPy(ts: ThreadState, starter: ThreadStarter): unknown } };
  };
  const rt = Runtime.attach(sab);
  return { threads: rt.threads, py: (ts, starter) => rt.threadPy(ts, starter) };
}

function errorRecord(e: unknown): { type: string; message: string; stack: string } {
  if (e instanceof Error) {
    const type = (e as { pyType?: string }).pyType ?? e.name;
    return { type, message: e.message, stack: e.stack ?? `${type}: ${e.message}` };
  }
  return { type: 'Error', message: String(e), stack: String(e) };
}

export default async function runThread(task: ThreadTask): Promise<ThreadOutcome> {
  const env = await attach(task);
  const threads = env.threads;
  const coordinator = Comlink.wrap<CoordinatorApi>(portEndpoint(task.port));
  const started: number[] = [];
  const starter: ThreadStarter = {
    start(req: ThreadStartRequest) {
      started.push(req.slot);
      // Fire and forget: this thread runs synchronously and can never await the reply.
      void (coordinator.startThread(req) as Promise<void>).catch(() => threads.failSlot(req.slot));
    },
  };
  warmGilPaths(threads.config.gil);
  const ts = threads.bind(task.slot);
  const outcome = (ok: boolean, extra: Partial<ThreadOutcome>): ThreadOutcome => {
    const m = metricIndex(threads.layout, ts.slot, 0);
    return {
      slot: ts.slot,
      name: ts.name,
      ok,
      started,
      startedAt: threads.mem.f64[m + M_STARTED_AT]!,
      endedAt: threads.mem.f64[m + M_ENDED_AT]!,
      ...extra,
    };
  };
  try {
    const program = await resolveProgram(task.module, task.fn);
    const py = env.py(ts, starter);
    ts.start();
    const value = program(py, ...task.args);
    ts.finish(ST_DONE);
    return outcome(true, { value: cloneable(value) });
  } catch (e) {
    const aborted = e instanceof AbortError;
    if (!aborted) threads.abortAll(ts.slot);
    ts.finish(aborted ? ST_ABORTED : ST_FAILED);
    return outcome(false, { error: errorRecord(e) });
  } finally {
    threads.unbind(ts);
  }
}

/** Return values cross to the coordinator by structured clone; anything else becomes a string. */
function cloneable(v: unknown): unknown {
  try {
    structuredClone(v);
    return v;
  } catch {
    return String(v);
  }
}

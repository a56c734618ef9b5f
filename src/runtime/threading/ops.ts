/*
 * ThreadOps: everything threads, time and the GIL give the `py` surface of one thread.
 *
 * The object layer's `py` (src/runtime/py.ts) forwards `py.threading`, `py.queue`, `py.time`,
 * `py.io`, `py.nativeCall`, `py.compute`, `py.tick` and the interval settings of `py.sys` here.
 * One ThreadOps exists per Python thread, built over its ThreadState, the native-object support
 * of the runtime (where Lock/Queue/... live) and a ThreadStarter (how a new thread reaches the
 * coordinator that owns the worker pool).
 */

import { PyRuntimeError } from '../../errors.ts';
import { US_PER_MS } from '../../gil/clock.ts';
import type { Mutex } from '../../gil/mutex.ts';
import { waitWhile } from '../../gil/wait.ts';
import { T_STATUS, isEnded, slotWord, type ThreadState } from '../threadstate.ts';
import type { ThreadOps as PyThreadOps } from '../py.ts';
import type { PyObject, QueueModule, ThreadHandle, ThreadingModule, TimeModule } from '../types.ts';
import { CONDITION_TYPE, conditionInit, conditionNotify, conditionWait } from './condition.ts';
import { EVENT_TYPE, eventClear, eventIsSet, eventSet, eventWait } from './event.ts';
import {
  LOCK_TYPE,
  RLOCK_TYPE,
  deadlineOf,
  lockAcquire,
  lockLocked,
  lockRelease,
  rlockAcquire,
  rlockRelease,
} from './lock.ts';
import type { NativeObjects, NativeType } from './natives.ts';
import { QUEUE_TYPE, queueFull, queueGet, queueInit, queuePut, queueSize } from './queue.ts';

/** Every native type the threading code defines, in registration order. */
export const THREADING_TYPES: readonly NativeType[] = [LOCK_TYPE, RLOCK_TYPE, EVENT_TYPE, CONDITION_TYPE, QUEUE_TYPE];

/** What `py.threading.start` sends to the coordinator. */
export interface ThreadStartRequest {
  /** the slot already claimed for the thread */
  slot: number;
  /** module path or file URL */
  module: string;
  /** export name; dots reach into exported objects */
  fn: string;
  args: readonly unknown[];
  name: string;
}

/** How a thread start reaches the coordinator (direct call there, a message from a worker). */
export interface ThreadStarter {
  start(req: ThreadStartRequest): void;
}

/**
 * The `py` surface's ThreadOps (runtime/py.ts), as a hosted thread provides them: over its
 * ThreadState, with the heap lock the allocator calls need when there is no GIL.
 */
export interface ThreadOps extends PyThreadOps {
  /** The lock allocator calls must be wrapped with (policy 'none'); null under a GIL. */
  readonly heapLock: Mutex | null;
  readonly threadState: ThreadState;
}

export function createThreadOps(ts: ThreadState, natives: NativeObjects, starter: ThreadStarter): ThreadOps {
  const sys = ts.sys;
  return {
    tick: () => ts.tick(),
    count: (n) => ts.count(n),
    compute: (n) => ts.compute(n),
    io(ms) {
      ts.blocking('io', 0, 0, sys.clock() + ms, () => {
        if (ms > 0) ts.sleepWord(ms);
      });
    },
    nativeCall(us) {
      ts.blocking('native', 0, 0, sys.clock() + us / US_PER_MS, () => ts.spin(us));
    },
    time: timeModule(ts),
    threading: threadingModule(ts, natives, starter),
    queue: queueModule(ts, natives),
    setswitchinterval: (s) => sys.setswitchinterval(s),
    getswitchinterval: () => sys.getswitchinterval(),
    setcheckinterval(n) {
      sys.setcheckinterval(n);
      ts.resetTicker();
    },
    getcheckinterval: () => sys.getcheckinterval(),
    heapLock: sys.policy.heapLock,
    threadState: ts,
  };
}

function timeModule(ts: ThreadState): TimeModule {
  return {
    sleep(ms) {
      ts.tick();
      ts.blocking('sleep', 0, 0, ts.sys.clock() + ms, () => {
        if (ms > 0) ts.sleepWord(ms);
      });
    },
    perf_counter_ms: () => performance.now(),
  };
}

function threadingModule(ts: ThreadState, natives: NativeObjects, starter: ThreadStarter): ThreadingModule {
  const sys = ts.sys;
  const i32 = sys.mem.i32;
  const make = (type: NativeType): PyObject => {
    ts.tick();
    return natives.create(type);
  };
  /** Which kind of waitable a handle is (Event or Condition), by trying their types. */
  const isType = (o: PyObject, type: NativeType): boolean => {
    try {
      natives.state(o, type);
      return true;
    } catch {
      return false;
    }
  };
  const lockState = (o: PyObject): { state: number; rlock: boolean } =>
    isType(o, RLOCK_TYPE) ? { state: natives.state(o, RLOCK_TYPE), rlock: true } : { state: natives.state(o, LOCK_TYPE), rlock: false };
  return {
    start(module, fn, args = [], opts = {}) {
      ts.tick();
      const slot = sys.claimSlot(opts.name ?? '');
      const name = opts.name ?? `Thread-${slot} (${fn})`;
      if (opts.name === undefined) sys.rename(slot, name);
      try {
        starter.start({ slot, module, fn, args: [...args], name });
      } catch (e) {
        sys.failSlot(slot);
        throw e;
      }
      return { ident: slot, name };
    },
    join(t: ThreadHandle, timeoutMs?: number): boolean {
      ts.tick();
      if (t.ident === ts.slot) throw new PyRuntimeError('cannot join current thread');
      const word = slotWord(sys.layout, t.ident, T_STATUS);
      if (isEnded(Atomics.load(i32, word))) return true;
      if (timeoutMs === 0) return false;
      const clock = sys.clock;
      const since = clock();
      const deadline = deadlineOf(since, timeoutMs);
      return ts.blocking('join', t.ident, 0, deadline, () => {
        for (;;) {
          const st = Atomics.load(i32, word);
          if (isEnded(st)) return true;
          const r = waitWhile(i32, word, st, deadline - clock(), ts, since, clock);
          if (r === 'stopped') ts.raise();
          if (r === 'timeout') return isEnded(Atomics.load(i32, word));
        }
      });
    },
    get_ident: () => ts.slot,
    current_name: () => ts.name,
    Lock: () => make(LOCK_TYPE),
    RLock: () => make(RLOCK_TYPE),
    Event: () => make(EVENT_TYPE),
    Condition(lock?: PyObject) {
      ts.tick();
      let l = lock;
      if (l === undefined) l = natives.create(RLOCK_TYPE);
      else natives.incref(l);
      try {
        const { rlock } = lockState(l);
        const c = natives.create(CONDITION_TYPE);
        conditionInit(natives, i32, natives.state(c, CONDITION_TYPE), l, rlock);
        return c;
      } finally {
        natives.decref(l);
      }
    },
    acquire(lock, blocking = true, timeoutMs) {
      ts.tick();
      const { state, rlock } = lockState(lock);
      return rlock ? rlockAcquire(ts, lock, state, blocking, timeoutMs) : lockAcquire(ts, lock, state, blocking, timeoutMs);
    },
    release(lock) {
      ts.tick();
      const { state, rlock } = lockState(lock);
      if (rlock) rlockRelease(ts, state);
      else lockRelease(ts, state);
    },
    locked(lock) {
      ts.tick();
      return lockLocked(ts, lockState(lock).state);
    },
    set(event) {
      ts.tick();
      eventSet(ts, natives.state(event, EVENT_TYPE));
    },
    clear(event) {
      ts.tick();
      eventClear(ts, natives.state(event, EVENT_TYPE));
    },
    is_set(event) {
      ts.tick();
      return eventIsSet(ts, natives.state(event, EVENT_TYPE));
    },
    wait(o, timeoutMs) {
      ts.tick();
      if (isType(o, EVENT_TYPE)) return eventWait(ts, o, natives.state(o, EVENT_TYPE), timeoutMs);
      return conditionWait(ts, natives, o, natives.state(o, CONDITION_TYPE), timeoutMs);
    },
    notify(cond, n = 1) {
      ts.tick();
      conditionNotify(ts, natives, natives.state(cond, CONDITION_TYPE), n);
    },
    notify_all(cond) {
      ts.tick();
      conditionNotify(ts, natives, natives.state(cond, CONDITION_TYPE), Infinity);
    },
  };
}

function queueModule(ts: ThreadState, natives: NativeObjects): QueueModule {
  const i32 = ts.sys.mem.i32;
  const st = (q: PyObject): number => natives.state(q, QUEUE_TYPE);
  return {
    Queue(maxsize = 0) {
      ts.tick();
      const q = natives.create(QUEUE_TYPE);
      queueInit(i32, st(q), maxsize);
      return q;
    },
    put(q, item, block = true, timeoutMs) {
      ts.tick();
      queuePut(ts, natives, q, st(q), item, block, timeoutMs);
    },
    get(q, block = true, timeoutMs) {
      ts.tick();
      return queueGet(ts, q, st(q), block, timeoutMs);
    },
    qsize: (q) => (ts.tick(), queueSize(ts, st(q))),
    empty: (q) => (ts.tick(), queueSize(ts, st(q)) === 0),
    full: (q) => (ts.tick(), queueFull(ts, st(q))),
  };
}

/*
 * The stand-in ThreadOps for a runtime used from one JS thread with no thread host.
 *
 * `tick` only counts (there is nobody to hand the GIL to), `compute` burns the same calibrated
 * work per bytecode as a hosted thread (threading/work.ts), io/sleep block with a bounded
 * Atomics.wait, and threading/queue raise "needs the thread host". The interval knobs of `sys`
 * keep their values so a program can read back what it set.
 */

import { PyRuntimeError, ValueError } from '../errors.ts';
import type { ThreadOps } from './py.ts';
import { BACK_EDGE_EVERY, DEFAULT_BYTECODE_NS, burn, calibrate } from './threading/work.ts';
import type { QueueModule, ThreadingModule } from './types.ts';

const NEEDS_HOST = 'needs the thread host (run this program as a gilsim thread, e.g. through a scenario)';

function needsHost(what: string): never {
  throw new PyRuntimeError(`${what} ${NEEDS_HOST}`);
}

/** The stand-in ThreadOps for a runtime used from one JS thread without a thread host. */
export function singleThreadOps(config: { switchIntervalMs: number; checkInterval: number }): ThreadOps {
  let switchInterval = config.switchIntervalMs / 1000;
  let checkInterval = config.checkInterval;
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  let sink = 1;
  let perBytecode = 0; // calibrated at the first compute: creating ops stays cheap
  const block = (ms: number): void => {
    if (ms > 0) Atomics.wait(sleeper, 0, 0, ms);
  };
  const ops: ThreadOps & { bytecodes: number } = {
    bytecodes: 0,
    tick() {
      this.bytecodes++;
    },
    count(n: number) {
      this.bytecodes += n;
    },
    compute(n: number) {
      perBytecode ||= calibrate(DEFAULT_BYTECODE_NS);
      for (let left = Math.floor(n); left > 0; left -= BACK_EDGE_EVERY) {
        const k = left < BACK_EDGE_EVERY ? left : BACK_EDGE_EVERY;
        sink = burn(sink, k * perBytecode);
        this.bytecodes += k;
      }
    },
    io: block,
    nativeCall(us: number) {
      const end = performance.now() + us / 1000;
      while (performance.now() < end) sink = burn(sink, 64);
    },
    threading: new Proxy({} as ThreadingModule, {
      get: (_t, name) => () => needsHost(`threading.${String(name)}`),
    }),
    queue: new Proxy({} as QueueModule, {
      get: (_t, name) => () => needsHost(`queue.${String(name)}`),
    }),
    time: {
      sleep: block,
      perf_counter_ms: () => performance.now(),
    },
    setswitchinterval(seconds: number) {
      if (!(seconds > 0)) throw new ValueError('switch interval must be strictly positive');
      switchInterval = seconds;
    },
    getswitchinterval: () => switchInterval,
    setcheckinterval(ticks: number) {
      checkInterval = ticks;
    },
    getcheckinterval: () => checkInterval,
  };
  return ops;
}

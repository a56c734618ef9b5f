/*
 * Real CPU work, in CPython's proportions.
 *
 * A "bytecode" of py.compute(n) is a short xorshift loop, calibrated once by the buffer's creator
 * so that one bytecode costs `bytecodeNs` nanoseconds; the iteration count is written into the GIL
 * block so every thread burns exactly the same work. The default 10 ns sits at the low end of
 * CPython's 10-20 ns for an average bytecode (CPython 3.11 on this machine runs the countdown
 * `while n > 0: n -= 1` at 45 ns per iteration of 8 bytecodes, about 6 ns each; attribute access
 * and calls cost more).
 *
 * The loop's result is stored in a field the caller keeps, so the JIT cannot drop the work.
 */

/** The default cost of one bytecode. */
export const DEFAULT_BYTECODE_NS = 10;
/** py.compute polls the eval breaker every this many bytecodes: one countdown loop iteration. */
export const BACK_EDGE_EVERY = 8;

/** `iterations` rounds of xorshift32 from `x`. */
export function burn(x: number, iterations: number): number {
  let v = x | 1;
  for (let i = 0; i < iterations; i++) {
    v ^= v << 13;
    v ^= v >>> 17;
    v ^= v << 5;
  }
  return v;
}

/**
 * Iterations of `burn` per bytecode so one costs `bytecodeNs`, back-edge polls included. Times
 * the fastest of several runs (a loaded machine only makes runs slower) after a JIT warm-up:
 * first the bare loop, then the loop as py.compute runs it, to subtract the polling overhead.
 */
export function calibrate(bytecodeNs: number, clock: () => number = () => performance.now()): number {
  const known = calibrations.get(bytecodeNs);
  if (known !== undefined) return known;
  const iterations = measure(bytecodeNs, clock);
  calibrations.set(bytecodeNs, iterations);
  return iterations;
}

/** One calibration per target per JS thread: runtimes made one after another share it. */
const calibrations = new Map<number, number>();

function measure(bytecodeNs: number, clock: () => number): number {
  const ITER = 200_000;
  let sink = burn(1, 2_000_000);
  const nsPerIteration = fastest(() => (sink = burn(sink, ITER)), clock) / ITER;
  const first = bytecodeNs / nsPerIteration;
  const BYTECODES = 100_000;
  const word = new Int32Array(1);
  const polled = (): void => {
    for (let b = 0; b < BYTECODES; b += BACK_EDGE_EVERY) {
      sink = burn(sink, BACK_EDGE_EVERY * first);
      if (Atomics.load(word, 0) !== 0) sink++;
    }
  };
  polled();
  const overheadNs = fastest(polled, clock) / BYTECODES - first * nsPerIteration;
  calibrationSink = sink;
  return Math.max(1, (bytecodeNs - Math.max(0, overheadNs)) / nsPerIteration);
}

const NS_PER_MS = 1e6;

/** The fastest of 7 timed runs of `f`, in ns. */
function fastest(f: () => void, clock: () => number): number {
  let best = Infinity;
  for (let run = 0; run < 7; run++) {
    const t0 = clock();
    f();
    const dt = clock() - t0;
    if (dt > 0 && dt < best) best = dt;
  }
  return Number.isFinite(best) ? best * NS_PER_MS : 1;
}

/** Keeps the calibration's work observable. */
export let calibrationSink = 0;

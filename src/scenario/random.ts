/*
 * A seeded random number generator for thread programs (mulberry32: 32 bits of state, fast,
 * good enough for picking slots and sizes). Each thread derives its own stream from the run's
 * seed and its index, so a run with the same `--seed` makes the same choices.
 */

export interface Rng {
  /** a float in [0, 1) */
  next(): number;
  /** a whole number in [0, n) */
  below(n: number): number;
}

export function rng(seed: number, stream = 0): Rng {
  let a = (Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(stream + 1, 0x85ebca6b)) >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, below: (n) => Math.floor(next() * n) };
}

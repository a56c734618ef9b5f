/*
 * Small statistics for scenarios and reports: percentiles, sums, rates.
 * Percentiles use the nearest-rank method on a sorted copy (p in 0..100).
 */

/** The p-th percentile (nearest rank) of `xs`; 0 for an empty list. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length - 1, Math.max(0, rank - 1))]!;
}

export function sum(xs: readonly number[]): number {
  let t = 0;
  for (const x of xs) t += x;
  return t;
}

export function max(xs: readonly number[]): number {
  return xs.length === 0 ? 0 : Math.max(...xs);
}

export function mean(xs: readonly number[]): number {
  return xs.length === 0 ? 0 : sum(xs) / xs.length;
}

/** `count` events over `ms` milliseconds, per second; 0 when no time passed. */
export function perSecond(count: number, ms: number): number {
  return ms > 0 ? (count * 1000) / ms : 0;
}

/** a / b, or 0 when b is 0 (so a ratio never shows as Infinity or NaN). */
export function ratio(a: number, b: number): number {
  return b > 0 ? a / b : 0;
}

/** Round to `digits` decimals, for figures meant to be read. */
export function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

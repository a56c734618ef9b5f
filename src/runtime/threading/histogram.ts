/*
 * Wait-time histograms: log buckets in microseconds, four per octave.
 *
 * Bucket 0 counts waits under 1 µs (an uncontended take). Bucket 1 + 4e + s counts waits in
 * [2^e * (1 + s/4), 2^e * (1 + (s+1)/4)) µs, for octaves e = 0 .. HIST_OCTAVES-1 (1 µs up to
 * about 4.5 minutes); longer waits land in the last bucket. Quarter-octave buckets put any
 * percentile within 19% of the true value, while a thread's whole histogram stays 128 words it
 * owns alone. Percentiles interpolate linearly inside the bucket they fall in.
 */

export const HIST_SUB = 4;
export const HIST_OCTAVES = 28;
export const HIST_BUCKETS = 1 + HIST_SUB * HIST_OCTAVES;
/** Words reserved per histogram (HIST_BUCKETS rounded up to whole 64-byte lines). */
export const HIST_WORDS = 128;

export function histIndex(us: number): number {
  if (!(us >= 1)) return 0;
  const e = Math.min(Math.floor(Math.log2(us)), HIST_OCTAVES - 1);
  const s = Math.min(Math.floor((us / 2 ** e - 1) * HIST_SUB), HIST_SUB - 1);
  return 1 + e * HIST_SUB + s;
}

/** Bounds [lo, hi) in µs of bucket i. */
export function histBounds(i: number): [number, number] {
  if (i === 0) return [0, 1];
  const e = Math.floor((i - 1) / HIST_SUB);
  const s = (i - 1) % HIST_SUB;
  return [2 ** e * (1 + s / HIST_SUB), 2 ** e * (1 + (s + 1) / HIST_SUB)];
}

/** The p-quantile (0..1) of a histogram's counts, in µs; 0 when empty. Capped at `max` if known. */
export function histPercentile(counts: ArrayLike<number>, p: number, max = Infinity): number {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i]!;
  if (total === 0) return 0;
  const rank = p * total;
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (c === 0) continue;
    if (seen + c >= rank) {
      const [lo, hi] = histBounds(i);
      return Math.min(lo + ((rank - seen) / c) * (hi - lo), max);
    }
    seen += c;
  }
  return max;
}

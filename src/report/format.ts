/*
 * Formatting helpers for the text reports: numbers as people read them and plain-text tables.
 */

/** 1234567 -> '1,234,567' (whole numbers). */
export function thousands(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const s = Math.round(Math.abs(n)).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return n < 0 ? `-${s}` : s;
}

/** A figure for a table: whole numbers with separators, others to 3 significant decimals. */
export function num(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n)) return thousands(n);
  const a = Math.abs(n);
  if (a >= 1000) return thousands(n);
  if (a >= 100) return n.toFixed(1);
  if (a >= 1) return n.toFixed(2);
  if (a === 0) return '0';
  return n.toFixed(3);
}

/** Milliseconds with a unit that fits. */
export function ms(n: number): string {
  if (n >= 10_000) return `${(n / 1000).toFixed(1)} s`;
  if (n >= 100) return `${n.toFixed(0)} ms`;
  if (n >= 1) return `${n.toFixed(1)} ms`;
  return `${(n * 1000).toFixed(0)} us`;
}

export function percent(f: number): string {
  return `${(f * 100).toFixed(1)}%`;
}

/** Any result value as a cell. */
export function cell(v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'number') return num(v);
  return String(v);
}

export type Align = 'l' | 'r';

/**
 * A plain table: a header row, a rule, the rows. Columns are right-aligned unless `align` says
 * 'l' (the first column defaults to left).
 */
export function table(header: readonly string[], rows: readonly (readonly string[])[], align: readonly Align[] = []): string[] {
  const cols = header.length;
  const w = Array.from({ length: cols }, (_, i) => Math.max(header[i]!.length, ...rows.map((r) => (r[i] ?? '').length)));
  const al = (i: number): Align => align[i] ?? (i === 0 ? 'l' : 'r');
  const line = (r: readonly string[]): string =>
    r
      .map((c, i) => (al(i) === 'l' ? (c ?? '').padEnd(w[i]!) : (c ?? '').padStart(w[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(w.map((n) => '-'.repeat(n))), ...rows.map(line)];
}

/** A section title. */
export function heading(s: string): string {
  return `\n${s}\n${'='.repeat(s.length)}`;
}

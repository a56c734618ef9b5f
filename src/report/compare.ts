/*
 * Side by side: several runs of one scenario (one per profile, GIL policy or thread count) in
 * one table, a column per run. Rows: the scenario's own results, then the GIL, heap and
 * collector figures. What `gilsim compare` and `gilsim sweep` print. A pure function of the
 * RunResults and their column labels.
 */

import type { RunResult } from '../scenario/result.ts';
import { sum } from '../scenario/stats.ts';
import { cell, num, percent, table } from './format.ts';
import { describeParams, errorSummary } from './text.ts';

export interface Column {
  label: string;
  result: RunResult;
}

type Row = [string, ...string[]];

export function renderComparison(title: string, cols: readonly Column[]): string {
  if (cols.length === 0) return `${title}\n(no runs)\n`;
  const rs = cols.map((c) => c.result);
  const out: string[] = [title];
  const first = rs[0]!;
  out.push(`  ${first.description}`);
  // parameters that differ between the runs (a sweep's) show as '*': their values head the columns
  const params = Object.fromEntries(
    Object.entries(first.params).map(([k, v]) => [k, rs.every((r) => r.params[k] === v) ? v : '*']),
  );
  out.push(`  params ${describeParams(params)} · seed ${first.config.seed}`);
  out.push('');
  const header = ['', ...cols.map((c) => c.label)];
  const rows: Row[] = [];
  const section = (name: string): void => {
    rows.push([`${name}:`, ...cols.map(() => '')]);
  };
  const row = (name: string, f: (r: RunResult) => string): void => {
    rows.push([`  ${name}`, ...rs.map(f)]);
  };

  section('config');
  row('gil', (r) => r.config.gil + (r.config.gil === 'new' ? ` ${r.config.switchIntervalMs}ms` : r.config.gil === 'legacy' ? ` /${r.config.checkInterval}` : ''));
  row('refcount', (r) => r.config.refcount);
  row('gc thresholds', (r) => r.config.gcThresholds.join('/'));
  if (rs.some((r) => r.config.heapProfile !== first.config.heapProfile)) row('heap layout', (r) => r.config.heapProfile);
  row('wall', (r) => `${num(r.wallMs)} ms`);

  section('results');
  const keys = [...new Set(rs.flatMap((r) => Object.keys(r.results)))];
  for (const k of keys) row(k, (r) => cell(r.results[k]));

  section('gil');
  row('switches/s', (r) => num(Math.round(r.gil.switchesPerSec)));
  row('held', (r) => percent(r.gil.heldFraction));
  row('contended', (r) => percent(r.gil.contendedFraction));
  row('wait ms (all threads)', (r) => num(sum(r.threads.map((t) => t.gil.waitMs))));
  row('worst wait p99 us', (r) => num(Math.max(0, ...r.threads.map((t) => t.gil.waitP99Us))));
  row('forced drops', (r) => num(sum(r.threads.map((t) => t.gil.forcedDrops))));

  section('heap');
  row('arenas highwater', (r) => num(r.heap.arenasHighwater));
  row('arenas current', (r) => num(r.heap.arenasCurrent));
  row('bytes in blocks', (r) => num(r.heap.bytesInAllocatedBlocks));

  section('gc');
  for (let g = 0; g < 3; g++) row(`gen${g} collections`, (r) => num(r.gc.generations[g]?.collections ?? 0));
  row('collected', (r) => num(sum(r.gc.generations.map((g) => g.collected))));
  row('pause p50 ms', (r) => num(r.gc.pauses.p50Ms));
  row('pause max ms', (r) => num(r.gc.pauses.maxMs));

  out.push(...table(header, rows));
  const failed = cols.filter((c) => c.result.error);
  for (const c of failed) out.push('', `${c.label}: ${errorSummary(c.result.error!)}`);
  const missing = [...new Set(rs.flatMap((r) => r.missing))];
  if (missing.length) out.push('', `not measured (that part of the runtime is not built yet): ${missing.join(', ')}`);
  return out.join('\n') + '\n';
}

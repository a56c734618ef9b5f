/*
 * The text report of one run: what `gilsim run` prints.
 *
 * Sections: the scenario's results; the phases; per thread the GIL figures (bytecodes,
 * acquisitions, wait and hold time, wait p50/p99, drop requests, forced drops); the GIL overall
 * (switches per second, held and contended fractions); the heap in `sys._debugmallocstats()`
 * form, abridged; the collector (collections per generation, pauses). A pure function of a
 * RunResult.
 */

import type { GcSummary, HeapSummary, RunConfig, RunError, RunResult } from '../scenario/result.ts';
import { cell, heading, ms, num, percent, table, thousands } from './format.ts';

export interface TextOptions {
  /** leave out the heap table and the per-thread table (compare/sweep use this) */
  brief?: boolean;
}

/** One line describing a configuration: `python 3.11 · gil new (5 ms) · refcount plain · gc 700/10/10`. */
export function describeConfig(c: RunConfig): string {
  const gil =
    c.gil === 'new'
      ? `gil new (switch ${c.switchIntervalMs} ms)`
      : c.gil === 'legacy'
        ? `gil legacy (check ${c.checkInterval})`
        : `gil ${c.gil}`;
  const gc = `gc ${c.gcThresholds.join('/')}${c.stopTheWorldGc ? ' stop-the-world' : ''}`;
  return `python ${c.python} · ${gil} · refcount ${c.refcount} · ${gc} · heap ${c.heapProfile}`;
}

export function describeParams(p: Record<string, unknown>): string {
  const parts = Object.entries(p).map(([k, v]) => `${k}=${String(v)}`);
  return parts.length ? parts.join(' ') : '(none)';
}

export function renderText(r: RunResult, opts: TextOptions = {}): string {
  const out: string[] = [];
  out.push(`gilsim: ${r.scenario} — ${r.description}`);
  out.push(`  ${describeConfig(r.config)}`);
  out.push(`  params ${describeParams(r.params)} · seed ${r.config.seed} · wall ${ms(r.wallMs)}`);
  if (r.error) out.push(...errorLines(r));
  out.push(heading('Results'));
  const res = Object.entries(r.results);
  out.push(...(res.length ? table(['figure', 'value'], res.map(([k, v]) => [k, cell(v)])) : ['(none)']));
  if (r.phases.length > 1) {
    out.push(heading('Phases'));
    out.push(
      ...table(
        ['phase', 'wall', 'threads', 'switches/s', 'GIL held', 'contended', 'arenas'],
        r.phases.map((p) => [
          p.name,
          ms(p.wallMs),
          String(p.threads.length),
          num(Math.round(p.gil.switchesPerSec)),
          percent(p.gil.heldFraction),
          percent(p.gil.contendedFraction),
          String(p.heap.arenasCurrent),
        ]),
      ),
    );
  }
  if (!opts.brief) out.push(...threadLines(r));
  out.push(heading('GIL'));
  out.push(
    `policy ${r.gil.policy} · ${thousands(r.gil.switches)} switches (${num(Math.round(r.gil.switchesPerSec))}/s) · ` +
      `held ${percent(r.gil.heldFraction)} · contended ${percent(r.gil.contendedFraction)}`,
  );
  out.push(heading('Heap (sys._debugmallocstats, abridged)'));
  out.push(...mallocStatsLines(r.heap, { classes: !opts.brief }));
  out.push(heading('Garbage collector'));
  out.push(...gcLines(r.gc));
  if (r.missing.length) {
    out.push('', `not measured (that part of the runtime is not built yet): ${r.missing.join(', ')}`);
  }
  return out.join('\n') + '\n';
}

function threadLines(r: RunResult): string[] {
  const multi = r.phases.length > 1;
  const header = [
    ...(multi ? ['phase'] : []),
    'thread',
    'bytecodes',
    'acquired',
    'wait ms',
    'hold ms',
    'wait p50 us',
    'wait p99 us',
    'drop req',
    'forced',
  ];
  const rows = r.threads.map((t) => [
    ...(multi ? [t.phase] : []),
    t.name,
    thousands(t.bytecodes),
    thousands(t.gil.acquisitions),
    num(t.gil.waitMs),
    num(t.gil.holdMs),
    num(t.gil.waitP50Us),
    num(t.gil.waitP99Us),
    thousands(t.gil.dropRequests),
    thousands(t.gil.forcedDrops),
  ]);
  return [heading('Threads'), ...table(header, rows, multi ? ['l', 'l'] : ['l'])];
}

/* ---- the heap, as sys._debugmallocstats() prints it ---- */

const LABEL_WIDTH = 35;
const VALUE_WIDTH = 20;

/** `label                              =                value` as CPython pads it. */
export function statLine(label: string, value: number): string {
  return `${label.padEnd(LABEL_WIDTH)}= ${thousands(value).padStart(VALUE_WIDTH)}`;
}

export function mallocStatsLines(h: HeapSummary, opts: { classes?: boolean } = {}): string[] {
  const out: string[] = [];
  out.push(`Small block threshold = ${h.smallRequestThreshold}, in ${h.numSizeClasses} size classes.`);
  if (opts.classes !== false) {
    out.push('');
    out.push('class   size   num pools   blocks in use  avail blocks');
    out.push('-----   ----   ---------   -------------  ------------');
    for (const c of h.sizeClasses) {
      if (c.pools === 0) continue;
      out.push(
        `${String(c.class).padStart(5)} ${String(c.size).padStart(6)} ${String(c.pools).padStart(11)} ` +
          `${String(c.blocksInUse).padStart(15)} ${String(c.availBlocks).padStart(13)}`,
      );
    }
  }
  out.push('');
  out.push(statLine('# arenas allocated total', h.arenasAllocated));
  out.push(statLine('# arenas reclaimed', h.arenasReclaimed));
  out.push(statLine('# arenas highwater mark', h.arenasHighwater));
  out.push(statLine('# arenas allocated current', h.arenasCurrent));
  out.push(statLine(`${h.arenasCurrent} arenas * ${h.arenaSize} bytes/arena`, h.arenasCurrent * h.arenaSize));
  out.push('');
  out.push(statLine('# bytes in allocated blocks', h.bytesInAllocatedBlocks));
  out.push(statLine('# bytes in available blocks', h.bytesInAvailableBlocks));
  out.push(statLine(`${h.unusedPools} unused pools * ${h.poolSize} bytes`, h.unusedPools * h.poolSize));
  out.push(statLine('# bytes lost to pool headers', h.bytesLostToPoolHeaders));
  out.push(statLine('# bytes lost to quantization', h.bytesLostToQuantization));
  out.push(statLine('# bytes lost to arena alignment', h.bytesLostToArenaAlignment));
  out.push(statLine('Total', heapTotal(h)));
  if (h.rawBytesInUse) out.push('', statLine('# bytes in raw allocations', h.rawBytesInUse));
  return out;
}

/** The sum CPython prints as Total: it equals arenas x ARENA_SIZE when the books balance. */
export function heapTotal(h: HeapSummary): number {
  return (
    h.bytesInAllocatedBlocks +
    h.bytesInAvailableBlocks +
    h.unusedPools * h.poolSize +
    h.bytesLostToPoolHeaders +
    h.bytesLostToQuantization +
    h.bytesLostToArenaAlignment
  );
}

/* ---- the collector ---- */

export function gcLines(g: GcSummary): string[] {
  const rows = g.generations.map((gen, i) => [String(i), thousands(gen.collections), thousands(gen.collected), thousands(gen.uncollectable)]);
  const p = g.pauses;
  return [
    ...table(['generation', 'collections', 'collected', 'uncollectable'], rows),
    '',
    p.count
      ? `pauses: ${thousands(p.count)} · total ${ms(p.totalMs)} · p50 ${ms(p.p50Ms)} · p99 ${ms(p.p99Ms)} · max ${ms(p.maxMs)}`
      : 'pauses: none',
  ];
}

function errorLines(r: RunResult): string[] {
  const e = r.error!;
  return ['', errorSummary(e), ...indent(e.stack)];
}

/**
 * One line for a failed run: the thread that raised, or for a failure outside the programs
 * (the watchdog, the runtime, the results function, the heap check) what found it.
 */
export function errorSummary(e: RunError): string {
  const outside = /^\((.*)\)$/.exec(e.thread);
  return outside ? `${e.type} (${outside[1]}): ${e.message}` : `thread '${e.thread}' raised ${e.type}: ${e.message}`;
}

function indent(stack: string): string[] {
  return stack
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => `    ${l.trim()}`);
}

/*
 * The JSON result (`--json <file>`): issue 6's documented shape, plus a few extra fields
 * (`version`, `description`, config extras, `phases`, per-thread `phase`/`program`/`wallMs`,
 * `missing`, `error`). The timeline is left out: it goes to the trace. A pure function of a
 * RunResult; json-shape.ts checks the shape.
 */

import type { RunResult } from '../scenario/result.ts';

export const JSON_FORMAT_VERSION = 1;

export function toJson(r: RunResult): Record<string, unknown> {
  const c = r.config;
  return {
    version: JSON_FORMAT_VERSION,
    scenario: r.scenario,
    description: r.description,
    params: { ...r.params },
    config: { ...c, gcThresholds: [...c.gcThresholds] },
    wallMs: r.wallMs,
    results: { ...r.results },
    threads: r.threads.map((t) => ({
      name: t.name,
      phase: t.phase,
      program: t.program,
      wallMs: t.wallMs,
      bytecodes: t.bytecodes,
      gil: { ...t.gil },
    })),
    gil: { ...r.gil },
    heap: { ...r.heap, sizeClasses: r.heap.sizeClasses.map((s) => ({ ...s })) },
    gc: {
      generations: r.gc.generations.map((g) => ({ ...g })),
      pauses: { ...r.gc.pauses },
    },
    phases: r.phases.map((p) => ({
      name: p.name,
      wallMs: p.wallMs,
      threads: [...p.threads],
      gil: { ...p.gil },
      heap: {
        arenasCurrent: p.heap.arenasCurrent,
        arenasHighwater: p.heap.arenasHighwater,
        bytesInAllocatedBlocks: p.heap.bytesInAllocatedBlocks,
      },
      gc: { generations: p.gc.generations.map((g) => ({ ...g })), pauses: { ...p.gc.pauses } },
    })),
    missing: [...r.missing],
    ...(r.error ? { error: { ...r.error } } : {}),
  };
}

export function toJsonText(r: RunResult): string {
  return JSON.stringify(toJson(r), null, 2) + '\n';
}

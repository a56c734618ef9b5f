/*
 * fragmentation: why a Python process does not give memory back.
 *
 * Allocate many small objects, free all but every k-th, and count the arenas: an arena is
 * returned only when every pool in it is empty, and one survivor per pool keeps the pool, so
 * almost no arena can be reclaimed although most of the memory is free. Then free the rest: the
 * arenas go back (all but the one pymalloc keeps against thrashing).
 */

import { defineScenario, param } from '../src/scenario/define.ts';
import type { Py, PyObject } from '../src/runtime/types.ts';
import { ratio, round } from '../src/scenario/stats.ts';

interface Shared {
  keep: PyObject;
}

function makeList(py: Py): Shared {
  return { keep: py.list() };
}

function dropList(py: Py, s: Shared): void {
  py.decref(s.keep);
}

/** Append `n` new floats to `keep`. */
function fill(py: Py, keep: PyObject, n: number): number {
  for (let i = 0; i < n; i++) {
    const f = py.float(i + 0.5);
    py.append(keep, f);
    py.decref(f);
    py.tick();
  }
  return n;
}

/** Replace every item but each k-th by None (freeing it); returns the survivors. */
function thin(py: Py, keep: PyObject, k: number): number {
  const n = py.len(keep);
  let kept = 0;
  for (let i = 0; i < n; i++) {
    if (i % k === 0) kept++;
    else py.setitem(keep, i, py.None);
    py.tick();
  }
  return kept;
}

/** Replace every item by None. */
function clear(py: Py, keep: PyObject): number {
  const n = py.len(keep);
  for (let i = 0; i < n; i++) {
    py.setitem(keep, i, py.None);
    py.tick();
  }
  return n;
}

export default defineScenario({
  name: 'fragmentation',
  description: 'allocate many small objects, free all but every k-th: arenas that cannot go back',
  about:
    'One thread allocates `objects` floats (allocate), frees all but every k-th (thin), then the ' +
    'rest (clear); the heap is measured after each phase. Look at arenasAfterThin against ' +
    'arenasAfterAlloc: one live block per pool pins its arena, so few arenas are reclaimed ' +
    'though only 1/k of the objects live (usedFractionAfterThin). After clear all but one go back.',
  params: {
    objects: param.int({ default: 200_000, min: 1, description: 'small objects to allocate' }),
    keepEvery: param.int({ default: 64, min: 1, description: 'keep every k-th object in thin' }),
  },
  programs: { makeList, dropList, fill, thin, clear },
  setup: 'makeList',
  teardown: 'dropList',
  phases: ({ params: p, shared }) => {
    const { keep } = shared as Shared;
    return [
      { name: 'allocate', threads: [{ name: 'fill', program: 'fill' as const, args: [keep, p.objects] }] },
      { name: 'thin', threads: [{ name: 'thin', program: 'thin' as const, args: [keep, p.keepEvery] }] },
      { name: 'clear', threads: [{ name: 'clear', program: 'clear' as const, args: [keep] }] },
    ];
  },
  results: (r) => {
    const a = r.phase('allocate').heap;
    const t = r.phase('thin').heap;
    const c = r.phase('clear').heap;
    const arenaBytes = t.arenasCurrent * t.arenaSize;
    return {
      arenasAfterAlloc: a.arenasCurrent,
      arenasAfterThin: t.arenasCurrent,
      arenasAfterClear: c.arenasCurrent,
      reclaimedByThin: a.arenasCurrent - t.arenasCurrent,
      liveAfterThin: r.phase('thin').value('thin') as number,
      usedFractionAfterThin: round(ratio(t.bytesInAllocatedBlocks, arenaBytes), 4),
    };
  },
});

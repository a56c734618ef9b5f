/*
 * A validator for the JSON result's documented shape (issue 6, point 5). It checks that every
 * documented field is present with the right type; extra fields are allowed ("at least").
 * Returns the problems found, each with its path (`threads[0].gil.waitMs: expected number`);
 * an empty list means the document is valid.
 */

type Shape = 'number' | 'string' | 'boolean' | 'object' | Shape[] | { readonly [k: string]: Shape } | ((v: unknown) => string | undefined);

const finiteNumber = 'number' as const;

const GIL_THREAD = {
  acquisitions: finiteNumber,
  waitMs: finiteNumber,
  holdMs: finiteNumber,
  waitP50Us: finiteNumber,
  waitP99Us: finiteNumber,
  dropRequests: finiteNumber,
  forcedDrops: finiteNumber,
};

const threeNumbers = (v: unknown): string | undefined =>
  Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number') ? undefined : 'expected an array of 3 numbers';

const flatValues = (v: unknown): string | undefined => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'expected an object';
  for (const [k, x] of Object.entries(v)) {
    if (x !== null && !['number', 'string', 'boolean'].includes(typeof x)) return `${k}: expected a number, string, boolean or null`;
  }
  return undefined;
};

/** The documented shape. Arrays of one shape mean "an array whose every item has this shape". */
export const RUN_JSON_SHAPE: Shape = {
  scenario: 'string',
  params: flatValues,
  config: {
    python: 'string',
    gil: 'string',
    switchIntervalMs: finiteNumber,
    checkInterval: finiteNumber,
    refcount: 'string',
    gcThresholds: threeNumbers,
  },
  wallMs: finiteNumber,
  results: flatValues,
  threads: [{ name: 'string', bytecodes: finiteNumber, gil: GIL_THREAD }],
  gil: { switches: finiteNumber, heldFraction: finiteNumber, contendedFraction: finiteNumber },
  heap: {
    arenasAllocated: finiteNumber,
    arenasReclaimed: finiteNumber,
    arenasHighwater: finiteNumber,
    arenasCurrent: finiteNumber,
    bytesInAllocatedBlocks: finiteNumber,
    sizeClasses: [{ class: finiteNumber, size: finiteNumber, pools: finiteNumber, blocksInUse: finiteNumber, availBlocks: finiteNumber }],
  },
  gc: {
    generations: [{ collections: finiteNumber, collected: finiteNumber, uncollectable: finiteNumber }],
    pauses: { count: finiteNumber, totalMs: finiteNumber, maxMs: finiteNumber, p50Ms: finiteNumber, p99Ms: finiteNumber },
  },
};

/** Problems with `doc` against the documented shape (empty when valid). */
export function validateRunJson(doc: unknown): string[] {
  const problems: string[] = [];
  check(doc, RUN_JSON_SHAPE, '', problems);
  // Beyond types: the facts the shape implies.
  if (problems.length === 0) {
    const d = doc as { gil: Record<string, number>; gc: { generations: unknown[] } };
    for (const k of ['heldFraction', 'contendedFraction']) {
      const f = d.gil[k]!;
      if (f < 0 || f > 1) problems.push(`gil.${k}: expected a fraction in 0..1, got ${f}`);
    }
    if (d.gc.generations.length !== 3) problems.push(`gc.generations: expected 3 generations, got ${d.gc.generations.length}`);
  }
  return problems;
}

function check(v: unknown, shape: Shape, path: string, out: string[]): void {
  const at = path || '(root)';
  if (typeof shape === 'function') {
    const why = shape(v);
    if (why) out.push(`${at}: ${why}`);
    return;
  }
  if (typeof shape === 'string') {
    if (shape === 'object' ? typeof v !== 'object' || v === null : typeof v !== shape) {
      out.push(`${at}: expected ${shape}, got ${describe(v)}`);
    } else if (shape === 'number' && !Number.isFinite(v)) {
      out.push(`${at}: expected a finite number, got ${String(v)}`);
    }
    return;
  }
  if (Array.isArray(shape)) {
    if (!Array.isArray(v)) {
      out.push(`${at}: expected an array, got ${describe(v)}`);
      return;
    }
    v.forEach((item, i) => check(item, shape[0]!, `${path}[${i}]`, out));
    return;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    out.push(`${at}: expected an object, got ${describe(v)}`);
    return;
  }
  const o = v as Record<string, unknown>;
  for (const [k, s] of Object.entries(shape)) {
    const p = path ? `${path}.${k}` : k;
    if (!(k in o)) out.push(`${p}: missing`);
    else check(o[k], s, p, out);
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v;
}

/*
 * Runtime configuration and the Python profiles.
 *
 * A profile bundles what a CPython version does: its GIL, its allocator geometry, its collector
 * thresholds and its reference counting. Every part can be overridden on its own (the CLI flags
 * --gil, --switch-interval, --refcount, --gc-threshold, ...). The resolved config is written into
 * the buffer header's config line (H_CONFIG) so that workers read the same one.
 */

import { ConfigError } from '../errors.ts';
import type { GilPolicyName } from '../gil/policy.ts';
import { H_CONFIG, type HeapProfile, type Memory } from '../heap/layout.ts';
import type { RefcountKind } from '../objects/refcount/strategy.ts';

export type { GilPolicyName, RefcountKind };
export type PythonProfile = '2.7' | '3.11' | '3.13' | '3.13t';

export const PYTHON_PROFILES: readonly PythonProfile[] = ['2.7', '3.11', '3.13', '3.13t'];
export const GIL_POLICIES: readonly GilPolicyName[] = ['new', 'legacy', 'none', 'fifo'];
export const REFCOUNT_KINDS: readonly RefcountKind[] = ['plain', 'atomic', 'biased'];

export interface RuntimeConfig {
  python: PythonProfile;
  heapProfile: HeapProfile;
  gil: GilPolicyName;
  /** the new GIL's switch interval, ms (CPython default 5 ms) */
  switchIntervalMs: number;
  /** the legacy GIL's check interval, ticks (CPython 2.7 default 100) */
  checkInterval: number;
  refcount: RefcountKind;
  gcThresholds: [number, number, number];
  /** free-threaded collection: stop the world */
  stopTheWorldGc: boolean;
}

interface ProfileDefaults extends RuntimeConfig {}

const PROFILES: Record<PythonProfile, ProfileDefaults> = {
  '2.7': {
    python: '2.7',
    heapProfile: 'legacy',
    gil: 'legacy',
    switchIntervalMs: 5,
    checkInterval: 100,
    refcount: 'plain',
    gcThresholds: [700, 10, 10],
    stopTheWorldGc: false,
  },
  '3.11': {
    python: '3.11',
    heapProfile: '3.11',
    gil: 'new',
    switchIntervalMs: 5,
    checkInterval: 100,
    refcount: 'plain',
    gcThresholds: [700, 10, 10],
    stopTheWorldGc: false,
  },
  '3.13': {
    python: '3.13',
    heapProfile: '3.11',
    gil: 'new',
    switchIntervalMs: 5,
    checkInterval: 100,
    refcount: 'plain',
    gcThresholds: [2000, 10, 10],
    stopTheWorldGc: false,
  },
  '3.13t': {
    python: '3.13t',
    heapProfile: '3.11',
    gil: 'none',
    switchIntervalMs: 5,
    checkInterval: 100,
    refcount: 'biased',
    gcThresholds: [2000, 10, 10],
    stopTheWorldGc: true,
  },
};

export type ConfigOverrides = Partial<Omit<RuntimeConfig, 'python'>> & { python?: PythonProfile };

/** Resolve a profile plus overrides into a full config, validating every field. */
export function resolveConfig(o: ConfigOverrides = {}): RuntimeConfig {
  const python = o.python ?? '3.11';
  if (!PYTHON_PROFILES.includes(python)) {
    throw new ConfigError(`unknown python profile '${python}' (expected one of ${PYTHON_PROFILES.join(', ')})`);
  }
  const base = PROFILES[python];
  const c: RuntimeConfig = {
    ...base,
    ...Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)),
    gcThresholds: [...(o.gcThresholds ?? base.gcThresholds)] as [number, number, number],
  };
  // Without a GIL, the collector must stop the world whatever the profile said.
  if (o.stopTheWorldGc === undefined) c.stopTheWorldGc = c.gil === 'none';
  // Without a GIL, plain (non-atomic) refcounts would lose updates; default to atomic.
  if (o.refcount === undefined && c.gil === 'none' && c.refcount === 'plain') c.refcount = 'atomic';
  if (o.refcount === undefined && c.gil !== 'none' && base.gil === 'none') c.refcount = 'plain';
  validate(c);
  return c;
}

function validate(c: RuntimeConfig): void {
  if (!GIL_POLICIES.includes(c.gil)) {
    throw new ConfigError(`unknown GIL policy '${c.gil}' (expected one of ${GIL_POLICIES.join(', ')})`);
  }
  if (!REFCOUNT_KINDS.includes(c.refcount)) {
    throw new ConfigError(`unknown refcount strategy '${c.refcount}' (expected one of ${REFCOUNT_KINDS.join(', ')})`);
  }
  if (c.heapProfile !== '3.11' && c.heapProfile !== 'legacy') {
    throw new ConfigError(`unknown heap profile '${c.heapProfile}' (expected 3.11 or legacy)`);
  }
  if (!(c.switchIntervalMs > 0 && c.switchIntervalMs <= 10_000)) {
    throw new ConfigError(`switch interval must be > 0 and <= 10000 ms, got ${c.switchIntervalMs}`);
  }
  if (!(Number.isInteger(c.checkInterval) && c.checkInterval >= 1 && c.checkInterval <= 1e9)) {
    throw new ConfigError(`check interval must be a whole number of ticks >= 1, got ${c.checkInterval}`);
  }
  if (c.gcThresholds.length !== 3 || c.gcThresholds.some((t) => !Number.isInteger(t) || t < 0)) {
    throw new ConfigError(`gc thresholds must be three whole numbers >= 0, got ${c.gcThresholds.join(',')}`);
  }
}

/* ---- the config line of the header (H_CONFIG .. H_CONFIG + 15), Int32 words ---- */
const C_PYTHON = H_CONFIG + 0;
const C_GIL = H_CONFIG + 1;
const C_REFCOUNT = H_CONFIG + 2;
const C_SWITCH_US = H_CONFIG + 3;
const C_CHECK = H_CONFIG + 4;
const C_GC0 = H_CONFIG + 5; // 5, 6, 7
const C_STW = H_CONFIG + 8;

export function writeConfig(mem: Memory, c: RuntimeConfig): void {
  const i32 = mem.i32;
  i32[C_PYTHON] = PYTHON_PROFILES.indexOf(c.python);
  i32[C_GIL] = GIL_POLICIES.indexOf(c.gil);
  i32[C_REFCOUNT] = REFCOUNT_KINDS.indexOf(c.refcount);
  i32[C_SWITCH_US] = Math.round(c.switchIntervalMs * 1000);
  i32[C_CHECK] = c.checkInterval;
  for (let g = 0; g < 3; g++) i32[C_GC0 + g] = c.gcThresholds[g]!;
  i32[C_STW] = c.stopTheWorldGc ? 1 : 0;
}

export function readConfig(mem: Memory, heapProfile: HeapProfile): RuntimeConfig {
  const i32 = mem.i32;
  return {
    python: PYTHON_PROFILES[i32[C_PYTHON]!]!,
    heapProfile,
    gil: GIL_POLICIES[i32[C_GIL]!]!,
    refcount: REFCOUNT_KINDS[i32[C_REFCOUNT]!]!,
    switchIntervalMs: i32[C_SWITCH_US]! / 1000,
    checkInterval: i32[C_CHECK]!,
    gcThresholds: [i32[C_GC0]!, i32[C_GC0 + 1]!, i32[C_GC0 + 2]!],
    stopTheWorldGc: i32[C_STW] === 1,
  };
}

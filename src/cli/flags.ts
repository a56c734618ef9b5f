/*
 * Command-line flags: parsing and validation, each bad value reported with its flag and why.
 *
 * Parsing is node:util parseArgs (strict: an unknown flag is a usage error). Validation turns the
 * strings into a configuration: the profile (`--python`) and its overrides go through
 * resolveConfig (src/runtime/config.ts), which owns the profile table; this file only checks each
 * value's form first, so that an error names the flag the user typed.
 */

import { parseArgs } from 'node:util';
import { ConfigError } from '../errors.ts';
import { GIL_POLICIES, PYTHON_PROFILES, REFCOUNT_KINDS, resolveConfig, type ConfigOverrides, type GilPolicyName, type PythonProfile, type RefcountKind, type RuntimeConfig } from '../runtime/config.ts';
import { MAX_BUFFER_BYTES, DEFAULT_MAX_BYTES } from '../heap/layout.ts';
import { parseNumber } from '../scenario/params.ts';

/** A usage error: exit code 2, the message says which flag and why. */
export class UsageError extends ConfigError {
  /** the command whose help to point at */
  readonly command: string | undefined;
  constructor(message: string, command?: string) {
    super(message);
    this.command = command;
  }
}

export const FLAG_OPTIONS = {
  python: { type: 'string' },
  gil: { type: 'string' },
  'switch-interval': { type: 'string' },
  'check-interval': { type: 'string' },
  refcount: { type: 'string' },
  'gc-threshold': { type: 'string' },
  'heap-max': { type: 'string' },
  threads: { type: 'string' },
  param: { type: 'string', multiple: true, short: 'p' },
  seed: { type: 'string' },
  json: { type: 'string' },
  trace: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const;

export type FlagName = keyof typeof FLAG_OPTIONS;

export interface RawFlags {
  python?: string;
  gil?: string;
  'switch-interval'?: string;
  'check-interval'?: string;
  refcount?: string;
  'gc-threshold'?: string;
  'heap-max'?: string;
  threads?: string;
  param?: string[];
  seed?: string;
  json?: string;
  trace?: string;
  quiet?: boolean;
  help?: boolean;
  version?: boolean;
}

export interface ParsedArgs {
  positionals: string[];
  flags: RawFlags;
}

/** Parse argv (after the command word). Unknown flags and missing values are usage errors. */
export function parseFlags(argv: readonly string[], command?: string): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options: FLAG_OPTIONS, allowPositionals: true, strict: true });
    return { positionals, flags: values as RawFlags };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new UsageError(cleanParseError(msg), command);
  }
}

function cleanParseError(msg: string): string {
  // node's messages are long ("Unknown option '--x'. To specify a positional argument starting
  // with a '-', place it at the end of the command after '--', as in '-- \"--x\"")
  const unknown = /Unknown option '([^']+)'/.exec(msg);
  if (unknown) return `unknown flag ${unknown[1]}`;
  const needs = /Option '(?:-\w, )?(--[\w-]+) <value>' argument missing/.exec(msg);
  if (needs) return `${needs[1]}: needs a value`;
  return msg.split('. ')[0]!;
}

/* ---- single values ---- */

const bad = (flag: string, why: string, command?: string): UsageError => new UsageError(`--${flag}: ${why}`, command);

export function parseProfile(v: string): PythonProfile {
  if (!(PYTHON_PROFILES as readonly string[]).includes(v)) throw bad('python', `expected one of ${PYTHON_PROFILES.join(', ')}, got '${v}'`);
  return v as PythonProfile;
}

export function parseGil(v: string): GilPolicyName {
  if (!(GIL_POLICIES as readonly string[]).includes(v)) throw bad('gil', `expected one of ${GIL_POLICIES.join(', ')}, got '${v}'`);
  return v as GilPolicyName;
}

export function parseRefcount(v: string): RefcountKind {
  if (!(REFCOUNT_KINDS as readonly string[]).includes(v)) throw bad('refcount', `expected one of ${REFCOUNT_KINDS.join(', ')}, got '${v}'`);
  return v as RefcountKind;
}

export function parseSwitchInterval(v: string): number {
  const n = parseNumber(v);
  if (!(n > 0 && n <= 10_000)) throw bad('switch-interval', `expected milliseconds > 0 and <= 10000, got '${v}'`);
  return n;
}

export function parseCheckInterval(v: string): number {
  const n = parseNumber(v);
  if (!(Number.isInteger(n) && n >= 1 && n <= 1e9)) throw bad('check-interval', `expected a whole number of ticks >= 1, got '${v}'`);
  return n;
}

export function parseThresholds(v: string): [number, number, number] {
  const parts = v.split(/[,/]/).map((s) => parseNumber(s));
  if (parts.length !== 3 || parts.some((n) => !Number.isInteger(n) || n < 0)) {
    throw bad('gc-threshold', `expected three whole numbers >= 0 like 700,10,10, got '${v}'`);
  }
  return parts as [number, number, number];
}

export function parseThreads(v: string): number {
  const n = parseNumber(v);
  if (!(Number.isInteger(n) && n >= 0 && n <= 1024)) throw bad('threads', `expected a whole number 0..1024, got '${v}'`);
  return n;
}

export function parseSeed(v: string): number {
  const n = parseNumber(v);
  if (!(Number.isInteger(n) && n >= 0 && n <= 2 ** 32 - 1)) throw bad('seed', `expected a whole number 0..4294967295, got '${v}'`);
  return n;
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30 };

/** `256m`, `1g`, `1.5G`, `512MiB`, `1048576`: bytes (binary units). */
export function parseSize(v: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?\s*$/i.exec(v);
  if (!m) throw bad('heap-max', `expected a size like 256m or 1g, got '${v}'`);
  const bytes = Math.floor(Number(m[1]) * SIZE_UNITS[m[2]!.toLowerCase()]!);
  if (bytes > MAX_BUFFER_BYTES) {
    throw bad('heap-max', `${v} is more than one buffer can address (at most ${Math.floor(MAX_BUFFER_BYTES / 2 ** 20)}m)`);
  }
  if (bytes < MIN_HEAP_BYTES) throw bad('heap-max', `${v} is too small (at least ${MIN_HEAP_BYTES / 2 ** 20}m)`);
  return bytes;
}

/** Below this the fixed regions (thread table, trace rings, allocator and GC state) do not fit. */
export const MIN_HEAP_BYTES = 8 * 2 ** 20;

/** `k=v` pairs from repeated --param flags. */
export function parseParamFlags(list: readonly string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list) {
    const i = kv.indexOf('=');
    if (i <= 0) throw bad('param', `expected key=value, got '${kv}'`);
    out[kv.slice(0, i).trim()] = kv.slice(i + 1).trim();
  }
  return out;
}

/** A comma-separated list flag (`--python 2.7,3.11`), each item parsed by `one`. */
export function parseList<T>(v: string, one: (s: string) => T): T[] {
  const items = v.split(',').map((s) => s.trim()).filter(Boolean);
  return items.map(one);
}

/* ---- the configuration of one run ---- */

export interface RunSettings {
  config: RuntimeConfig;
  heapMaxBytes: number;
  seed: number;
}

export const DEFAULT_SEED = 1;

/**
 * The configuration from the flags: `--python` picks the profile, each other flag overrides its
 * part. `over` replaces single flags (compare and sweep vary one).
 */
export function settingsFromFlags(f: RawFlags, over: Partial<ConfigOverrides> = {}): RunSettings {
  const o: ConfigOverrides = {};
  if (f.python !== undefined) o.python = parseProfile(f.python);
  if (f.gil !== undefined) o.gil = parseGil(f.gil);
  if (f['switch-interval'] !== undefined) o.switchIntervalMs = parseSwitchInterval(f['switch-interval']);
  if (f['check-interval'] !== undefined) o.checkInterval = parseCheckInterval(f['check-interval']);
  if (f.refcount !== undefined) o.refcount = parseRefcount(f.refcount);
  if (f['gc-threshold'] !== undefined) o.gcThresholds = parseThresholds(f['gc-threshold']);
  Object.assign(o, over);
  let config: RuntimeConfig;
  try {
    config = resolveConfig(o);
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
  return {
    config,
    heapMaxBytes: f['heap-max'] !== undefined ? parseSize(f['heap-max']) : DEFAULT_MAX_BYTES,
    seed: f.seed !== undefined ? parseSeed(f.seed) : DEFAULT_SEED,
  };
}

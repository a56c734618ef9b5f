/*
 * Scenario parameters: a small validated schema.
 *
 * A scenario declares its knobs once, each with a type, a default, optional bounds and a line of
 * description. The same declaration validates `--param key=value` on the command line, fills in
 * defaults, types the values the scenario's code sees, and writes the help text. No dependency:
 * five kinds (int, number, bool, string, enum) cover what a workload needs.
 */

import { ConfigError } from '../errors.ts';

interface BaseSpec<K extends string, T> {
  readonly kind: K;
  readonly default: T;
  readonly description: string;
}
export interface IntSpec extends BaseSpec<'int', number> {
  readonly min?: number;
  readonly max?: number;
}
export interface NumberSpec extends BaseSpec<'number', number> {
  readonly min?: number;
  readonly max?: number;
}
export type BoolSpec = BaseSpec<'bool', boolean>;
export type StringSpec = BaseSpec<'string', string>;
export interface EnumSpec<V extends string = string> extends BaseSpec<'enum', V> {
  readonly values: readonly V[];
}

export type ParamSpec = IntSpec | NumberSpec | BoolSpec | StringSpec | EnumSpec;
export type ParamSchema = Readonly<Record<string, ParamSpec>>;
export type ParamValue = number | boolean | string;

/** The values a schema yields: `{ n: int(...) }` gives `{ n: number }`. */
export type ParamValues<S extends ParamSchema> = {
  readonly [K in keyof S]: S[K] extends EnumSpec<infer V> ? V : S[K]['default'];
};

/** A bad parameter: which one and why. */
export class ParamError extends ConfigError {
  readonly param: string;
  constructor(param: string, reason: string) {
    super(`--param ${param}: ${reason}`);
    this.param = param;
  }
}

type Opts<S> = Omit<S, 'kind'>;

/** The schema builders: `param.int({ default: 4, min: 1, description: '...' })`. */
export const param = {
  int: (o: Opts<IntSpec>): IntSpec => checked({ kind: 'int', ...o }),
  number: (o: Opts<NumberSpec>): NumberSpec => checked({ kind: 'number', ...o }),
  bool: (o: Opts<BoolSpec>): BoolSpec => ({ kind: 'bool', ...o }),
  string: (o: Opts<StringSpec>): StringSpec => ({ kind: 'string', ...o }),
  enum: <const V extends string>(o: Opts<EnumSpec<V>>): EnumSpec<V> => checked({ kind: 'enum', ...o }),
};

/** A schema whose default breaks its own rules is a bug in the scenario: say so at definition. */
function checked<S extends ParamSpec>(spec: S): S {
  const reason = violation(spec, spec.default);
  if (reason) throw new ConfigError(`parameter default ${String(spec.default)} is invalid: ${reason}`);
  return spec;
}

/** Why `v` is not acceptable for `spec`, or undefined when it is. */
function violation(spec: ParamSpec, v: ParamValue): string | undefined {
  switch (spec.kind) {
    case 'int':
    case 'number': {
      if (typeof v !== 'number' || !Number.isFinite(v)) return 'expected a number';
      if (spec.kind === 'int' && !Number.isInteger(v)) return 'expected a whole number';
      if (spec.min !== undefined && v < spec.min) return `must be >= ${spec.min}`;
      if (spec.max !== undefined && v > spec.max) return `must be <= ${spec.max}`;
      return undefined;
    }
    case 'bool':
      return typeof v === 'boolean' ? undefined : 'expected true or false';
    case 'string':
      return typeof v === 'string' ? undefined : 'expected a string';
    case 'enum':
      return typeof v === 'string' && spec.values.includes(v) ? undefined : `expected one of ${spec.values.join(', ')}`;
  }
}

const TRUE_WORDS = ['true', 'yes', 'on', '1'];
const FALSE_WORDS = ['false', 'no', 'off', '0'];

/**
 * Parse a number as people type it: `2000000`, `2_000_000`, `2e6`, `2k`, `1.5m` (k = 1e3, m = 1e6).
 * NaN when it is not a number.
 */
export function parseNumber(raw: string): number {
  const s = raw.trim().replace(/_/g, '').toLowerCase();
  const m = /^([-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)([km]?)$/.exec(s);
  if (!m) return NaN;
  const scale = m[2] === 'k' ? 1e3 : m[2] === 'm' ? 1e6 : 1;
  return Number(m[1]) * scale;
}

/** Parse one raw command-line value for a parameter; throws ParamError saying why. */
export function parseParam(name: string, spec: ParamSpec, raw: string): ParamValue {
  let v: ParamValue;
  switch (spec.kind) {
    case 'int':
    case 'number':
      v = parseNumber(raw);
      if (Number.isNaN(v)) throw new ParamError(name, `'${raw}' is not a number`);
      break;
    case 'bool': {
      const w = raw.trim().toLowerCase();
      if (TRUE_WORDS.includes(w)) v = true;
      else if (FALSE_WORDS.includes(w)) v = false;
      else throw new ParamError(name, `'${raw}' is not true or false`);
      break;
    }
    default:
      v = raw;
  }
  const reason = violation(spec, v);
  if (reason) throw new ParamError(name, `${reason}, got '${raw}'`);
  return v;
}

/**
 * Defaults overlaid with raw `key=value` overrides, every one validated. An unknown key is an
 * error naming the known ones.
 */
export function resolveParams<S extends ParamSchema>(schema: S, raw: Readonly<Record<string, string>> = {}): ParamValues<S> {
  const out: Record<string, ParamValue> = {};
  for (const [k, spec] of Object.entries(schema)) out[k] = spec.default;
  for (const [k, text] of Object.entries(raw)) {
    const spec = schema[k];
    if (!spec) {
      const known = Object.keys(schema);
      throw new ParamError(k, `unknown parameter (known: ${known.length ? known.join(', ') : 'none'})`);
    }
    out[k] = parseParam(k, spec, text);
  }
  return out as ParamValues<S>;
}

/** One help line per parameter: `  n   int   2000000   total countdown steps (>= 1)`. */
export function describeParams(schema: ParamSchema): string[] {
  const rows = Object.entries(schema).map(([k, s]) => {
    const type = s.kind === 'enum' ? s.values.join('|') : s.kind;
    const bounds: string[] = [];
    if ((s.kind === 'int' || s.kind === 'number') && s.min !== undefined) bounds.push(`>= ${s.min}`);
    if ((s.kind === 'int' || s.kind === 'number') && s.max !== undefined) bounds.push(`<= ${s.max}`);
    const desc = s.description + (bounds.length ? ` (${bounds.join(', ')})` : '');
    return [k, type, String(s.default), desc] as const;
  });
  const w = [0, 1, 2].map((i) => Math.max(0, ...rows.map((r) => r[i]!.length)));
  return rows.map((r) => `  ${r[0].padEnd(w[0]!)}  ${r[1].padEnd(w[1]!)}  ${r[2].padEnd(w[2]!)}  ${r[3]}`);
}

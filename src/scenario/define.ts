/*
 * The scenario format.
 *
 * A scenario is a workload plus the figures it derives. It is one TypeScript module whose
 * default export (or any named export) is `defineScenario({...})`:
 *
 *   export default defineScenario({
 *     name: 'cpu-bound',
 *     description: 'the classic countdown, sequential then threaded',
 *     params: { n: param.int({ default: 200_000, min: 1, description: 'steps in all' }),
 *               threads: param.int({ default: 2, min: 1, max: 64, description: 'threads' }) },
 *     programs: {
 *       countdown(py, n: number) { ... },          // a thread program: runs on a worker thread
 *     },
 *     phases: ({ params: p }) => [
 *       { name: 'sequential', threads: [{ name: 'count', program: 'countdown', args: [p.n] }] },
 *       { name: 'threaded', threads: range(p.threads).map((i) => ({ name: `count-${i}`, program: 'countdown', args: [p.n / p.threads] })) },
 *     ],
 *     results: (r) => ({ sequentialMs: r.phase('sequential').wallMs, ... }),
 *   });
 *
 * Phases run one after the other in the same runtime (the same heap, the same collector); the
 * threads of one phase run together and the phase ends when all of them have ended. A thread
 * names its program by its key in `programs`: the worker thread imports the scenario module by
 * path, finds the scenario by name among its exports and calls `programs[program](py, ...args)`.
 * So programs must be plain functions of `py` and JSON-able arguments: they cannot close over
 * anything of the coordinator's (each worker has its own copy of the module).
 *
 * Objects the threads share (a queue, a lock, one object to fight over) are made by the `setup`
 * program, which runs in a thread of its own before the first phase: what it returns (handles are
 * numbers) is `ctx.shared`, available to `phases(ctx)` to put into thread arguments. The
 * `teardown` program, if any, runs last with `shared` as its argument to drop them.
 *
 * `threads(ctx)` is shorthand for a single phase named 'main'.
 */

import { ConfigError } from '../errors.ts';
import type { Py } from '../runtime/types.ts';
import type { ParamSchema, ParamValue, ParamValues } from './params.ts';
import type { GcSummary, GilSummary, HeapSummary, Results, ThreadReport } from './result.ts';

/** A thread program: a function of the thread's `py` and JSON-able arguments. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Program = (py: Py, ...args: any[]) => unknown;
export type Programs = Readonly<Record<string, Program>>;

export interface ThreadSpec<N extends string = string> {
  /** the thread's name in reports (unique within its phase) */
  name: string;
  /** a key of the scenario's `programs` */
  program: N;
  /** JSON-able arguments after `py` */
  args?: readonly unknown[];
}

export interface PhaseSpec<N extends string = string> {
  name: string;
  threads: readonly ThreadSpec<N>[];
}

/** What `phases`/`threads` see. */
export interface ScenarioContext<P> {
  params: P;
  /** the run's seed (`--seed`), for programs that draw random numbers */
  seed: number;
  /** what the setup program returned (undefined without one) */
  shared: unknown;
}

/** A thread as the results see it: what its program returned, and how long it ran. */
export interface ThreadOutcome {
  name: string;
  program: string;
  /** the program's return value */
  value: unknown;
  wallMs: number;
  report?: ThreadReport;
}

export interface PhaseOutcome {
  name: string;
  wallMs: number;
  threads: readonly ThreadOutcome[];
  /** measured at the end of the phase */
  heap: HeapSummary;
  gc: GcSummary;
  /** over the phase alone */
  gil: GilSummary;
  /** the return value of the thread named `name` (throws if there is none) */
  value(name: string): unknown;
  /** the return values of every thread that ran `program`, in start order */
  values(program: string): unknown[];
}

export interface ResultsContext<P> {
  params: P;
  shared: unknown;
  wallMs: number;
  phases: readonly PhaseOutcome[];
  /** the phase called `name` (throws if there is none) */
  phase(name: string): PhaseOutcome;
  /** at the end of the run */
  heap: HeapSummary;
  gc: GcSummary;
  /** over the whole run */
  gil: GilSummary;
}

export interface ScenarioDefinition<S extends ParamSchema, G extends Programs> {
  /** lower-case words joined by '-' */
  name: string;
  /** one line for `gilsim list` */
  description: string;
  /** a paragraph for `gilsim run <name> --help` (what it shows, what to look at) */
  about?: string;
  params: S;
  programs: G;
  /** the program that makes the shared objects; gets `(py, params)` */
  setup?: keyof G & string;
  /** the program that drops them; gets `(py, shared)` */
  teardown?: keyof G & string;
  threads?: (ctx: ScenarioContext<ParamValues<S>>) => readonly ThreadSpec<keyof G & string>[];
  phases?: (ctx: ScenarioContext<ParamValues<S>>) => readonly PhaseSpec<keyof G & string>[];
  results: (r: ResultsContext<ParamValues<S>>) => Results;
  /** the parameter `--threads <n>` sets (default: `threads` when the schema has one) */
  threadsParam?: keyof S & string;
}

/** Marks an object as a scenario, so a loader can find it among a module's exports. */
export const SCENARIO = Symbol.for('gilsim.scenario');

export type AnyParams = Readonly<Record<string, ParamValue>>;

/**
 * A defined scenario as the runner sees it (the author's precise types erased): the definition,
 * checked, plus `plan`, which gives the phases for a context.
 */
export interface Scenario {
  readonly [SCENARIO]: true;
  readonly name: string;
  readonly description: string;
  readonly about?: string;
  readonly params: ParamSchema;
  readonly programs: Programs;
  readonly setup?: string;
  readonly teardown?: string;
  readonly threadsParam?: string;
  /** the phases for a context (`threads` becomes one phase named 'main') */
  plan(ctx: ScenarioContext<AnyParams>): readonly PhaseSpec[];
  results(r: ResultsContext<AnyParams>): Results;
  /**
   * A thread program the runner starts on every worker before the first phase: loading the
   * scenario module and warming the py calls there, so that a phase's threads start together
   * instead of one of them paying for a module load while the others run alone.
   */
  warmup(py: Py, steps: number, holdMs: number): number;
}

const NAME_RE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

type LooseDefinition = ScenarioDefinition<ParamSchema, Programs>;

/** Define a scenario: checks the definition at once, so a mistake shows where it was made. */
export function defineScenario<S extends ParamSchema, const G extends Programs>(def: ScenarioDefinition<S, G>): Scenario {
  const d = def as unknown as LooseDefinition;
  checkDefinition(d);
  const plan = (ctx: ScenarioContext<AnyParams>): readonly PhaseSpec[] => {
    const phases = d.phases ? d.phases(ctx) : [{ name: 'main', threads: d.threads!(ctx) }];
    checkPlan(d, phases);
    return phases;
  };
  return Object.freeze({
    [SCENARIO]: true as const,
    name: d.name,
    description: d.description,
    about: d.about,
    params: d.params,
    programs: d.programs,
    setup: d.setup,
    teardown: d.teardown,
    threadsParam: d.threadsParam,
    plan,
    results: (r: ResultsContext<AnyParams>) => d.results(r),
    warmup,
  });
}

/**
 * Warm the worker: count an int down from `steps` (new ints, comparisons, decrefs: the py calls
 * most programs make, so the JIT has compiled them before anything is measured), then sleep
 * `holdMs` so that every warm-up thread is given a worker of its own.
 */
function warmup(py: Py, steps: number, holdMs: number): number {
  const zero = py.int(0);
  const one = py.int(1);
  let n = py.int(steps);
  for (;;) {
    const more = py.gt(n, zero);
    const go = py.truthy(more);
    py.decref(more);
    if (!go) break;
    const next = py.sub(n, one);
    py.decref(n);
    n = next;
    py.tick();
  }
  py.decref(n);
  py.decref(one);
  py.decref(zero);
  py.time.sleep(holdMs);
  return steps;
}

export function isScenario(x: unknown): x is Scenario {
  return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[SCENARIO] === true;
}

function checkDefinition(def: LooseDefinition): void {
  const where = `scenario '${def.name}'`;
  if (typeof def.name !== 'string' || !NAME_RE.test(def.name)) {
    throw new ConfigError(`scenario name '${String(def.name)}' must be lower-case words joined by '-'`);
  }
  if (!def.threads === !def.phases) throw new ConfigError(`${where}: give exactly one of 'threads' or 'phases'`);
  if (typeof def.results !== 'function') throw new ConfigError(`${where}: 'results' must be a function`);
  for (const [k, fn] of Object.entries(def.programs ?? {})) {
    if (typeof fn !== 'function') throw new ConfigError(`${where}: program '${k}' is not a function`);
  }
  for (const role of ['setup', 'teardown'] as const) {
    const p = def[role];
    if (p !== undefined && !def.programs[p]) throw new ConfigError(`${where}: ${role} program '${p}' is not in programs`);
  }
  if (def.threadsParam !== undefined && !def.params[def.threadsParam]) {
    throw new ConfigError(`${where}: threadsParam '${def.threadsParam}' is not a parameter`);
  }
}

function checkPlan(def: LooseDefinition, phases: readonly PhaseSpec[]): void {
  const where = `scenario '${def.name}'`;
  if (phases.length === 0) throw new ConfigError(`${where}: no phases to run`);
  const phaseNames = new Set<string>();
  for (const ph of phases) {
    if (phaseNames.has(ph.name)) throw new ConfigError(`${where}: two phases named '${ph.name}'`);
    phaseNames.add(ph.name);
    if (ph.threads.length === 0) throw new ConfigError(`${where}: phase '${ph.name}' has no threads`);
    const names = new Set<string>();
    for (const t of ph.threads) {
      if (!def.programs[t.program]) {
        throw new ConfigError(
          `${where}: thread '${t.name}' runs program '${t.program}', which is not one of ${Object.keys(def.programs).join(', ')}`,
        );
      }
      if (names.has(t.name)) throw new ConfigError(`${where}: two threads named '${t.name}' in phase '${ph.name}'`);
      names.add(t.name);
    }
  }
}

/** The parameter `--threads` sets for this scenario, if any. */
export function threadsParamOf(s: Scenario): string | undefined {
  if (s.threadsParam) return s.threadsParam;
  return s.params.threads ? 'threads' : undefined;
}

/** 0, 1, ... n-1: for building thread lists. */
export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

export { param } from './params.ts';

/*
 * The commands: list, run, compare, sweep, tour. Each takes the parsed flags and an Io (where to
 * print, where the files go, which engine to run on) and returns the exit code.
 */

import { existsSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { ConfigOverrides } from '../runtime/config.ts';
import { renderComparison, type Column } from '../report/compare.ts';
import { toJson, toJsonText } from '../report/json.ts';
import { errorSummary, renderText } from '../report/text.ts';
import { toTraceText } from '../report/trace.ts';
import { threadsParamOf, type AnyParams } from '../scenario/define.ts';
import type { EngineFactory } from '../scenario/engine.ts';
import { resolveParams } from '../scenario/params.ts';
import { loadBuiltins, loadScenario, type LoadedScenario } from '../scenario/registry.ts';
import type { RunResult } from '../scenario/result.ts';
import { runScenario } from '../scenario/runner.ts';
import {
  parseCheckInterval,
  parseGil,
  parseList,
  parseParamFlags,
  parseProfile,
  parseRefcount,
  parseSwitchInterval,
  parseThreads,
  settingsFromFlags,
  UsageError,
  type RawFlags,
  type RunSettings,
} from './flags.ts';
import { HELP, scenarioHelp } from './help.ts';
import { Progress, type ProgressSink } from './progress.ts';

export interface Io {
  stdout: { write(s: string): unknown };
  stderr: ProgressSink;
  cwd: string;
  /** the engine factory (loaded lazily: list and help never load the runtime) */
  engine: () => Promise<EngineFactory>;
}

export const EXIT_OK = 0;
export const EXIT_RAISED = 1;
export const EXIT_USAGE = 2;

/* ---- list ---- */

export async function cmdList(io: Io): Promise<number> {
  const all = await loadBuiltins();
  const w = Math.max(...all.map((l) => l.scenario.name.length));
  const lines = all.map((l) => `  ${l.scenario.name.padEnd(w)}  ${l.scenario.description}`);
  io.stdout.write(`Built-in scenarios (gilsim run <name> --help for parameters):\n${lines.join('\n')}\n`);
  return EXIT_OK;
}

/* ---- run ---- */

export async function cmdRun(io: Io, positionals: string[], f: RawFlags): Promise<number> {
  const loaded = await scenarioArg(io, positionals, f, 'run');
  if (!loaded) return EXIT_OK; // help was printed
  const settings = settingsFromFlags(f);
  const params = paramsFrom(loaded, f, f.threads);
  const out = outputPaths(io, f);
  const progress = new Progress(io.stderr, f.quiet === true);
  const r = await runOnce(io, loaded, params, settings, progress, `${loaded.scenario.name} (python ${settings.config.python})`);
  if (!f.quiet) io.stdout.write(renderText(r));
  if (out.json) writeFileSync(out.json, toJsonText(r));
  if (out.trace) writeFileSync(out.trace, toTraceText(r));
  if (r.error) {
    io.stderr.write(`gilsim: ${errorSummary(r.error)}\n`);
    return EXIT_RAISED;
  }
  return EXIT_OK;
}

/* ---- compare ---- */

const COMPARE_AXES = ['python', 'gil', 'refcount', 'switch-interval', 'check-interval'] as const;
type CompareAxis = (typeof COMPARE_AXES)[number];
export const DEFAULT_COMPARE_PROFILES = '2.7,3.11,3.13t';

export async function cmdCompare(io: Io, positionals: string[], f: RawFlags): Promise<number> {
  const loaded = await scenarioArg(io, positionals, f, 'compare');
  if (!loaded) return EXIT_OK;
  if (f.trace) throw new UsageError('--trace: only with gilsim run (one run, one trace)', 'compare');
  const lists = COMPARE_AXES.filter((a) => f[a]?.includes(','));
  if (lists.length > 1) throw new UsageError(`compare varies one flag at a time; got lists for ${lists.map((a) => `--${a}`).join(' and ')}`, 'compare');
  const axis: CompareAxis = lists[0] ?? 'python';
  const raw = f[axis] ?? DEFAULT_COMPARE_PROFILES;
  const values = parseList(raw, (v) => {
    axisOverride(axis, v); // validate each value now, before anything runs
    return v;
  });
  if (values.length === 0) throw new UsageError(`--${axis}: expected a comma-separated list`, 'compare');
  const params = paramsFrom(loaded, f, f.threads);
  const runs = values.map((v) => ({ label: labelOf(axis, v), settings: settingsFromFlags({ ...f, [axis]: undefined }, axisOverride(axis, v)), params }));
  return multiRun(io, f, loaded, `gilsim compare ${loaded.scenario.name} --${axis} ${values.join(',')}`, runs, 'compare');
}

function axisOverride(axis: CompareAxis, v: string): Partial<ConfigOverrides> {
  switch (axis) {
    case 'python':
      return { python: parseProfile(v) };
    case 'gil':
      return { gil: parseGil(v) };
    case 'refcount':
      return { refcount: parseRefcount(v) };
    case 'switch-interval':
      return { switchIntervalMs: parseSwitchInterval(v) };
    case 'check-interval':
      return { checkInterval: parseCheckInterval(v) };
  }
}

function labelOf(axis: CompareAxis, v: string): string {
  if (axis === 'switch-interval') return `${v}ms`;
  if (axis === 'check-interval') return `check ${v}`;
  return v;
}

/* ---- sweep ---- */

export async function cmdSweep(io: Io, positionals: string[], f: RawFlags): Promise<number> {
  const loaded = await scenarioArg(io, positionals, f, 'sweep');
  if (!loaded) return EXIT_OK;
  if (f.trace) throw new UsageError('--trace: only with gilsim run (one run, one trace)', 'sweep');
  const s = loaded.scenario;
  const pairs = parseParamFlags(f.param);
  const listed = Object.entries(pairs).filter(([, v]) => v.includes(','));
  let key: string;
  let values: string[];
  let rest = pairs;
  if (f.threads !== undefined) {
    if (listed.length) throw new UsageError('sweep varies one thing at a time: --threads or one --param list, not both', 'sweep');
    const tp = threadsParamOf(s);
    if (!tp) throw new UsageError(`--threads: scenario '${s.name}' has no thread-count parameter`, 'sweep');
    key = tp;
    values = parseList(f.threads, (v) => String(parseThreads(v)));
  } else if (listed.length === 1) {
    [key, values] = [listed[0]![0], listed[0]![1].split(',').map((x) => x.trim()).filter(Boolean)];
    rest = Object.fromEntries(Object.entries(pairs).filter(([k]) => k !== key));
  } else if (listed.length > 1) {
    throw new UsageError(`sweep varies one parameter at a time; got lists for ${listed.map(([k]) => k).join(' and ')}`, 'sweep');
  } else {
    throw new UsageError('sweep: give --threads 1,2,4,8 (or --param key=a,b,c)', 'sweep');
  }
  if (values.length === 0) throw new UsageError(`sweep: no values for ${key}`, 'sweep');
  const settings = settingsFromFlags(f);
  const runs = values.map((v) => ({
    label: `${key}=${v}`,
    settings,
    params: paramsOf(loaded, { ...rest, [key]: v }),
  }));
  const title = `gilsim sweep ${s.name} (python ${settings.config.python}) over ${key} = ${values.join(', ')}`;
  return multiRun(io, f, loaded, title, runs, 'sweep');
}

/* ---- tour ---- */

export const TOUR_PROFILES = ['2.7', '3.11', '3.13t'] as const;

export async function cmdTour(io: Io, f: RawFlags): Promise<number> {
  const say = (s: string): void => {
    if (!f.quiet) io.stdout.write(s + '\n');
  };
  say(TOUR_INTRO);
  let code = EXIT_OK;
  for (const step of TOUR_STEPS) {
    say(`\n${step.title}\n`);
    const loaded = await loadScenario(step.scenario, io.cwd);
    const params = paramsOf(loaded, step.params ?? {});
    const runs = TOUR_PROFILES.map((p) => ({ label: p, settings: settingsFromFlags({ python: p }), params }));
    const flags = Object.entries(step.params ?? {}).map(([k, v]) => ` --param ${k}=${v}`).join('');
    const c = await multiRun(io, { quiet: f.quiet }, loaded, `gilsim compare ${step.scenario}${flags}`, runs, 'tour');
    code = Math.max(code, c);
    say(step.look.map((l) => `  > ${l}`).join('\n'));
  }
  say(TOUR_OUTRO);
  return code;
}

const TOUR_INTRO = `gilsim tour: CPython's GIL on real threads, three ways.
  2.7    the old GIL: the running thread lets go every 100 ticks and, on several cores,
         usually takes it straight back
  3.11   the new GIL: a waiting thread asks the holder to drop it after the 5 ms switch interval
  3.13t  no GIL: threads run at once; per-thread pools, biased reference counts`;

interface TourStep {
  scenario: string;
  /** parameters other than the scenario's defaults */
  params?: Record<string, string>;
  title: string;
  look: string[];
}

const TOUR_STEPS: TourStep[] = [
  {
    scenario: 'convoy',
    title: '1. convoy: an I/O thread making 1000 calls that complete at once, alone and then beside a CPU-bound thread',
    look: [
      'slowdown: how much longer the I/O calls took with a CPU thread beside them.',
      'Under 3.11 a call that completes at once usually takes the GIL straight back, before the',
      '  waiting CPU thread wakes (callP50Us: a few us); the few that lose the race wait a whole',
      '  switch interval (callP99Us, worst wait p99 us).',
      "Under 2.7 the I/O thread all but shuts the CPU thread out; under 3.13t there is no GIL.",
    ],
  },
  {
    scenario: 'convoy',
    params: { calls: '100', ioMs: '0.01' },
    title: '2. convoy again, each call now blocking for 10 us (a real, short wait): the convoy effect',
    look: [
      'Under 3.11 the CPU thread takes the GIL during every call, and the I/O thread must wait',
      '  about one switch interval (5,000 us) to get it back: callP50Us near 5,000 and a slowdown',
      '  in the tens (bpo-7946). Try --switch-interval 1 with gilsim compare convoy.',
    ],
  },
  {
    scenario: 'cpu-bound',
    title: '3. cpu-bound: a countdown, on one thread and then split across two',
    look: [
      'slowdown = threadedMs / sequentialMs. With a GIL two threads do the work one after the',
      '  other, so about 1 (3.11), or worse (2.7: a release every 100 ticks, and on several cores',
      '  the releasing thread mostly takes the lock straight back: see forced drops).',
      'Under 3.13t the halves can run at once if two cores are free.',
      'switches/s and contended: how often the GIL changed hands, and how much of the time a',
      '  thread was waiting for it. (Timings are real: on a busy machine they wander.)',
    ],
  },
];

const TOUR_OUTRO = `
Next:
  gilsim list                                   the other scenarios
  gilsim run convoy --trace convoy.json         then open convoy.json at https://ui.perfetto.dev
  gilsim compare cpu-bound --gil new,legacy,fifo --threads 4
  gilsim sweep alloc-storm --threads 1,2,4 --python 3.13t`;

/* ---- shared steps ---- */

/** Load the scenario named by the first positional; print its help instead when asked. */
async function scenarioArg(io: Io, positionals: string[], f: RawFlags, command: 'run' | 'compare' | 'sweep'): Promise<LoadedScenario | undefined> {
  if (positionals.length === 0) {
    if (f.help) {
      io.stdout.write(HELP[command] + '\n');
      return undefined;
    }
    throw new UsageError(`${command}: which scenario? (gilsim list shows them)`, command);
  }
  if (positionals.length > 1) throw new UsageError(`${command}: one scenario at a time, got ${positionals.join(' ')}`, command);
  const loaded = await loadScenario(positionals[0]!, io.cwd);
  if (f.help) {
    io.stdout.write(scenarioHelp(loaded.scenario, command) + '\n');
    return undefined;
  }
  return loaded;
}

/** The scenario's parameters from --param and --threads. */
function paramsFrom(loaded: LoadedScenario, f: RawFlags, threads: string | undefined): AnyParams {
  const raw = parseParamFlags(f.param);
  if (threads !== undefined) {
    const tp = threadsParamOf(loaded.scenario);
    if (!tp) throw new UsageError(`--threads: scenario '${loaded.scenario.name}' has no thread-count parameter`);
    if (raw[tp] !== undefined) throw new UsageError(`--threads and --param ${tp} both set the thread count: give one`);
    raw[tp] = String(parseThreads(threads));
  }
  return paramsOf(loaded, raw);
}

function paramsOf(loaded: LoadedScenario, raw: Record<string, string>): AnyParams {
  return resolveParams(loaded.scenario.params, raw);
}

/** Check that the output files can be written before a long run, not after. */
function outputPaths(io: Io, f: RawFlags): { json?: string; trace?: string } {
  const out: { json?: string; trace?: string } = {};
  for (const k of ['json', 'trace'] as const) {
    const p = f[k];
    if (p === undefined) continue;
    const full = resolve(io.cwd, p);
    const dir = dirname(full);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`--${k}: directory ${dir} does not exist`);
    if (existsSync(full) && statSync(full).isDirectory()) throw new UsageError(`--${k}: ${full} is a directory`);
    out[k] = full;
  }
  return out;
}

async function runOnce(io: Io, loaded: LoadedScenario, params: AnyParams, s: RunSettings, progress: Progress, label: string): Promise<RunResult> {
  const engine = await io.engine();
  progress.begin(label);
  try {
    return await runScenario({
      loaded,
      params,
      config: s.config,
      heapMaxBytes: s.heapMaxBytes,
      seed: s.seed,
      engine,
      onProgress: (p) => progress.setPhase(p.count > 1 && p.index >= 0 && p.index < p.count ? `${p.phase} (${p.index + 1}/${p.count})` : p.phase),
    });
  } finally {
    progress.end();
  }
}

interface PlannedRun {
  label: string;
  settings: RunSettings;
  params: AnyParams;
}

async function multiRun(io: Io, f: RawFlags, loaded: LoadedScenario, title: string, runs: PlannedRun[], command: string): Promise<number> {
  const out = outputPaths(io, f);
  const progress = new Progress(io.stderr, f.quiet === true);
  const cols: Column[] = [];
  for (const [i, r] of runs.entries()) {
    const result = await runOnce(io, loaded, r.params, r.settings, progress, `${loaded.scenario.name} ${r.label} (${i + 1}/${runs.length})`);
    cols.push({ label: r.label, result });
  }
  if (!f.quiet) io.stdout.write(renderComparison(title, cols));
  if (out.json) {
    const doc = { command, scenario: loaded.scenario.name, runs: cols.map((c) => ({ label: c.label, ...toJson(c.result) })) };
    writeFileSync(out.json, JSON.stringify(doc, null, 2) + '\n');
  }
  const failed = cols.filter((c) => c.result.error);
  for (const c of failed) io.stderr.write(`gilsim: ${c.label}: ${errorSummary(c.result.error!)}\n`);
  return failed.length ? EXIT_RAISED : EXIT_OK;
}

/*
 * The runner: one run of one scenario under one configuration, start to RunResult.
 *
 *   make the engine (a runtime for the config)
 *   setup program (one thread)       -> ctx.shared
 *   for each phase of scenario.plan(ctx):
 *       read the GIL counters; start the phase's threads; wait for all of them
 *       read each thread's counters and timeline, the heap, the collector, the GIL again
 *   teardown program (one thread)
 *   scenario.results(phases...)      -> the scenario's own figures
 *
 * While a phase runs the runner samples the heap (bytes in use, arenas) for the trace's
 * counters. A thread that raises ends the run: the result carries the error (thread name, type,
 * message, stack), the phases measured so far, and no results.
 */

import { DeadlockError, ThreadError } from '../errors.ts';
import type { RuntimeConfig } from '../runtime/config.ts';
import type { AnyParams, PhaseOutcome, PhaseSpec, ResultsContext, Scenario, ScenarioContext, ThreadOutcome } from './define.ts';
import type { Engine, EngineFactory, EngineThreadResult, GcCounters, GilCounters } from './engine.ts';
import type { LoadedScenario } from './registry.ts';
import type {
  GcSummary,
  GilSummary,
  HeapSample,
  HeapSummary,
  PhaseReport,
  Results,
  RunError,
  RunResult,
  ThreadReport,
  TimelineTrack,
} from './result.ts';
import { max, percentile, perSecond, ratio, sum } from './stats.ts';

export interface RunProgress {
  phase: string;
  /** 0-based index of the phase; -1 for setup, phases.length for teardown */
  index: number;
  count: number;
}

export interface RunOptions {
  loaded: LoadedScenario;
  params: AnyParams;
  config: RuntimeConfig;
  heapMaxBytes: number;
  seed: number;
  /** timeline events per thread (0 = none); the default keeps enough for a trace */
  traceEvents?: number;
  /** how often to sample the heap while a phase runs, ms (0 = never) */
  heapSampleMs?: number;
  onProgress?: (p: RunProgress) => void;
  engine: EngineFactory;
}

export const DEFAULT_TRACE_EVENTS = 16384;
export const DEFAULT_HEAP_SAMPLE_MS = 10;
/** thread-table slots beyond the scenario's threads (the main thread, a margin) */
const SPARE_THREADS = 2;

const now = (): number => performance.timeOrigin + performance.now();

/** Warm-up: steps of each warm-up thread's countdown, and how long it then holds its worker. */
const WARMUP_STEPS = 20_000;
const WARMUP_HOLD_MS = 20;

export async function runScenario(o: RunOptions): Promise<RunResult> {
  const { scenario } = o.loaded;
  const shape = planShape(scenario, o.params, o.seed);
  // every thread of the run, warm-up included: a slot is not reused within a run
  const maxThreads = shape.total + shape.widest + SPARE_THREADS;
  const engine = await o.engine({
    config: o.config,
    heapMaxBytes: o.heapMaxBytes,
    maxThreads,
    traceEvents: o.traceEvents ?? DEFAULT_TRACE_EVENTS,
    seed: o.seed,
  });
  try {
    return await new Run(o, engine, shape.widest).run();
  } finally {
    await engine.close();
  }
}

/** One run's bookkeeping. */
class Run {
  private readonly o: RunOptions;
  private readonly s: Scenario;
  private readonly engine: Engine;
  private readonly startedAt = now();
  private readonly outcomes: PhaseOutcome[] = [];
  private readonly reports: PhaseReport[] = [];
  private readonly threads: ThreadReport[] = [];
  private readonly tracks: TimelineTrack[] = [];
  private readonly heapSamples: HeapSample[] = [];
  private error: RunError | undefined;
  private gilFirst: GilCounters | undefined;
  private gilLast: GilCounters | undefined;
  private measuredMs = 0;
  private readonly widest: number;

  constructor(o: RunOptions, engine: Engine, widest: number) {
    this.o = o;
    this.s = o.loaded.scenario;
    this.engine = engine;
    this.widest = widest;
  }

  async run(): Promise<RunResult> {
    const ctx: ScenarioContext<AnyParams> = { params: this.o.params, seed: this.o.seed, shared: undefined };
    let phases: readonly PhaseSpec[] = [];
    this.progress('warm-up', -1, 0);
    await this.warmup();
    if (!this.error && this.s.setup) {
      this.progress('setup', -1, 0);
      const r = await this.helper(this.s.setup, [this.o.params]);
      if (r) ctx.shared = r.value;
    }
    if (!this.error) {
      phases = this.s.plan(ctx);
      for (let i = 0; i < phases.length && !this.error; i++) {
        this.progress(phases[i]!.name, i, phases.length);
        await this.phase(phases[i]!, phases.length > 1);
      }
    }
    if (!this.error && this.s.teardown) {
      this.progress('teardown', phases.length, phases.length);
      await this.helper(this.s.teardown, [ctx.shared]);
    }
    const wallMs = now() - this.startedAt;
    const results = this.error ? {} : this.results(ctx, wallMs);
    if (!this.error) this.verifyHeap();
    return this.result(wallMs, results);
  }

  /** Every thread has ended: the heap must be sound, or the run failed (whatever it measured). */
  private verifyHeap(): void {
    if (!this.engine.verify) return;
    this.progress('verify', -1, 0);
    let problems: string[];
    try {
      problems = this.engine.verify();
    } catch (e) {
      problems = [`the verifier itself failed: ${describeError(e).message}`];
    }
    if (problems.length === 0) return;
    const shown = problems.slice(0, MAX_PROBLEMS_SHOWN).join('; ');
    const more = problems.length > MAX_PROBLEMS_SHOWN ? ` (and ${problems.length - MAX_PROBLEMS_SHOWN} more)` : '';
    this.error = { thread: '(heap)', type: 'HeapCorruption', message: `the heap is unsound after the run: ${shown}${more}`, stack: '' };
  }

  private progress(phase: string, index: number, count: number): void {
    this.o.onProgress?.({ phase, index, count });
  }

  /** Run setup or teardown: one thread, not measured as a phase. */
  private async helper(program: string, args: unknown[]): Promise<EngineThreadResult | undefined> {
    const out = await this.start([{ name: program, program, args }]);
    return out?.[0];
  }

  /** One warm-up thread per worker the widest phase needs (see Scenario.warmup). */
  private async warmup(): Promise<void> {
    const { moduleUrl, exportName } = this.o.loaded;
    const n = Math.max(1, this.widest);
    try {
      await this.engine.runThreads(
        Array.from({ length: n }, (_, i) => ({
          name: `warmup-${i}`,
          moduleUrl,
          fn: `${exportName}.warmup`,
          program: 'warmup',
          args: [WARMUP_STEPS, WARMUP_HOLD_MS],
        })),
      );
    } catch (e) {
      this.error = runErrorOf(e);
    }
  }

  private async start(threads: readonly { name: string; program: string; args?: readonly unknown[] }[]): Promise<EngineThreadResult[] | undefined> {
    const { moduleUrl, exportName } = this.o.loaded;
    try {
      return await this.engine.runThreads(
        threads.map((t) => ({ name: t.name, moduleUrl, fn: `${exportName}.programs.${t.program}`, program: t.program, args: t.args ?? [] })),
      );
    } catch (e) {
      this.error = runErrorOf(e);
      return undefined;
    }
  }

  private async phase(spec: PhaseSpec, prefixNames: boolean): Promise<void> {
    const gil0 = this.engine.gilCounters();
    this.gilFirst ??= gil0;
    const sampler = this.startSampling();
    const posted = now();
    const ran = await this.start(spec.threads);
    const settled = now();
    clearInterval(sampler);
    this.sample();
    if (!ran) {
      // A thread raised: the GIL figures still cover the time the phase ran until then.
      this.gilLast = safe(() => this.engine.gilCounters(), gil0);
      this.measuredMs += settled - posted;
      return;
    }
    // The phase is the span its programs ran (from the first start to the last end, on the
    // workers): posting the tasks and carrying the outcomes back are not the workload's time.
    const t0 = ran.length ? Math.min(...ran.map((r) => r.startedAt)) : posted;
    const t1 = ran.length ? Math.max(...ran.map((r) => r.endedAt)) : settled;
    const wallMs = t1 > t0 ? t1 - t0 : settled - posted;
    const gil1 = this.engine.gilCounters();
    this.gilLast = gil1;
    this.measuredMs += wallMs;
    const gil = gilSummary(this.o.config.gil, gil0, gil1, wallMs);
    const heap = this.engine.heap();
    const gc = gcSummary(this.engine.gc());
    const outs: ThreadOutcome[] = ran.map((r, i) => {
      const t = spec.threads[i]!;
      const report = this.threadReport(spec.name, t.program, r);
      this.threads.push(report);
      const tl = this.engine.timeline(r.ident);
      this.tracks.push({
        name: prefixNames ? `${spec.name}/${t.name}` : t.name,
        tid: this.tracks.length + 1,
        lost: tl.lost,
        events: tl.events.map((e) => ({ ...e, t: e.t - this.startedAt })),
      });
      return { name: t.name, program: t.program, value: r.value, wallMs: r.endedAt - r.startedAt, report };
    });
    this.outcomes.push(phaseOutcome(spec.name, wallMs, outs, heap, gc, gil));
    this.reports.push({ name: spec.name, startMs: t0 - this.startedAt, wallMs, threads: outs.map((t) => t.name), gil, heap, gc });
  }

  private threadReport(phase: string, program: string, r: EngineThreadResult): ThreadReport {
    const { bytecodes, ...gil } = this.engine.threadCounters(r.ident);
    return { name: r.name, phase, program, wallMs: r.endedAt - r.startedAt, bytecodes, gil };
  }

  private startSampling(): ReturnType<typeof setInterval> | undefined {
    const every = this.o.heapSampleMs ?? DEFAULT_HEAP_SAMPLE_MS;
    this.sample();
    return every > 0 ? setInterval(() => this.sample(), every) : undefined;
  }

  private sample(): void {
    const h = this.engine.heapSample();
    this.heapSamples.push({ t: now() - this.startedAt, bytesInUse: h.bytesInUse, arenas: h.arenas });
  }

  private results(ctx: ScenarioContext<AnyParams>, wallMs: number): Results {
    const last = this.outcomes.at(-1)!;
    const rc: ResultsContext<AnyParams> = {
      params: ctx.params,
      shared: ctx.shared,
      wallMs,
      phases: this.outcomes,
      phase: (name) => {
        const p = this.outcomes.find((x) => x.name === name);
        if (!p) throw new Error(`no phase named '${name}' (phases: ${this.outcomes.map((x) => x.name).join(', ')})`);
        return p;
      },
      heap: last.heap,
      gc: last.gc,
      gil: this.runGil(),
    };
    try {
      return this.s.results(rc);
    } catch (e) {
      this.error = { thread: '(results)', ...describeError(e) };
      return {};
    }
  }

  private runGil(): GilSummary {
    const zero = { switches: 0, heldMs: 0, contendedMs: 0 };
    return gilSummary(this.o.config.gil, this.gilFirst ?? zero, this.gilLast ?? zero, this.measuredMs);
  }

  private result(wallMs: number, results: Results): RunResult {
    const c = this.o.config;
    const heap = this.reports.at(-1)?.heap ?? safe(() => this.engine.heap(), emptyHeap(c.heapProfile));
    const gc = this.reports.at(-1)?.gc ?? gcSummary(safe(() => this.engine.gc(), { generations: [], pausesMs: [] }));
    return {
      scenario: this.s.name,
      description: this.s.description,
      params: { ...this.o.params },
      config: {
        python: c.python,
        gil: c.gil,
        switchIntervalMs: c.switchIntervalMs,
        checkInterval: c.checkInterval,
        refcount: c.refcount,
        gcThresholds: [...c.gcThresholds],
        stopTheWorldGc: c.stopTheWorldGc,
        heapProfile: c.heapProfile,
        heapMaxBytes: this.o.heapMaxBytes,
        seed: this.o.seed,
      },
      startedAt: this.startedAt,
      wallMs,
      results,
      phases: this.reports,
      threads: this.threads,
      gil: this.runGil(),
      heap,
      gc,
      timeline: { tracks: this.tracks, heap: this.heapSamples },
      missing: [...this.engine.missing],
      ...(this.error ? { error: this.error } : {}),
    };
  }
}

/* ---- summaries ---- */

export function gilSummary(policy: RuntimeConfig['gil'], a: GilCounters, b: GilCounters, wallMs: number): GilSummary {
  const switches = b.switches - a.switches;
  const heldMs = Math.max(0, b.heldMs - a.heldMs);
  const contendedMs = Math.max(0, b.contendedMs - a.contendedMs);
  const frac = (x: number): number => Math.min(1, ratio(x, wallMs));
  return {
    policy,
    switches,
    switchesPerSec: perSecond(switches, wallMs),
    heldMs,
    contendedMs,
    heldFraction: frac(heldMs),
    contendedFraction: frac(contendedMs),
  };
}

export function gcSummary(g: GcCounters): GcSummary {
  const generations = [0, 1, 2].map((i) => g.generations[i] ?? { collections: 0, collected: 0, uncollectable: 0 });
  const p = g.pausesMs;
  return {
    generations: generations.map((x) => ({ ...x })),
    pauses: { count: p.length, totalMs: sum(p), maxMs: max(p), p50Ms: percentile(p, 50), p99Ms: percentile(p, 99) },
  };
}

export function emptyHeap(profile: '3.11' | 'legacy'): HeapSummary {
  const legacy = profile === 'legacy';
  return {
    profile,
    smallRequestThreshold: 512,
    numSizeClasses: legacy ? 64 : 32,
    poolSize: legacy ? 4096 : 16384,
    arenaSize: legacy ? 262144 : 1048576,
    arenasAllocated: 0,
    arenasReclaimed: 0,
    arenasHighwater: 0,
    arenasCurrent: 0,
    bytesInAllocatedBlocks: 0,
    bytesInAvailableBlocks: 0,
    unusedPools: 0,
    bytesLostToPoolHeaders: 0,
    bytesLostToQuantization: 0,
    bytesLostToArenaAlignment: 0,
    rawBytesInUse: 0,
    sizeClasses: [],
  };
}

function phaseOutcome(
  name: string,
  wallMs: number,
  threads: ThreadOutcome[],
  heap: HeapSummary,
  gc: GcSummary,
  gil: GilSummary,
): PhaseOutcome {
  return {
    name,
    wallMs,
    threads,
    heap,
    gc,
    gil,
    value(thread) {
      const t = threads.find((x) => x.name === thread);
      if (!t) throw new Error(`phase '${name}' has no thread '${thread}'`);
      return t.value;
    },
    values: (program) => threads.filter((t) => t.program === program).map((t) => t.value),
  };
}

/* ---- errors ---- */

/** Heap problems quoted in a failed run's message (verifyHeap may report many). */
const MAX_PROBLEMS_SHOWN = 5;

function runErrorOf(e: unknown): RunError {
  if (e instanceof ThreadError) {
    const d = describeError(e);
    const inner = e.message.replace(/^thread '.*?' raised: /, '');
    return { thread: e.threadName, type: typeOf(inner, e.threadStack), message: stripType(inner), stack: e.threadStack || d.stack };
  }
  if (e instanceof DeadlockError) return { thread: '(watchdog)', type: 'DeadlockError', message: e.message, stack: '' };
  return { thread: '(runtime)', ...describeError(e) };
}

function describeError(e: unknown): Omit<RunError, 'thread'> {
  if (e instanceof Error) {
    const type = (e as { pyType?: string }).pyType ?? e.name;
    return { type, message: e.message, stack: e.stack ?? '' };
  }
  return { type: 'Error', message: String(e), stack: '' };
}

/** An exception type name at the start of a message: 'KeyError: ', 'Error: ', 'Empty: ' */
const TYPE_PREFIX = /^((?:[A-Za-z_][\w.]*)?(?:Error|Exception|Empty|Full|Exit|Interrupt)): /;

/** 'KeyError: x' -> 'KeyError'; else the first line of the stack, 'Name: ...' */
function typeOf(message: string, stack: string): string {
  const m = TYPE_PREFIX.exec(message) ?? /^([A-Za-z_][\w.]*): /.exec(stack);
  return m ? m[1]! : 'Error';
}

function stripType(message: string): string {
  return message.replace(TYPE_PREFIX, '');
}

function safe<T>(f: () => T, fallback: T): T {
  try {
    return f();
  } catch {
    return fallback;
  }
}

/* ---- sizing ---- */

/**
 * How many threads the run will start (setup + every phase + teardown; `total`, to size the
 * thread table) and how many run at once at most (`widest`, the workers to warm up). The phases
 * may depend on what setup returns, which is not known yet: plan with a stand-in `shared` that
 * answers every property with itself and converts to 0.
 */
export function planShape(s: Scenario, params: AnyParams, seed: number): { total: number; widest: number } {
  const helpers = (s.setup ? 1 : 0) + (s.teardown ? 1 : 0);
  try {
    const phases = s.plan({ params, seed, shared: standIn() });
    const sizes = phases.map((p) => p.threads.length);
    return { total: helpers + sum(sizes), widest: Math.max(1, ...sizes) };
  } catch {
    return { total: helpers + FALLBACK_THREADS, widest: FALLBACK_THREADS };
  }
}

/** Threads in a run. */
export function countThreads(s: Scenario, params: AnyParams, seed: number): number {
  return planShape(s, params, seed).total;
}

const FALLBACK_THREADS = 64;

function standIn(): unknown {
  const target = function () {};
  const proxy: unknown = new Proxy(target, {
    get: (_t, k) => (k === Symbol.toPrimitive ? () => 0 : k === Symbol.iterator ? undefined : proxy),
    apply: () => proxy,
  });
  return proxy;
}

/*
 * The benchmark runner: `npm run bench [-- name ...]`.
 *
 * Runs every bench/<name>.bench.ts (or only the names given), each of which default-exports
 * `async function (): Promise<Record<string, number>>` returning flat figures such as
 * `{ 'heap.alloc_free_32.ns': 8.1 }`. Prints one table of all figures and merges them into
 * bench/results/latest.json (one flat JSON object, figure name -> number, keys sorted), so that
 * running one benchmark file updates its figures and keeps the others'.
 *
 * Files run one after another (never in parallel: the machines have 2 cores and the figures are
 * timings), each in a fresh Node process: in one shared process a file's figures depend on what
 * ran before it (V8's type feedback at the allocator's and object space's call sites turns
 * polymorphic once a run has used both the GIL heap and the per-thread heaps, which slowed
 * heap.alloc_free_32 from ~5.7 to ~14 ns). A file that throws is reported and the runner exits
 * with status 1 after the others have run; its old figures stay in latest.json.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const RESULTS_FILE = path.join(BENCH_DIR, 'results', 'latest.json');
const SUFFIX = '.bench.ts';

type Figures = Record<string, number>;

async function benchNames(): Promise<string[]> {
  const files = await readdir(BENCH_DIR);
  return files
    .filter((f) => f.endsWith(SUFFIX))
    .map((f) => f.slice(0, -SUFFIX.length))
    .sort();
}

function checkFigures(name: string, figures: unknown): Figures {
  if (typeof figures !== 'object' || figures === null || Array.isArray(figures)) {
    throw new TypeError(`${name}${SUFFIX} must resolve to an object of figures`);
  }
  for (const [key, value] of Object.entries(figures)) {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new TypeError(`${name}${SUFFIX}: figure '${key}' is not a finite number (${String(value)})`);
    }
  }
  return figures as Figures;
}

/** The line a child process prints its figures on (everything else it prints goes to stderr). */
const FIGURES_MARK = '@@gilsim-bench-figures ';
const CHILD_FLAG = '--one';

/** Run one bench file in this process (what a child does). */
async function runHere(name: string): Promise<Figures> {
  const mod = (await import(pathToFileURL(path.join(BENCH_DIR, name + SUFFIX)).href)) as { default?: unknown };
  if (typeof mod.default !== 'function') throw new TypeError(`${name}${SUFFIX} has no default-exported function`);
  return checkFigures(name, await (mod.default as () => Promise<unknown>)());
}

/** Run one bench file in a fresh Node process (with the same TypeScript loader as this one). */
function runOne(name: string): Figures {
  const loader = process.execArgv.length > 0 ? process.execArgv : ['--import', 'tsx'];
  const r = spawnSync(process.execPath, [...loader, fileURLToPath(import.meta.url), CHILD_FLAG, name], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
  });
  const line = r.stdout.split('\n').find((l) => l.startsWith(FIGURES_MARK));
  if (r.status !== 0 || line === undefined) {
    throw new Error(`${name}${SUFFIX} exited with ${r.status ?? r.signal}${line === undefined ? ' and no figures' : ''}`);
  }
  return checkFigures(name, JSON.parse(line.slice(FIGURES_MARK.length)));
}

/** The child's side: run the file, print its figures on one marked line. */
async function child(name: string): Promise<number> {
  // bench files may log: keep stdout for the figures line
  console.log = (...args: unknown[]) => process.stderr.write(args.join(' ') + '\n');
  const figures = await runHere(name);
  process.stdout.write(FIGURES_MARK + JSON.stringify(figures) + '\n');
  return 0;
}

async function readResults(): Promise<Figures> {
  try {
    return checkFigures('results/latest.json', JSON.parse(await readFile(RESULTS_FILE, 'utf8')));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw e;
  }
}

async function writeResults(merged: Figures): Promise<void> {
  const sorted: Figures = {};
  for (const key of Object.keys(merged).sort()) sorted[key] = merged[key]!;
  await mkdir(path.dirname(RESULTS_FILE), { recursive: true });
  await writeFile(RESULTS_FILE, JSON.stringify(sorted, null, 2) + '\n');
}

function printTable(rows: Array<[string, string]>): void {
  const w0 = Math.max('figure'.length, ...rows.map(([a]) => a.length));
  const w1 = Math.max('value'.length, ...rows.map(([, b]) => b.length));
  console.log(`${'figure'.padEnd(w0)}  ${'value'.padStart(w1)}`);
  console.log(`${'-'.repeat(w0)}  ${'-'.repeat(w1)}`);
  for (const [a, b] of rows) console.log(`${a.padEnd(w0)}  ${b.padStart(w1)}`);
}

async function main(): Promise<number> {
  const one = process.argv.indexOf(CHILD_FLAG);
  if (one >= 0) return child(process.argv[one + 1]!);
  const available = await benchNames();
  const wanted = process.argv.slice(2).filter((a) => a !== '--');
  const unknown = wanted.filter((w) => !available.includes(w));
  if (unknown.length > 0) {
    console.error(`unknown benchmark(s): ${unknown.join(', ')}; available: ${available.join(', ') || '(none)'}`);
    return 2;
  }
  const names = wanted.length > 0 ? wanted : available;
  const figures: Figures = {};
  const failed: string[] = [];
  for (const name of names) {
    process.stderr.write(`running ${name}${SUFFIX} ...\n`);
    try {
      Object.assign(figures, runOne(name));
    } catch (e) {
      failed.push(name);
      console.error(`${name}${SUFFIX} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
  }
  const rows = Object.keys(figures)
    .sort()
    .map((k): [string, string] => [k, String(figures[k])]);
  if (rows.length > 0) printTable(rows);
  await writeResults({ ...(await readResults()), ...figures });
  console.log(`\nmerged ${rows.length} figure(s) into ${path.relative(process.cwd(), RESULTS_FILE)}`);
  if (failed.length > 0) {
    console.error(`failed: ${failed.join(', ')}`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  },
);

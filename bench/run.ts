/*
 * The benchmark runner: `npm run bench [-- name ...]`.
 *
 * Runs every bench/<name>.bench.ts (or only the names given), each of which default-exports
 * `async function (): Promise<Record<string, number>>` returning flat figures such as
 * `{ 'heap.alloc_free_32.ns': 8.1 }`. Prints one table of all figures and merges them into
 * bench/results/latest.json (one flat JSON object, figure name -> number, keys sorted), so that
 * running one benchmark file updates its figures and keeps the others'.
 *
 * Files run one after another in this process (never in parallel: the machines have 2 cores and
 * the figures are timings). A file that throws is reported and the runner exits with status 1
 * after the others have run; its old figures stay in latest.json.
 */
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

async function runOne(name: string): Promise<Figures> {
  const mod = (await import(pathToFileURL(path.join(BENCH_DIR, name + SUFFIX)).href)) as { default?: unknown };
  if (typeof mod.default !== 'function') throw new TypeError(`${name}${SUFFIX} has no default-exported function`);
  return checkFigures(name, await (mod.default as () => Promise<unknown>)());
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
      Object.assign(figures, await runOne(name));
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

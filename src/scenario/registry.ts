/*
 * Finding scenarios: the built-ins in scenarios/ by name, or a user's file by path.
 *
 * A scenario module exports `defineScenario(...)`, as its default export or under any name. The
 * loader imports the module (TypeScript files load through tsx, which the launcher registers)
 * and returns the scenario with the module's URL and the export's name: a worker thread needs
 * both to import the same module and find the same programs.
 */

import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, UnknownScenarioError } from '../errors.ts';
import { isScenario, type Scenario } from './define.ts';

/** The built-in scenarios, in the order `gilsim list` shows them. */
export const BUILTIN_SCENARIOS = [
  'cpu-bound',
  'convoy',
  'latency',
  'alloc-storm',
  'producer-consumer',
  'ref-cycles',
  'refcount-contention',
  'fragmentation',
] as const;

export const SCENARIOS_DIR = new URL('../../scenarios/', import.meta.url);

export interface LoadedScenario {
  scenario: Scenario;
  /** file URL of the module (what a worker imports) */
  moduleUrl: string;
  /** the export holding the scenario ('default' or a name) */
  exportName: string;
  builtin: boolean;
}

const looksLikePath = (s: string): boolean => /[\\/]/.test(s) || /\.[cm]?[jt]s$/.test(s);

/** A built-in by name, or a file by path (relative to `cwd`). */
export async function loadScenario(nameOrPath: string, cwd = process.cwd()): Promise<LoadedScenario> {
  if ((BUILTIN_SCENARIOS as readonly string[]).includes(nameOrPath)) return loadBuiltin(nameOrPath);
  if (looksLikePath(nameOrPath)) {
    const file = isAbsolute(nameOrPath) ? nameOrPath : resolve(cwd, nameOrPath);
    if (!existsSync(file)) throw new ConfigError(`scenario file not found: ${file}`);
    return loadFile(pathToFileURL(file).href, false);
  }
  throw new UnknownScenarioError(nameOrPath, BUILTIN_SCENARIOS);
}

export function loadBuiltin(name: string): Promise<LoadedScenario> {
  return loadFile(new URL(`${name}.ts`, SCENARIOS_DIR).href, true);
}

/** Every built-in, loaded (for `gilsim list`). */
export function loadBuiltins(): Promise<LoadedScenario[]> {
  return Promise.all(BUILTIN_SCENARIOS.map(loadBuiltin));
}

/** The scenario exported by a module: the default export first, else the only scenario export. */
export function findScenario(mod: Record<string, unknown>, where: string, name?: string): { scenario: Scenario; exportName: string } {
  const found = Object.entries(mod).filter(([, v]) => isScenario(v)) as [string, Scenario][];
  if (name !== undefined) {
    const hit = found.find(([, s]) => s.name === name);
    if (hit) return { exportName: hit[0], scenario: hit[1] };
    throw new ConfigError(`${where} exports no scenario named '${name}'`);
  }
  const byDefault = found.find(([k]) => k === 'default');
  if (byDefault) return { exportName: 'default', scenario: byDefault[1] };
  if (found.length === 1) return { exportName: found[0]![0], scenario: found[0]![1] };
  if (found.length === 0) throw new ConfigError(`${where} exports no scenario (export default defineScenario({...}))`);
  throw new ConfigError(`${where} exports ${found.length} scenarios and no default: make one the default export`);
}

async function loadFile(url: string, builtin: boolean): Promise<LoadedScenario> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    // A .ts file in a folder whose package.json does not say "type": "module" is compiled as
    // CommonJS, which cannot require the ES modules gilsim is made of: say what to do instead.
    if (/require\(\) ES Module|require\(esm\)|ERR_REQUIRE_ESM/.test(msg)) {
      throw new ConfigError(
        `cannot load scenario ${url}: it was compiled as CommonJS. Scenario files are ES modules: ` +
          `name it .mts, or put it in a folder whose package.json has "type": "module"`,
      );
    }
    throw new ConfigError(`cannot load scenario ${url}: ${msg}`);
  }
  const { scenario, exportName } = findScenario(mod, url);
  return { scenario, moduleUrl: url, exportName, builtin };
}

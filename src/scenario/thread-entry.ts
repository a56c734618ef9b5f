/*
 * The entry a worker thread runs for a scenario thread.
 *
 * The runner starts every scenario thread on this module's `runProgram`, with the scenario
 * module's URL, the export that holds the scenario and the program's name: the worker imports
 * the scenario module (once per worker: modules are cached), finds the program and calls it with
 * its `py` and arguments. Keeping this step here means a user writes plain functions in
 * `programs` and never names a module path or an export.
 */

import { ConfigError } from '../errors.ts';
import type { Py } from '../runtime/types.ts';
import { isScenario, type Program } from './define.ts';

const programs = new Map<string, Program>();

/** Find `program` in the scenario exported as `exportName` by the module at `moduleUrl`. */
export async function loadProgram(moduleUrl: string, exportName: string, program: string): Promise<Program> {
  const key = `${moduleUrl}#${exportName}.${program}`;
  const cached = programs.get(key);
  if (cached) return cached;
  const mod = (await import(moduleUrl)) as Record<string, unknown>;
  const s = mod[exportName];
  if (!isScenario(s)) throw new ConfigError(`${moduleUrl}: export '${exportName}' is not a scenario`);
  const fn = s.programs[program];
  if (typeof fn !== 'function') throw new ConfigError(`${moduleUrl}: scenario '${s.name}' has no program '${program}'`);
  programs.set(key, fn);
  return fn;
}

/** Run a scenario program on this thread's `py`. The program must already be loaded (see preload). */
export function runProgram(py: Py, moduleUrl: string, exportName: string, program: string, args: readonly unknown[]): unknown {
  const fn = programs.get(`${moduleUrl}#${exportName}.${program}`);
  if (!fn) throw new ConfigError(`program '${program}' of ${moduleUrl} was not loaded in this worker`);
  return fn(py, ...args);
}

/*
 * Finding a thread program: a module (path or file URL) and an export name with dots.
 *
 * Workers load TypeScript through tsx. On Node 20 tsx hooks only `require` inside worker
 * threads (its ESM loader registers on the main thread only), which is also how piscina loads
 * the worker entry. So a program module is `require`d: it then shares one module graph with the
 * worker entry and the runtime (one src/errors.ts, so `instanceof QueueEmpty` works in a
 * program), and only falls back to `import()` for what require cannot load (data: URLs, modules
 * with top-level await on a Node that can import TypeScript natively).
 */

import { createRequire } from 'node:module';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ConfigError } from '../errors.ts';

/** A module specifier as a file URL (relative paths resolve against the working directory). */
export function toModuleUrl(module: string): string {
  if (/^(file|data|node):/.test(module)) return module;
  return pathToFileURL(isAbsolute(module) ? module : resolve(module)).href;
}

const requireHere = createRequire(import.meta.url);

export async function resolveModule(moduleUrl: string): Promise<Record<string, unknown>> {
  if (moduleUrl.startsWith('file:')) {
    try {
      return requireHere(fileURLToPath(moduleUrl)) as Record<string, unknown>;
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code !== 'ERR_REQUIRE_ESM' && code !== 'ERR_REQUIRE_ASYNC_MODULE') throw e;
    }
  }
  return (await import(moduleUrl)) as Record<string, unknown>;
}

/** Load `moduleUrl` and walk `fn` ('run', 'default.programs.cpu') to a function. */
export async function resolveProgram(moduleUrl: string, fn: string): Promise<(...args: unknown[]) => unknown> {
  const mod = await resolveModule(moduleUrl);
  let v: unknown = mod;
  for (const part of fn.split('.')) {
    if (v === null || (typeof v !== 'object' && typeof v !== 'function')) break;
    v = (v as Record<string, unknown>)[part];
  }
  if (typeof v !== 'function') throw new ConfigError(`${moduleUrl}: '${fn}' is not a function`);
  return v as (...args: unknown[]) => unknown;
}

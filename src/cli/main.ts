/*
 * gilsim's command line: `main(argv, io)` returns the exit code; run as a script (what
 * bin/gilsim.mjs imports) it uses the process's argv, streams and exit code.
 *
 * Exit codes: 0 success, 1 a thread raised (or the watchdog found a deadlock), 2 usage error.
 * A usage error prints one line saying what was wrong (the flag and why, or the known scenarios)
 * and where to read more; never a bare stack trace.
 */

import { readFileSync } from 'node:fs';
import { ConfigError, GilsimError } from '../errors.ts';
import type { EngineFactory } from '../scenario/engine.ts';
import { cmdCompare, cmdList, cmdRun, cmdSweep, cmdTour, EXIT_OK, EXIT_RAISED, EXIT_USAGE, type Io } from './commands.ts';
import { parseFlags, UsageError } from './flags.ts';
import { COMMANDS, HELP, type CommandName } from './help.ts';

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export async function main(argv: readonly string[], io: Io): Promise<number> {
  const [first, ...rest] = argv;
  let command: string | undefined = first;
  try {
    if (first === undefined || first === '--help' || first === '-h') {
      io.stdout.write(HELP.main + '\n');
      return first === undefined ? EXIT_USAGE : EXIT_OK;
    }
    if (first === '--version' || first === '-V') {
      io.stdout.write(`gilsim ${version()}\n`);
      return EXIT_OK;
    }
    if (!(COMMANDS as readonly string[]).includes(first)) {
      command = undefined;
      const hint = first.startsWith('-') ? '' : ` (did you mean: gilsim run ${first}?)`;
      throw new UsageError(`unknown command '${first}'${hint}; commands: ${COMMANDS.join(', ')}`);
    }
    const { positionals, flags } = parseFlags(rest, first);
    if (flags.version) {
      io.stdout.write(`gilsim ${version()}\n`);
      return EXIT_OK;
    }
    switch (first as CommandName) {
      case 'help': {
        const topic = positionals[0];
        if (topic !== undefined && !(COMMANDS as readonly string[]).includes(topic)) throw new UsageError(`help: no command '${topic}'`);
        io.stdout.write(HELP[(topic as CommandName | undefined) ?? 'main'] + '\n');
        return EXIT_OK;
      }
      case 'list':
        if (flags.help) return help(io, 'list');
        noPositionals('list', positionals);
        return await cmdList(io);
      case 'tour':
        if (flags.help) return help(io, 'tour');
        noPositionals('tour', positionals);
        return await cmdTour(io, flags);
      case 'run':
        return await cmdRun(io, positionals, flags);
      case 'compare':
        return await cmdCompare(io, positionals, flags);
      case 'sweep':
        return await cmdSweep(io, positionals, flags);
    }
  } catch (e) {
    return reportError(io, e, command);
  }
  return EXIT_OK;
}

function help(io: Io, c: CommandName): number {
  io.stdout.write(HELP[c] + '\n');
  return EXIT_OK;
}

function noPositionals(c: string, p: string[]): void {
  if (p.length) throw new UsageError(`${c}: unexpected argument '${p[0]}'`, c);
}

function reportError(io: Io, e: unknown, command: string | undefined): number {
  if (e instanceof ConfigError) {
    const c = e instanceof UsageError ? (e.command ?? command) : command;
    const more = c && (COMMANDS as readonly string[]).includes(c) ? `gilsim ${c} --help` : 'gilsim --help';
    io.stderr.write(`gilsim: ${e.message}\n(see ${more})\n`);
    return EXIT_USAGE;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  if (err instanceof GilsimError && !process.env.GILSIM_DEBUG) {
    // the simulator's own complaint (a deadlock, a bad heap operation): its message says it all
    io.stderr.write(`gilsim: ${err.name}: ${err.message}\n`);
    return EXIT_RAISED;
  }
  io.stderr.write(`gilsim: ${err.name}: ${err.message}\n${(err.stack ?? '').split('\n').slice(1).join('\n')}\n`);
  return EXIT_RAISED;
}

/** The process's Io: real streams, the real runtime. */
export function processIo(): Io & { shutdown(): Promise<void> } {
  let engines: typeof import('../scenario/engine-runtime.ts') | undefined;
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    cwd: process.cwd(),
    engine: async (): Promise<EngineFactory> => {
      engines ??= await import('../scenario/engine-runtime.ts');
      return engines.createRuntimeEngine;
    },
    shutdown: async () => engines?.shutdownEngines(),
  };
}

/** Run as the process's command: set the exit code, stop the workers, let stdout drain. */
export async function cli(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  const io = processIo();
  try {
    process.exitCode = await main(argv, io);
  } finally {
    await io.shutdown();
  }
}

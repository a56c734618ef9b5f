/*
 * Help texts: one per command, plus a scenario's own (its parameters), shown by `--help`.
 */

import { GIL_POLICIES, PYTHON_PROFILES, REFCOUNT_KINDS } from '../runtime/config.ts';
import { threadsParamOf, type Scenario } from '../scenario/define.ts';
import { describeParams } from '../scenario/params.ts';
import { BUILTIN_SCENARIOS } from '../scenario/registry.ts';

export const COMMANDS = ['list', 'run', 'compare', 'sweep', 'tour', 'help'] as const;
export type CommandName = (typeof COMMANDS)[number];

const CONFIG_FLAGS = `Configuration (each overrides its part of the --python profile):
  --python <${PYTHON_PROFILES.join('|')}>   the profile (default 3.11):
        2.7    legacy GIL (check interval 100), 8-byte/4 KiB/256 KiB allocator, gc 700/10/10
        3.11   new GIL (switch interval 5 ms), 16-byte/16 KiB/1 MiB allocator, gc 700/10/10
        3.13   as 3.11 with gc 2000/10/10
        3.13t  no GIL, biased refcounts, per-thread pools, stop-the-world collection, gc 2000/10/10
  --gil <${GIL_POLICIES.join('|')}>     the lock policy
  --switch-interval <ms>          the new GIL's switch interval
  --check-interval <n>            the legacy GIL's ticks between releases
  --refcount <${REFCOUNT_KINDS.join('|')}>  reference counting
  --gc-threshold <a,b,c>          the collector's thresholds
  --heap-max <size>               the heap's maximum, e.g. 256m, 1g (default 1g)
  --threads <n>                   the scenario's thread count (its 'threads' parameter)
  --param key=value, -p           a scenario parameter (repeatable)
  --seed <n>                      seed for the programs' random choices (default 1)`;

const OUTPUT_FLAGS = `Output:
  --json <file>     write the result as JSON
  --trace <file>    write a Chrome trace (open it in https://ui.perfetto.dev)
  --quiet, -q       no progress line, no report on stdout (files are still written)`;

const EXIT_CODES = `Exit codes: 0 success, 1 a thread raised (or deadlocked), 2 usage error.`;

export const HELP: Record<CommandName | 'main', string> = {
  main: `gilsim: CPython's GIL, allocator and garbage collector on real threads, measured.

Usage:
  gilsim list                               the built-in scenarios
  gilsim run <scenario|file.ts> [flags]     run one scenario, print its report
  gilsim compare <scenario> --python 2.7,3.11,3.13t   one table, a column per profile
  gilsim sweep <scenario> --threads 1,2,4,8           one table, a column per thread count
  gilsim tour                               convoy and cpu-bound under 2.7, 3.11 and 3.13t
  gilsim <command> --help                   help on a command
  gilsim --version

Scenarios: ${BUILTIN_SCENARIOS.join(', ')}

${EXIT_CODES}`,

  list: `Usage: gilsim list

Lists the built-in scenarios with a line on each. 'gilsim run <name> --help' shows a
scenario's parameters.`,

  run: `Usage: gilsim run <scenario|file.ts> [flags]

Runs a built-in scenario by name, or your own scenario file by path (a module whose default
export is defineScenario({...})), and prints the report: the scenario's results, per thread
the GIL figures, the GIL overall, the heap (sys._debugmallocstats style) and the collector.
'gilsim run <scenario> --help' lists that scenario's parameters.

${CONFIG_FLAGS}

${OUTPUT_FLAGS}

${EXIT_CODES}`,

  compare: `Usage: gilsim compare <scenario|file.ts> [--python a,b,...] [--gil a,b,...] [flags]

Runs the scenario once per value of ONE list flag and prints one side-by-side table: the
scenario's results, then the GIL, heap and collector figures. List flags: --python, --gil,
--refcount, --switch-interval, --check-interval. Without one: --python 2.7,3.11,3.13t.

  gilsim compare convoy
  gilsim compare cpu-bound --gil new,legacy,fifo --threads 4
  gilsim compare alloc-storm --python 3.11,3.13t

${CONFIG_FLAGS}

Output:
  --json <file>     write every run as JSON ({ "runs": [ { "label", ...the run's JSON } ] })
  --quiet, -q       no progress line, no table

${EXIT_CODES}`,

  sweep: `Usage: gilsim sweep <scenario|file.ts> --threads 1,2,4,8 [flags]

Runs the scenario once per thread count and prints one table, a column per count. Instead of
--threads, any one parameter can be swept: --param rounds=1000,10000,100000.

${CONFIG_FLAGS}

Output:
  --json <file>     write every run as JSON ({ "runs": [ { "label", ...the run's JSON } ] })
  --quiet, -q       no progress line, no table

${EXIT_CODES}`,

  tour: `Usage: gilsim tour [--quiet]

What 'npm start' runs: the convoy and cpu-bound scenarios compared under the 2.7, 3.11 and
3.13t profiles, with a few lines on what to look at. Under a minute on two cores.`,

  help: `Usage: gilsim help [command]`,
};

/** `gilsim run <scenario> --help`: the command's help, then the scenario's parameters. */
export function scenarioHelp(s: Scenario, command: 'run' | 'compare' | 'sweep'): string {
  const tp = threadsParamOf(s);
  const lines = [
    `${s.name}: ${s.description}`,
    ...(s.about ? ['', ...wrap(s.about, 92)] : []),
    '',
    'Parameters (--param key=value):',
    ...describeParams(s.params),
    ...(tp ? ['', `--threads <n> sets '${tp}'.`] : []),
    '',
    HELP[command],
  ];
  return lines.join('\n');
}

export function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const w of text.split(/\s+/)) {
    if (line && line.length + 1 + w.length > width) {
      out.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) out.push(line);
  return out;
}

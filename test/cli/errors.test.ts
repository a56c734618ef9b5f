/*
 * The command's usage errors, through the real launcher (node bin/gilsim.mjs): exit code 2, one
 * line saying what was wrong, never a bare stack trace.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BUILTIN_SCENARIOS } from '../../src/scenario/registry.ts';

const BIN = new URL('../../bin/gilsim.mjs', import.meta.url).pathname;

function gilsim(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const noStack = (s: string) => expect(s).not.toMatch(/^\s+at .*\(.*:\d+:\d+\)$/m);

describe('gilsim usage errors', () => {
  it('an unknown scenario: exit 2, the known ones listed', () => {
    const r = gilsim('run', 'no-such-scenario');
    expect(r.code).toBe(2);
    expect(r.err).toContain("unknown scenario 'no-such-scenario'");
    for (const n of BUILTIN_SCENARIOS) expect(r.err).toContain(n);
    noStack(r.err);
  });

  it('a bad flag value: exit 2, names the flag and why', () => {
    const cases: [string[], RegExp][] = [
      [['run', 'convoy', '--switch-interval', 'soon'], /--switch-interval: expected milliseconds > 0/],
      [['run', 'convoy', '--python', '4.0'], /--python: expected one of 2\.7, 3\.11, 3\.13, 3\.13t, got '4\.0'/],
      [['run', 'convoy', '--gc-threshold', '700,10'], /--gc-threshold: expected three whole numbers/],
      [['run', 'convoy', '--heap-max', '4t'], /--heap-max: expected a size like 256m or 1g/],
      [['run', 'convoy', '--heap-max', '3g'], /--heap-max: 3g is more than one buffer can address/],
      [['run', 'convoy', '--gil', 'maybe'], /--gil: expected one of new, legacy, none, fifo/],
      [['run', 'convoy', '--param', 'calls=0'], /--param calls: must be >= 1, got '0'/],
      [['run', 'convoy', '--param', 'nope=1'], /--param nope: unknown parameter \(known: calls, ioMs, threads\)/],
      [['run', 'fragmentation', '--threads', '2'], /--threads: scenario 'fragmentation' has no thread-count parameter/],
      [['run', 'convoy', '--frobnicate'], /unknown flag --frobnicate/],
      [['compare', 'convoy', '--python', '2.7,3.11', '--gil', 'new,none'], /one flag at a time; got lists for --python and --gil/],
      [['sweep', 'convoy'], /sweep: give --threads/],
      [['frob'], /unknown command 'frob'/],
    ];
    for (const [args, re] of cases) {
      const r = gilsim(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err, args.join(' ')).toMatch(re);
      noStack(r.err);
    }
  });

  it('--help on every command, --version, list', () => {
    for (const c of ['run', 'compare', 'sweep', 'tour', 'list']) {
      const r = gilsim(c, '--help');
      expect(r.code, c).toBe(0);
      expect(r.out, c).toContain(`Usage: gilsim ${c}`);
    }
    const s = gilsim('run', 'cpu-bound', '--help');
    expect(s.out).toMatch(/Parameters \(--param key=value\):\n {2}n +int +\d+/);
    expect(gilsim('--version').out).toMatch(/^gilsim \d+\.\d+\.\d+\n$/);
    const l = gilsim('list');
    expect(l.code).toBe(0);
    for (const n of BUILTIN_SCENARIOS) expect(l.out).toContain(n);
  });
});

import { describe, expect, it } from 'vitest';
import { ConfigError, UnknownScenarioError } from '../../src/errors.ts';
import { defineScenario, isScenario, param } from '../../src/scenario/define.ts';
import { describeParams, parseNumber, ParamError, resolveParams } from '../../src/scenario/params.ts';
import { BUILTIN_SCENARIOS, loadBuiltins, loadScenario } from '../../src/scenario/registry.ts';

const schema = {
  n: param.int({ default: 10, min: 1, max: 100, description: 'count' }),
  rate: param.number({ default: 0.5, min: 0, max: 1, description: 'a fraction' }),
  on: param.bool({ default: false, description: 'switch' }),
  mode: param.enum({ default: 'fast', values: ['fast', 'slow'], description: 'mode' }),
  label: param.string({ default: 'x', description: 'label' }),
};

describe('params', () => {
  it('fills defaults and parses overrides', () => {
    expect(resolveParams(schema)).toEqual({ n: 10, rate: 0.5, on: false, mode: 'fast', label: 'x' });
    expect(resolveParams(schema, { n: '1_0', rate: '.25', on: 'yes', mode: 'slow', label: 'a=b' })).toEqual({
      n: 10,
      rate: 0.25,
      on: true,
      mode: 'slow',
      label: 'a=b',
    });
  });

  it('numbers as people type them', () => {
    expect(parseNumber('2_000_000')).toBe(2_000_000);
    expect(parseNumber('2e6')).toBe(2_000_000);
    expect(parseNumber('1.5m')).toBe(1_500_000);
    expect(parseNumber('20k')).toBe(20_000);
    expect(parseNumber('12abc')).toBeNaN();
    expect(parseNumber('')).toBeNaN();
  });

  it('says which parameter is wrong and why', () => {
    const msg = (raw: Record<string, string>) => {
      try {
        resolveParams(schema, raw);
      } catch (e) {
        expect(e).toBeInstanceOf(ParamError);
        return (e as Error).message;
      }
      return 'no error';
    };
    expect(msg({ n: '0' })).toBe("--param n: must be >= 1, got '0'");
    expect(msg({ n: '1.5' })).toBe("--param n: expected a whole number, got '1.5'");
    expect(msg({ n: 'ten' })).toBe("--param n: 'ten' is not a number");
    expect(msg({ rate: '2' })).toBe("--param rate: must be <= 1, got '2'");
    expect(msg({ on: 'maybe' })).toBe("--param on: 'maybe' is not true or false");
    expect(msg({ mode: 'medium' })).toBe("--param mode: expected one of fast, slow, got 'medium'");
    expect(msg({ nope: '1' })).toBe('--param nope: unknown parameter (known: n, rate, on, mode, label)');
  });

  it('a default that breaks its own bounds is caught at definition', () => {
    expect(() => param.int({ default: 0, min: 1, description: '' })).toThrow(ConfigError);
    expect(() => param.enum({ default: 'c' as 'a', values: ['a', 'b'], description: '' })).toThrow(/expected one of a, b/);
  });

  it('help lines show type, default, description and bounds', () => {
    const lines = describeParams(schema);
    expect(lines[0]).toMatch(/^ {2}n +int +10 +count \(>= 1, <= 100\)$/);
    expect(lines[3]).toMatch(/mode +fast\|slow +fast +mode/);
  });
});

describe('defineScenario', () => {
  const base = {
    name: 'ok-name',
    description: 'd',
    params: { t: param.int({ default: 2, min: 1, description: 'threads' }) },
    programs: { a: () => 1 },
    results: () => ({}),
  };

  it('plans one phase named main from threads', () => {
    const s = defineScenario({ ...base, threads: ({ params }) => [{ name: 'x', program: 'a', args: [params.t] }] });
    expect(isScenario(s)).toBe(true);
    expect(s.plan({ params: { t: 3 }, seed: 1, shared: undefined })).toEqual([{ name: 'main', threads: [{ name: 'x', program: 'a', args: [3] }] }]);
  });

  it('rejects bad definitions and plans with a reason', () => {
    expect(() => defineScenario({ ...base, name: 'Bad Name', threads: () => [] })).toThrow(/lower-case words/);
    expect(() => defineScenario({ ...base })).toThrow(/exactly one of 'threads' or 'phases'/);
    expect(() => defineScenario({ ...base, setup: 'zzz' as 'a', threads: () => [] })).toThrow(/setup program 'zzz' is not in programs/);
    const noProgram = defineScenario({ ...base, threads: () => [{ name: 'x', program: 'b' as 'a' }] });
    expect(() => noProgram.plan({ params: { t: 1 }, seed: 1, shared: undefined })).toThrow(/runs program 'b', which is not one of a/);
    const twice = defineScenario({ ...base, threads: () => [{ name: 'x', program: 'a' }, { name: 'x', program: 'a' }] });
    expect(() => twice.plan({ params: { t: 1 }, seed: 1, shared: undefined })).toThrow(/two threads named 'x'/);
    const empty = defineScenario({ ...base, phases: () => [{ name: 'p', threads: [] }] });
    expect(() => empty.plan({ params: { t: 1 }, seed: 1, shared: undefined })).toThrow(/phase 'p' has no threads/);
  });
});

describe('registry', () => {
  it('loads every built-in, each named as its file', async () => {
    const all = await loadBuiltins();
    expect(all.map((l) => l.scenario.name)).toEqual([...BUILTIN_SCENARIOS]);
    for (const l of all) {
      expect(l.moduleUrl.endsWith(`/scenarios/${l.scenario.name}.ts`)).toBe(true);
      // every built-in plans with its defaults (a stand-in for what setup returns)
      const params = resolveParams(l.scenario.params);
      expect(l.scenario.plan({ params, seed: 1, shared: { stop: 1, q: 2, keep: 3, Node: 4, target: 5, length: 0 } }).length).toBeGreaterThan(0);
    }
  });

  it('an unknown name lists the known ones; a file loads by path', async () => {
    const err = await loadScenario('nope').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnknownScenarioError);
    expect((err as Error).message).toContain(BUILTIN_SCENARIOS.join(', '));
    const f = await loadScenario('test/cli/fixtures/raises.ts', process.cwd());
    expect(f.scenario.name).toBe('raises');
    expect(f.builtin).toBe(false);
    await expect(loadScenario('./does/not/exist.ts')).rejects.toThrow(/scenario file not found/);
  });
});

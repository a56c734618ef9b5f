import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { renderComparison } from '../../src/report/compare.ts';
import { toJson } from '../../src/report/json.ts';
import { validateRunJson } from '../../src/report/json-shape.ts';
import { errorSummary, heapTotal, mallocStatsLines, renderText, statLine } from '../../src/report/text.ts';
import { buildTrace, slicesOf, validateTrace } from '../../src/report/trace.ts';
import type { TimelineEvent } from '../../src/scenario/result.ts';
import { syntheticHeap, syntheticRun } from './fixtures/synthetic.ts';

describe('text report', () => {
  it('shows results, phases, threads, GIL, heap and GC', () => {
    const t = renderText(syntheticRun());
    expect(t).toContain('gilsim: convoy');
    expect(t).toContain('gil new (switch 5 ms)');
    expect(t).toMatch(/slowdown\s+200\.1/);
    expect(t).toMatch(/io-loaded\s+500 ms/);
    // per-thread row: phase, thread, bytecodes, acquisitions, wait ms, ...
    expect(t).toMatch(/io-loaded\s+io\s+123,456\s+100\s+490\s+240/);
    expect(t).toContain('200 switches (400/s)');
    expect(t).toContain('held 98.0%');
    expect(t).toContain('pauses: 13');
    expect(t).not.toContain('not measured');
  });

  it('names what was not measured and the thread that raised', () => {
    const t = renderText(
      syntheticRun({ missing: ['gc'], error: { thread: 'cpu-0', type: 'KeyError', message: "'x'", stack: 'KeyError: x\n  at boom (file.ts:3:9)' } }),
    );
    expect(t).toContain("thread 'cpu-0' raised KeyError: 'x'");
    expect(t).toContain('at boom (file.ts:3:9)');
    expect(t).toContain('not measured (that part of the runtime is not built yet): gc');
  });

  it('says what found a failure outside the programs (watchdog, heap check) instead of a thread', () => {
    expect(errorSummary({ thread: 'cpu-0', type: 'KeyError', message: "'x'", stack: '' })).toBe("thread 'cpu-0' raised KeyError: 'x'");
    expect(errorSummary({ thread: '(heap)', type: 'HeapCorruption', message: 'the heap is unsound after the run: p', stack: '' })).toBe(
      'HeapCorruption (heap): the heap is unsound after the run: p',
    );
    const t = renderText(syntheticRun({ error: { thread: '(watchdog)', type: 'DeadlockError', message: 'a holds L1', stack: '' } }));
    expect(t).toContain('DeadlockError (watchdog): a holds L1');
    expect(t).not.toContain("thread '(watchdog)'");
  });

  it('pads the malloc stats as CPython does', () => {
    // python3 -c "import sys; sys._debugmallocstats()" on 3.11.7 prints, e.g.:
    //   '# arenas allocated total           =                    4'
    //   '4 arenas * 1048576 bytes/arena     =            4,194,304'
    expect(statLine('# arenas allocated total', 4)).toBe('# arenas allocated total           =                    4');
    expect(statLine('4 arenas * 1048576 bytes/arena', 4194304)).toBe('4 arenas * 1048576 bytes/arena     =            4,194,304');
    const lines = mallocStatsLines(syntheticHeap());
    expect(lines[0]).toBe('Small block threshold = 512, in 32 size classes.');
    // a class row as CPython formats it ('    1     32           3            1148           382')
    expect(lines).toContain('    1     32           3            1000           530');
    // classes without pools are left out, as CPython does
    expect(lines.some((l) => /^\s+0\s+16\s/.test(l))).toBe(false);
    expect(lines.at(-1)).toBe(statLine('Total', 2 * 1048576));
  });

  it('Total is the sum of its parts (arenas x ARENA_SIZE when the books balance)', () => {
    const h = syntheticHeap();
    expect(heapTotal(h)).toBe(h.arenasCurrent * h.arenaSize);
    expect(heapTotal(syntheticHeap({ bytesLostToQuantization: 0 }))).not.toBe(h.arenasCurrent * h.arenaSize);
  });
});

describe('JSON result', () => {
  it('has the documented shape', () => {
    const doc = JSON.parse(JSON.stringify(toJson(syntheticRun())));
    expect(validateRunJson(doc)).toEqual([]);
    expect(doc.config).toMatchObject({ python: '3.11', gil: 'new', switchIntervalMs: 5, checkInterval: 100, refcount: 'plain', gcThresholds: [700, 10, 10] });
    expect(doc.threads[1]).toMatchObject({ name: 'io', bytecodes: 123456, gil: { acquisitions: 100, waitMs: 490 } });
    expect(doc.heap.sizeClasses[1]).toEqual({ class: 1, size: 32, pools: 3, blocksInUse: 1000, availBlocks: 530 });
    expect(doc.timeline).toBeUndefined();
  });

  it('the validator names what is wrong, with its path', () => {
    const doc = JSON.parse(JSON.stringify(toJson(syntheticRun())));
    delete doc.threads[0].gil.waitMs;
    doc.gc.pauses.p99Ms = 'slow';
    doc.config.gcThresholds = [1, 2];
    doc.results.bad = { nested: 1 };
    doc.gil.heldFraction = 1.5;
    const problems = validateRunJson(doc);
    expect(problems).toContain('threads[0].gil.waitMs: missing');
    expect(problems).toContain('gc.pauses.p99Ms: expected number, got string');
    expect(problems).toContain('config.gcThresholds: expected an array of 3 numbers');
    expect(problems.some((p) => p.startsWith('results: bad'))).toBe(true);
    expect(validateRunJson(null)).toEqual(['(root): expected an object, got null']);
    const frac = JSON.parse(JSON.stringify(toJson(syntheticRun())));
    frac.gil.heldFraction = 1.5;
    expect(validateRunJson(frac)).toEqual(['gil.heldFraction: expected a fraction in 0..1, got 1.5']);
  });
});

describe('Chrome trace', () => {
  it('cuts a timeline into the expected slices', () => {
    const track = syntheticRun().timeline.tracks[0]!;
    const { slices } = slicesOf(track.events, false);
    expect(slices.map((s) => [s.name, s.start, s.end, s.reason])).toEqual([
      ['waiting for GIL', 10, 10.1, undefined],
      ['running', 10.1, 11, undefined],
      ['blocked', 11, 11.01, 'io'],
      ['waiting for GIL', 11.01, 16, undefined],
      ['running', 16, 16.5, undefined],
      ['gc', 16.5, 17, undefined],
      ['running', 17, 18, undefined],
    ]);
  });

  it('without a GIL, alive means running', () => {
    const ev: TimelineEvent[] = [
      { t: 0, kind: 'start' },
      { t: 2, kind: 'blocked_begin', reason: 'sleep' },
      { t: 3, kind: 'blocked_end' },
      { t: 5, kind: 'exit' },
    ];
    expect(slicesOf(ev, true).slices.map((s) => [s.name, s.start, s.end])).toEqual([
      ['running', 0, 2],
      ['blocked', 2, 3],
      ['running', 3, 5],
    ]);
  });

  it('is valid: named tracks, required fields, no overlaps, counters', () => {
    const doc = JSON.parse(JSON.stringify(buildTrace(syntheticRun())));
    expect(validateTrace(doc)).toEqual([]);
    const names = doc.traceEvents.filter((e: { name: string }) => e.name === 'thread_name').map((e: { args: { name: string } }) => e.args.name);
    expect(names).toEqual(['runtime', 'io-loaded/io', 'io-loaded/cpu-0']);
    const waiters = doc.traceEvents.filter((e: { name: string }) => e.name === 'GIL waiters').map((e: { ts: number; args: { waiters: number } }) => [e.ts, e.args.waiters]);
    // both wait from 10 ms; io takes at 10.1, cpu at 11; io waits again 11.01..16, cpu 16..18
    expect(waiters).toEqual([
      [0, 0],
      [10000, 1],
      [10000, 2],
      [10100, 1],
      [11000, 0],
      [11010, 1],
      [16000, 0],
      [16000, 1],
      [18000, 0],
    ]);
    expect(doc.traceEvents.filter((e: { ph: string; name: string }) => e.ph === 'C' && e.name === 'arenas')).toHaveLength(2);
    expect(doc.traceEvents.filter((e: { ph: string }) => e.ph === 'i').map((e: { name: string; ts: number }) => [e.name, e.ts])).toEqual([
      ['phase io-alone', 0],
      ['phase io-loaded', 10000],
    ]);
  });

  it('starts at the first phase (warm-up and setup left out)', () => {
    const base = syntheticRun();
    const r = syntheticRun({ phases: base.phases.map((p, i) => ({ ...p, startMs: i === 0 ? 8 : 10 })) });
    const doc = buildTrace(r);
    expect(doc.traceEvents.filter((e) => e.ph === 'i').map((e) => e.ts)).toEqual([0, 2000]);
    const first = doc.traceEvents.find((e) => e.ph === 'X' && e.tid === 1)!;
    expect([first.name, first.ts]).toEqual(['waiting for GIL', 2000]);
    // the heap sample taken before the first phase is dropped
    expect(doc.traceEvents.filter((e) => e.name === 'arenas').map((e) => e.ts)).toEqual([7000]);
    expect(validateTrace(JSON.parse(JSON.stringify(doc)))).toEqual([]);
  });

  it('the validator catches overlaps, unnamed tracks and missing fields', () => {
    const bad = {
      traceEvents: [
        { name: 'running', ph: 'X', pid: 1, tid: 5, ts: 0, dur: 10 },
        { name: 'gc', ph: 'X', pid: 1, tid: 5, ts: 5, dur: 10 },
        { name: 'x', ph: 'C', pid: 1, ts: 1, args: { v: 'no' } },
      ],
    };
    const p = validateTrace(bad);
    expect(p).toContain('tid 5: slices but no thread_name metadata');
    expect(p.some((s) => s.includes('overlaps'))).toBe(true);
    expect(p).toContain('traceEvents[2].tid: expected a number');
    expect(p).toContain('traceEvents[2]: counter without numeric args');
  });

  it('never overlaps, whatever the events (property)', () => {
    const kinds = ['start', 'exit', 'wait_begin', 'wait_end', 'take', 'drop', 'blocked_begin', 'blocked_end', 'gc_begin', 'gc_end'] as const;
    const arbEvent = fc.record({ t: fc.integer({ min: 0, max: 1000 }).map((x) => x / 10), kind: fc.constantFrom(...kinds) });
    fc.assert(
      fc.property(fc.array(arbEvent, { maxLength: 60 }), fc.boolean(), (events, gilless) => {
        const { slices, waits } = slicesOf(events as TimelineEvent[], gilless);
        for (let i = 0; i < slices.length; i++) {
          expect(slices[i]!.end).toBeGreaterThan(slices[i]!.start);
          if (i > 0) expect(slices[i]!.start).toBeGreaterThanOrEqual(slices[i - 1]!.end);
        }
        // every wait that begins ends
        expect(waits.reduce((a, w) => a + w.d, 0)).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});

describe('comparison', () => {
  it('lays runs side by side, a column each', () => {
    const a = syntheticRun();
    const b = syntheticRun({ config: { ...a.config, python: '3.13t', gil: 'none', refcount: 'atomic' }, results: { ...a.results, slowdown: 1.02 } });
    const t = renderComparison('gilsim compare convoy', [
      { label: '3.11', result: a },
      { label: '3.13t', result: b },
    ]);
    const lines = t.split('\n');
    expect(lines.find((l) => l.trim().startsWith('slowdown'))).toMatch(/slowdown\s+200\.1\s+1\.02$/);
    expect(lines.find((l) => l.trim().startsWith('gil '))).toMatch(/new 5ms\s+none$/);
    expect(lines.find((l) => l.trim().startsWith('refcount'))).toMatch(/plain\s+atomic$/);
    expect(lines.find((l) => l.trim().startsWith('gen0 collections'))).toMatch(/12\s+12$/);
  });
});

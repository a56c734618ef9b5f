/*
 * The collector's own machinery: the record in the buffer (stats, log, readGcStats), the
 * timeline, 3.12+ scheduling through the eval breaker, the debug output, ring soundness.
 */
import { describe, expect, it } from 'vitest';
import { collectorOf } from '../../src/gc/install.ts';
import { LOG_RECORDS } from '../../src/gc/state.ts';
import { percentile, readGcStats } from '../../src/gc/stats.ts';
import { clearList, makeGcRuntime } from './helpers.ts';

describe('the collection record', () => {
  it('readGcStats matches get_stats and logs every collection with its pause', () => {
    const { rt, py } = makeGcRuntime();
    py.gc.disable();
    const l = py.list();
    py.append(l, l);
    py.decref(l);
    const keep = [py.list(), py.list()];
    py.gc.collect(0); // collects the self-list, examines all three
    py.gc.collect(1);
    py.gc.collect(2);
    const s = readGcStats(rt.mem, rt.layout);
    expect(s.generations).toEqual(py.gc.get_stats());
    expect(s.collections).toBe(3);
    expect(s.log.map((r) => [r.generation, r.collected, r.uncollectable])).toEqual([
      [0, 1, 0],
      [1, 0, 0],
      [2, 0, 0],
    ]);
    expect(s.log[0]!.examined).toBe(3);
    expect(s.log[1]!.examined).toBe(2);
    expect(s.pausesMs).toHaveLength(3);
    expect(s.pausesMs.every((p) => p >= 0)).toBe(true);
    expect(s.pauseTotalMs).toBeCloseTo(s.pausesMs.reduce((a, b) => a + b, 0), 9);
    expect(s.pauseMaxMs).toBe(Math.max(...s.pausesMs));
    expect(s.pauseP50Ms).toBe(percentile(s.pausesMs, 50));
    expect(s.examinedTotal).toBe(3 + 2 + 2);
    expect(s.longLivedTotal).toBe(2);
    expect(s.longLivedPending).toBe(0);
    expect(s.stopTheWorld).toBe(0);
    expect(s.lost).toBe(0);
    for (const o of keep) py.decref(o);
  });

  it('the log is a ring: the oldest records are dropped and counted', () => {
    const { rt, py } = makeGcRuntime();
    const n = LOG_RECORDS + 5;
    for (let i = 0; i < n; i++) py.gc.collect(i % 3);
    const s = readGcStats(rt.mem, rt.layout);
    expect(s.collections).toBe(n);
    expect(s.log).toHaveLength(LOG_RECORDS);
    expect(s.lost).toBe(5);
    expect(s.log[0]!.generation).toBe(5 % 3);
    expect(s.log.at(-1)!.generation).toBe((n - 1) % 3);
  });

  it('percentile is nearest-rank', () => {
    expect(percentile([], 50)).toBe(0);
    expect(percentile([3, 1, 2], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 99)).toBe(4);
    expect(percentile([5], 1)).toBe(5);
  });

  it('each collection is a gc slice of the collecting thread, with its pause counted', () => {
    const { rt, py } = makeGcRuntime({ traceEvents: 256 });
    py.gc.collect(1);
    const ts = rt.threads.current!;
    const events = rt.threads.timeline(ts.slot).events.filter((e) => e.kind === 'gc_begin' || e.kind === 'gc_end');
    expect(events.map((e) => e.kind)).toEqual(['gc_begin', 'gc_end']);
    expect(events.map((e) => e.arg)).toEqual([1, 1]);
    expect(events[1]!.t).toBeGreaterThanOrEqual(events[0]!.t);
    const m = rt.threads.threadMetrics(ts.slot);
    expect(m.gcs).toBe(1);
  });
});

describe('triggering', () => {
  it('3.13: the allocation past threshold 0 schedules; the collection runs at the next eval-breaker poll', () => {
    // CPython 3.12+: _PyObject_GC_Link calls _Py_ScheduleGC; the eval loop collects at its next check.
    const { py } = makeGcRuntime({ python: '3.13' });
    py.gc.disable();
    py.gc.collect();
    py.gc.set_threshold(10);
    const starts: number[] = [];
    py.gc.callbacks.push((phase, info) => void (phase === 'start' && starts.push(info.generation)));
    py.gc.enable();
    const keep: number[] = [];
    for (let i = 0; i < 11; i++) keep.push(py.list());
    expect(starts).toEqual([]); // scheduled, not run inside the allocation
    expect(py.len(keep[0]!)).toBe(0); // any call polls the breaker
    expect(starts).toEqual([0]);
    for (const o of keep) py.decref(o);
  });

  it('3.11: a collection started inside a finalizer-triggered allocation does not nest', () => {
    const { py } = makeGcRuntime();
    py.gc.set_threshold(1);
    let inner = -1;
    const F = py.newClass('F', {
      del: (p) => {
        // a finalizer allocating containers while the collector runs: no nested collection
        const tmp = [p.list(), p.list(), p.list()];
        inner = p.gc.collect();
        for (const o of tmp) p.decref(o);
      },
    });
    const a = py.instance(F);
    py.setattr(a, 'me', a);
    py.decref(a);
    py.gc.set_threshold(700);
    expect(py.gc.collect()).toBe(1);
    expect(inner).toBe(0); // gc.collect() while collecting returns 0, as CPython
    py.decref(F);
  });
});

describe('debug output and rings', () => {
  it('DEBUG_STATS, DEBUG_COLLECTABLE and DEBUG_UNCOLLECTABLE write CPython-style lines', () => {
    const { rt, py } = makeGcRuntime();
    const c = collectorOf(rt.space)!;
    const Legacy = py.newClass('Legacy', { legacyDel: true, del: () => {} });
    py.gc.collect();
    c.debugLines.length = 0;
    const l = py.list();
    py.append(l, l);
    py.decref(l);
    const a = py.instance(Legacy);
    py.setattr(a, 'a', a);
    py.decref(a);
    py.gc.set_debug(py.gc.DEBUG_STATS | py.gc.DEBUG_COLLECTABLE | py.gc.DEBUG_UNCOLLECTABLE);
    expect(py.gc.collect()).toBe(2);
    py.gc.set_debug(0);
    expect(c.debugLines[0]).toBe('gc: collecting generation 2...');
    expect(c.debugLines).toContain(`gc: collectable <list ${l}>`);
    expect(c.debugLines).toContain(`gc: uncollectable <Legacy ${a}>`);
    expect(c.debugLines.at(-1)).toBe('gc: done, 2 unreachable, 1 uncollectable');
    py.setattr(a, 'a', py.None);
    clearList(py, py.gc.garbage);
    py.decref(Legacy);
  });

  it('after many mixed collections every generation ring is well linked and holds only live containers', () => {
    const { rt, py } = makeGcRuntime();
    py.gc.set_threshold(50, 3, 3);
    const A = py.newClass('A');
    const keep = py.list();
    for (let i = 0; i < 5000; i++) {
      const a = py.instance(A);
      const t = py.tuple([a, py.None]);
      py.setattr(a, 't', t);
      if (i % 7 === 0) py.append(keep, t);
      py.decref(t);
      py.decref(a);
    }
    py.decref(keep);
    py.gc.collect();
    expect(rt.verifyHeap()).toEqual([]);
    py.decref(A);
  });
});

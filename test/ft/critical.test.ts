/*
 * Containers without a GIL: per-object locks (critical sections), the lock word as a sequence
 * lock for lock-free list reads, and real threads appending, replacing and reading at once.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Coordinator } from '../../src/host/coordinator.ts';
import { OB_LOCKED, OB_VERSION_ONE, obIsLocked, obLock, obLock2, obUnlock, obUnlock2, obVersion } from '../../src/objects/critical.ts';
import { listGetItemRef, LIST_READ_RETRY } from '../../src/objects/list.ts';
import { GC_FINALIZED, GC_FLAGS, GC_HEAD_BYTES } from '../../src/objects/header.ts';
import { PyImpl, PyImplFT } from '../../src/runtime/py.ts';
import { Runtime } from '../../src/runtime/runtime.ts';
import { destroyPool, ftRuntime, PROGRAMS, sharedPool } from './helpers.ts';

afterAll(destroyPool);

describe('per-object locks', () => {
  it('live in the GC flags word beside the collector bits; every unlock is a new version', () => {
    const { rt, py } = ftRuntime();
    const l = py.list();
    const i32 = rt.space.i32;
    const flags = (l - GC_HEAD_BYTES + GC_FLAGS) >> 2;
    Atomics.or(i32, flags, GC_FINALIZED);
    const v0 = obVersion(i32, l);
    obLock(i32, l);
    expect(obIsLocked(i32, l)).toBe(true);
    expect(obVersion(i32, l) & OB_LOCKED).toBe(OB_LOCKED);
    obUnlock(i32, l);
    expect(obIsLocked(i32, l)).toBe(false);
    expect(obVersion(i32, l)).toBe(v0 + OB_VERSION_ONE);
    expect(i32[flags]! & GC_FINALIZED).toBe(GC_FINALIZED); // the collector's bit survived
    Atomics.and(i32, flags, ~GC_FINALIZED);
    py.decref(l);
  });

  it('two objects lock in address order, and one object passed twice locks once', () => {
    const { rt, py } = ftRuntime();
    const [a, b] = [py.list(), py.list()];
    const i32 = rt.space.i32;
    obLock2(i32, b, a);
    expect(obIsLocked(i32, a) && obIsLocked(i32, b)).toBe(true);
    obUnlock2(i32, b, a);
    expect(obIsLocked(i32, a) || obIsLocked(i32, b)).toBe(false);
    obLock2(i32, a, a);
    obUnlock2(i32, a, a);
    expect(obIsLocked(i32, a)).toBe(false);
    py.decref(a);
    py.decref(b);
  });

  it('a lock-free list read gives way to a writer, then reads under the lock', () => {
    const { rt, py } = ftRuntime();
    const x = py.int(12345);
    const l = py.list([x]);
    const s = rt.space;
    obLock(s.i32, l); // a writer in its critical section
    expect(listGetItemRef(s, l, 0)).toBe(LIST_READ_RETRY);
    obUnlock(s.i32, l);
    const got = listGetItemRef(s, l, 0);
    expect(got).toBe(x);
    expect(py.sys.getrefcount(x)).toBe(4); // x, the list, the read
    py.decref(got);
    expect(listGetItemRef(s, l, 5)).toBe(LIST_READ_RETRY); // out of range: the locked path raises
    expect(() => py.getitem(l, 5)).toThrow(/list index out of range/);
    expect(py.toJS(py.getitem(l, -1))).toBe(12345);
    py.decref(x); // (the read above leaked one reference on purpose: x stays alive)
    py.decref(l);
  });

  it('only the free-threaded runtime pays for them (chosen at runtime creation)', () => {
    const gil = Runtime.create({ python: '3.11', maxThreads: 2, traceEvents: 0 });
    expect(gil.mainThread()).not.toBeInstanceOf(PyImplFT);
    expect(gil.mainThread()).toBeInstanceOf(PyImpl);
    const { py } = ftRuntime();
    expect(py).toBeInstanceOf(PyImplFT);
  });
});

describe('containers shared by threads running at once (no GIL)', () => {
  it('an object lock excludes: two threads incrementing a plain word under it lose no update', async () => {
    const { rt, py } = ftRuntime();
    const co = new Coordinator(rt.threads, 'runtime', { pool: sharedPool() });
    try {
      const l = py.list();
      const spare = (l >> 2) + 9; // the unused high half of the list's `allocated`
      const [ea, eb] = [py.threading.Event(), py.threading.Event()];
      const n = 500_000;
      await co.runThreads([
        { module: PROGRAMS, fn: 'countUnderLock', args: [l, n, ea, eb], name: 'a' },
        { module: PROGRAMS, fn: 'countUnderLock', args: [l, n, eb, ea], name: 'b' },
      ]);
      expect(rt.space.i32[spare]).toBe(2 * n);
      rt.space.i32[spare] = 0;
      py.decref(l);
      py.decref(ea);
      py.decref(eb);
    } finally {
      await co.close();
    }
  }, 60_000);

  it('two threads appending to one list 100,000 times each lose no item; the list verifies', async () => {
    const { rt, py } = ftRuntime({ maxHeapBytes: 256 * 2 ** 20 });
    const co = new Coordinator(rt.threads, 'runtime', { pool: sharedPool() });
    try {
      const n = 100_000;
      const l = py.list();
      const [ea, eb] = [py.threading.Event(), py.threading.Event()];
      const outs = await co.runThreads([
        { module: PROGRAMS, fn: 'appendMany', args: [l, n, 1_000, ea, eb], name: 'a' },
        { module: PROGRAMS, fn: 'appendMany', args: [l, n, 1_000 + n, eb, ea], name: 'b' },
      ]);
      expect(outs.map((o) => o.value)).toEqual([n, n]);
      expect(py.len(l)).toBe(2 * n);
      const values = (py.toJS(l) as number[]).sort((x, y) => x - y);
      expect(values.every((v, i) => v === 1_000 + i)).toBe(true);
      expect(rt.verifyHeap()).toEqual([]);
      // the items were made by the two workers, the list drops them here (cross-thread frees)
      py.decref(l);
      py.decref(ea);
      py.decref(eb);
      expect(rt.verifyHeap()).toEqual([]);
    } finally {
      await co.close();
    }
  }, 60_000);

  it('lock-free reads racing with replacements only ever see live items', async () => {
    const { rt, py } = ftRuntime({ maxHeapBytes: 256 * 2 ** 20 });
    const co = new Coordinator(rt.threads, 'runtime', { pool: sharedPool() });
    try {
      const base = 1_000_000;
      const items = Array.from({ length: 16 }, (_, i) => py.int(base + i));
      const l = py.list(items);
      for (const it of items) py.decref(it);
      const [ea, eb] = [py.threading.Event(), py.threading.Event()];
      const n = 100_000;
      const outs = await co.runThreads([
        { module: PROGRAMS, fn: 'replaceMany', args: [l, n, base, ea, eb], name: 'writer' },
        { module: PROGRAMS, fn: 'readMany', args: [l, n, base, eb, ea], name: 'reader' },
      ]);
      expect(outs[1]!.value).toBe(0); // no read saw anything but a live int of the writer's
      expect(py.len(l)).toBe(16);
      py.decref(l);
      py.decref(ea);
      py.decref(eb);
      expect(rt.verifyHeap()).toEqual([]);
    } finally {
      await co.close();
    }
  }, 60_000);
});

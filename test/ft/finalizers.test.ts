/*
 * Finalizers and weakref callbacks are JS functions in the table of the thread that registered
 * them. An object dying on another thread has the call routed to that thread (a pending call,
 * run at its next eval-breaker poll); when that thread has exited, the skip is reported through
 * the unraisable hook, never silent.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Coordinator } from '../../src/host/coordinator.ts';
import { brcStats } from '../../src/objects/brc.ts';
import { OWNER_EXITED } from '../../src/objects/pending.ts';
import { Runtime } from '../../src/runtime/runtime.ts';
import { destroyPool, PROGRAMS, sharedPool } from './helpers.ts';

afterAll(destroyPool);

for (const python of ['3.13t', '3.11'] as const) {
  describe(`routed to the registering thread (${python})`, () => {
    it("an instance dying on a worker has its __del__ run by the thread that defined the class", async () => {
      const rt = Runtime.create({ python, maxThreads: 8, traceEvents: 0, deadlockMs: 10_000 });
      const py = rt.mainThread();
      const co = new Coordinator(rt.threads, 'runtime', { pool: sharedPool() });
      try {
        const seen: { self: number; on: number }[] = [];
        const cls = py.newClass('Tracked', { del: (_py, self) => seen.push({ self, on: rt.space.ident }) });
        const baseRuns = brcStats(rt.space).callsRun;
        const [out] = await co.runThreads([{ module: PROGRAMS, fn: 'makeAndDrop', args: [cls, 2], name: 'dropper' }]);
        const objs = out!.value as number[];
        // the worker could not run them: they wait for this thread's next poll, the objects alive
        expect(seen).toEqual([]);
        expect(objs.every((o) => rt.space.isLiveObject(o))).toBe(true);
        py.tick();
        expect(seen.map((x) => x.self).sort()).toEqual([...objs].sort());
        expect(seen.every((x) => x.on === rt.space.ident)).toBe(true);
        expect(brcStats(rt.space).callsRun - baseRuns).toBe(2);
        // finalized once (PEP 442): dropping the routed reference freed them without a second call
        expect(objs.some((o) => rt.space.isLiveObject(o))).toBe(false);
        py.tick();
        expect(seen.length).toBe(2);
        expect(rt.space.unraisableLog).toEqual([]);
        py.decref(cls);
        expect(rt.verifyHeap()).toEqual([]);
      } finally {
        await co.close();
      }
    }, 30_000);

    it('a weakref callback registered here runs here, once, when the referent dies on a worker', async () => {
      const rt = Runtime.create({ python, maxThreads: 8, traceEvents: 0, deadlockMs: 10_000 });
      const py = rt.mainThread();
      const co = new Coordinator(rt.threads, 'runtime', { pool: sharedPool() });
      try {
        const calls: number[] = [];
        const cls = py.newClass('Target');
        const o = py.instance(cls);
        const ref = py.weakref(o, (_py, r) => calls.push(r));
        const l = py.list([o]);
        py.decref(o);
        await co.runThreads([{ module: PROGRAMS, fn: 'dropAll', args: [l], name: 'dropper' }]);
        expect(py.deref(ref)).toBe(py.None); // cleared on the worker at once
        expect(calls).toEqual([ref]); // (that call polled: the callback ran)
        py.tick();
        expect(calls).toEqual([ref]);
        py.decref(ref);
        py.decref(l);
        py.decref(cls);
        expect(rt.verifyHeap()).toEqual([]);
      } finally {
        await co.close();
      }
    }, 30_000);
  });
}

describe('when the registering thread has exited', () => {
  it("the __del__ cannot run anywhere: the unraisable hook says so and the object is freed", async () => {
    const rt = Runtime.create({ python: '3.13t', maxThreads: 8, traceEvents: 0, deadlockMs: 10_000 });
    const py = rt.mainThread();
    const co = new Coordinator(rt.threads, 'runtime', { pool: sharedPool() });
    try {
      const keep = py.list();
      await co.runThreads([{ module: PROGRAMS, fn: 'defineWithDel', args: [keep], name: 'definer' }]);
      const o = py.getitem(keep, 1);
      py.delitem(keep, 1);
      expect(rt.space.unraisableLog).toEqual([]);
      py.decref(o); // the last reference: dies here; its class's del lived on the exited worker
      expect(rt.space.isLiveObject(o)).toBe(false);
      expect(rt.space.unraisableLog).toEqual([`Exception ignored in Doomed.__del__: GilsimError: ${OWNER_EXITED}`]);
      py.decref(keep);
      expect(rt.verifyHeap()).toEqual([]);
    } finally {
      await co.close();
    }
  }, 30_000);
});

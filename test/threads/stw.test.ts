/*
 * Stop-the-world (CPython 3.13's protocol), as the free-threaded collector uses it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { SUSPENDED, T_ATTACH, slotWord } from '../../src/runtime/threadstate.ts';
import { destroyPool, harness, PROGRAMS, until } from './helpers.ts';

afterAll(destroyPool);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('stop-the-world with no GIL', () => {
  it('parks running threads at a safe point and keeps blocked ones from re-entering', async () => {
    const h = harness({ gil: 'none' });
    try {
      const main = h.rt.threads.register('MainThread');
      const [stop] = h.words(1);
      const a = h.co.spawn({ module: PROGRAMS, fn: 'cpuUntil', args: [stop], name: 'a' });
      const b = h.co.spawn({ module: PROGRAMS, fn: 'cpuUntil', args: [stop], name: 'b' });
      const c = h.co.spawn({ module: PROGRAMS, fn: 'sleepUntil', args: [stop], name: 'c' });
      const m = (s: number) => h.rt.threads.threadMetrics(s);
      await until(() => m(a).bytecodes > 0 && m(b).bytecodes > 0 && m(c).blocked.sleep.count > 0, 'the three threads to run');

      h.rt.threads.stopTheWorld(main);
      const attach = (s: number) => Atomics.load(h.rt.threads.i32, slotWord(h.rt.layout, s, T_ATTACH));
      expect([a, b, c].map(attach)).toEqual([SUSPENDED, SUSPENDED, SUSPENDED]);
      const before = [m(a).bytecodes, m(b).bytecodes];
      await sleep(50);
      expect([m(a).bytecodes, m(b).bytecodes]).toEqual(before);
      h.rt.threads.startTheWorld(main);

      await until(() => m(a).bytecodes !== before[0] && m(b).bytecodes !== before[1], 'the threads to resume');
      Atomics.store(h.rt.mem.i32, stop! >> 2, 1);
      await h.co.settleAll();
      for (const s of [a, b, c]) {
        expect(m(s).parks).toBeGreaterThanOrEqual(1);
        const kinds = h.rt.threads.timeline(s).events.map((e) => e.kind);
        expect(kinds).toContain('park_begin');
        expect(kinds).toContain('park_end');
      }
      // a and b were parked for the whole 50 ms pause (lower bound)
      expect(m(a).parkedMs).toBeGreaterThanOrEqual(45);
      expect(m(b).parkedMs).toBeGreaterThanOrEqual(45);
      expect(h.rt.threads.gilMetrics().stopTheWorldPauses).toBe(1);
    } finally {
      await h.close();
    }
  });
});

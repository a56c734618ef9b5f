/*
 * Worker side of thread-stress.test.ts: one thread with its own thread heap. For `ms`
 * milliseconds it allocates blocks (mostly small, some raw), frees some itself, passes some to the
 * next worker through a ring in the shared buffer, and frees (or defer-frees) what the previous
 * worker passed to it: cross-thread frees. It polls like an eval breaker would: collect(),
 * quiescent(), sometimes adoptAbandoned(). Then it abandons its heap and reports.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ThreadHeap } from '../../src/heap/index.ts';
import { Memory, readLayout } from '../../src/heap/layout.ts';
import { barrier, Ring, RING_BYTES, tagOf } from './thread-stress.ring.ts';

interface Data {
  sab: SharedArrayBuffer;
  rings: number;
  index: number;
  workers: number;
  ms: number;
  seed: number;
}
const { sab, rings, index, workers, ms, seed } = workerData as Data;
/** how long a worker waits for the others to start (loading TypeScript in a worker is slow) */
const BARRIER_MS = 30_000;

let rnd = seed >>> 0 || 1;
const random = (): number => {
  rnd ^= rnd << 13;
  rnd ^= rnd >>> 17;
  rnd ^= rnd << 5;
  return (rnd >>> 0) / 2 ** 32;
};

try {
  const mem = new Memory(sab);
  const layout = readLayout(mem);
  const th = ThreadHeap.attach(mem, layout, { slot: index + 1 });
  const inbox = new Ring(mem, rings, index);
  const outbox = new Ring(mem, rings, (index + 1) % workers);
  const mine: number[] = [];
  const r = { ops: 0, localFrees: 0, crossFrees: 0, deferred: 0, passed: 0, adopted: 0, problems: [] as string[] };
  const write = (p: number): void => {
    mem.i32[(p >> 2) + 0] = tagOf(p);
    mem.i32[(p >> 2) + 1] = ~tagOf(p);
  };
  const check = (p: number, who: string): void => {
    const i32 = mem.i32;
    if (i32[p >> 2] !== tagOf(p) || i32[(p >> 2) + 1] !== ~tagOf(p)) {
      if (r.problems.length < 10) r.problems.push(`${who} block ${p} was overwritten`);
    }
  };
  barrier(mem, rings + workers * RING_BYTES, workers, BARRIER_MS); // start together
  const end = performance.now() + ms;
  while (performance.now() < end) {
    for (let k = 0; k < 256; k++) {
      r.ops++;
      const x = random();
      if (x < 0.45 || mine.length === 0) {
        const size = random() < 0.95 ? 8 + Math.floor(random() * 505) : 513 + Math.floor(random() * 4000);
        const p = th.malloc(size);
        write(p);
        mine.push(p);
      } else if (x < 0.7) {
        const i = Math.floor(random() * mine.length);
        const p = mine[i]!;
        mine[i] = mine[mine.length - 1]!;
        mine.pop();
        check(p, 'own');
        th.free(p);
        r.localFrees++;
      } else if (x < 0.9) {
        const p = mine.pop()!;
        if (outbox.push(p)) r.passed++;
        else {
          th.free(p);
          r.localFrees++;
        }
      } else {
        for (let n = 0; n < 8; n++) {
          const p = inbox.pop();
          if (p === 0) break;
          check(p, 'passed');
          if (random() < 0.1) {
            th.freeDeferred(p);
            r.deferred++;
          } else {
            th.free(p);
            r.crossFrees++;
          }
        }
      }
    }
    th.collect(); // the eval breaker's poll
    th.quiescent();
    if (random() < 0.05) r.adopted += th.adoptAbandoned();
  }
  for (const p of mine) th.free(p);
  th.abandon();
  parentPort!.postMessage(r);
} catch (e) {
  parentPort!.postMessage({ error: String(e instanceof Error ? e.stack : e) });
}

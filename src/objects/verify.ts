/*
 * The object verifier: what `verifyHeap()` checks above the allocator.
 *
 *   - the static objects are still immortal (None, True, False, the small ints, the empties);
 *   - every GC ring (generations 0..2 and the permanent one) closes, with prev links matching;
 *   - every tracked object is a live block with a valid type, a GC type, and a count > 0;
 *   - every object a container references (found through tp_traverse, breadth first from the
 *     tracked ones, into untracked containers too) is a live object: a container holding a
 *     freed block is reported.
 *
 * Returns human-readable violations; empty when sound. Walks everything: for tests and reports.
 */

import { NUM_GENERATIONS } from './gc-lists.ts';
import { GC_HEAD_BYTES, IMMORTAL_REFCNT } from './header.ts';
import type { ObjectSpace } from './space.ts';
import { SMALL_INT_BYTES, SMALL_INT_MAX, SMALL_INT_MIN } from './statics.ts';

const MAX_REPORTED = 50;

export function verifyObjects(s: ObjectSpace): string[] {
  s.sync();
  const errors: string[] = [];
  const report = (msg: string): void => {
    if (errors.length < MAX_REPORTED) errors.push(msg);
  };
  const statics: [string, number][] = [
    ['None', s.None],
    ['True', s.True],
    ['False', s.False],
    ['()', s.st.emptyTuple],
    ["''", s.st.emptyStr],
    ["b''", s.st.emptyBytes],
  ];
  for (let v = SMALL_INT_MIN; v <= SMALL_INT_MAX; v++) statics.push([String(v), s.st.smallInts + (v - SMALL_INT_MIN) * SMALL_INT_BYTES]);
  for (const [name, o] of statics) {
    if (s.refcount(o) !== IMMORTAL_REFCNT) report(`static ${name} at ${o} lost its immortal count: ${s.refcount(o)}`);
  }

  let limit = 0;
  s.heap.forEachLiveBlock(() => {
    limit++;
  });
  const gcl = s.gcl;
  const seen = new Set<number>();
  const queue: number[] = [];
  for (let g = 0; g <= NUM_GENERATIONS; g++) {
    // generation 0 is its own ring plus, free-threaded, each thread's young ring (gc-lists.ts)
    gcl.generationHeads(g).forEach((head, k) => {
      const name = k === 0 ? `generation ${g}` : `young ring ${k}`;
      let prev = head;
      let steps = 0;
      for (let gc = gcl.first(head); gc !== head; gc = gcl.next(gc)) {
        if (++steps > limit + 1 || gc === 0) {
          report(`GC ring of ${name} does not close (broken after ${steps} links)`);
          break;
        }
        if (gcl.prev(gc) !== prev) report(`GC ring of ${name}: ${gc}.gc_prev is ${gcl.prev(gc)}, expected ${prev}`);
        prev = gc;
        const o = gc + GC_HEAD_BYTES;
        if (!s.isLiveObject(o)) {
          report(`${name} links ${o}, which is not a live object (count ${s.i32[o >> 2]}, type ${s.i32[(o >> 2) + 2]})`);
          continue;
        }
        if (!s.isGC(o)) report(`${name} links ${o}, a '${s.typeName(o)}', which is not a GC type`);
        if (gcl.ringOf(o) !== k) report(`${name} links ${o}, whose gc_flags name ring ${gcl.ringOf(o)}`);
        if (!seen.has(o)) {
          seen.add(o);
          queue.push(o);
        }
      }
      if (gcl.prev(head) !== prev) report(`GC ring of ${name}: the head's gc_prev is ${gcl.prev(head)}, expected ${prev}`);
    });
  }
  if (gcl.count(0) < 0) report(`generation 0 count is negative: ${gcl.count(0)}`);

  const visit = (child: number, parent: number): void => {
    if (!s.isLiveObject(child)) {
      report(`a '${s.typeName(parent)}' at ${parent} references ${child}, which is not a live object`);
      return;
    }
    if (s.isGC(child) && !seen.has(child)) {
      seen.add(child);
      queue.push(child);
    }
  };
  for (let i = 0; i < queue.length; i++) s.traverse(queue[i]!, visit, queue[i]!);
  return errors;
}

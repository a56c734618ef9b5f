/*
 * Building blocks for thread programs: objects of mixed sizes, as a real program allocates.
 *
 * `mixedObject` makes one new object whose type and size are drawn from `rng`, spread over the
 * allocator's size classes (ints, floats, short and long strs, tuples, bytes, small lists), with
 * about one in twenty over the small-request threshold so the raw allocator is exercised too.
 */

import type { Py, PyObject } from '../runtime/types.ts';
import type { Rng } from './random.ts';

/** Kinds of object, by weight. */
const KINDS = ['int', 'int', 'float', 'str', 'str', 'tuple', 'bytes', 'list', 'bigstr'] as const;
const SHORT_STR = 120;
const LONG_STR = 1200;
const MAX_BYTES = 400;
const MAX_TUPLE = 8;
const SMALL_INT_MAX = 256;

/** One new object (a new reference) of a random kind and size. */
export function mixedObject(py: Py, r: Rng): PyObject {
  const kind = KINDS[r.below(KINDS.length)]!;
  switch (kind) {
    case 'int':
      return py.int(1000 + r.below(2 ** 30));
    case 'float':
      return py.float(r.next());
    case 'str':
      return py.str('s'.repeat(r.below(SHORT_STR)));
    case 'bigstr':
      return r.below(2) === 0 ? py.str('S'.repeat(SHORT_STR + r.below(LONG_STR))) : py.str('s');
    case 'bytes':
      return py.bytes('b'.repeat(r.below(MAX_BYTES)));
    case 'tuple': {
      const items: PyObject[] = [];
      const n = 1 + r.below(MAX_TUPLE);
      for (let i = 0; i < n; i++) items.push(py.int(r.below(SMALL_INT_MAX)));
      const t = py.tuple(items);
      for (const it of items) py.decref(it);
      return t;
    }
    case 'list': {
      const l = py.list();
      const n = r.below(4);
      for (let i = 0; i < n; i++) {
        const f = py.float(i);
        py.append(l, f);
        py.decref(f);
      }
      return l;
    }
  }
}

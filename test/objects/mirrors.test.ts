/*
 * The hot-path files repeat a few constants as literals (V8 folds a module's own literals but
 * loads imported bindings at every use). Each copy must equal its one definition.
 */
import { describe, expect, it } from 'vitest';
import { MIRRORS as lists } from '../../src/objects/gc-lists.ts';
import * as header from '../../src/objects/header.ts';
import * as kinds from '../../src/objects/kinds.ts';
import { MIRRORS as atomic } from '../../src/objects/refcount/atomic.ts';
import { MIRRORS as biased } from '../../src/objects/refcount/biased.ts';
import * as critical from '../../src/objects/critical.ts';
import { THREAD_RECORD_BYTES } from '../../src/objects/brc.ts';
import { MIRRORS as list } from '../../src/objects/list.ts';
import { MIRRORS as plain } from '../../src/objects/refcount/plain.ts';
import { MIRRORS as space } from '../../src/objects/space.ts';
import { MIRRORS as typeobject } from '../../src/objects/typeobject.ts';
import { MIRRORS as py } from '../../src/runtime/py.ts';

const definitions: Record<string, number> = {
  ...(header as unknown as Record<string, number>),
  ...(kinds as unknown as Record<string, number>),
  ...(critical as unknown as Record<string, number>),
  W_NEXT: header.GC_NEXT >> 2,
  W_PREV: header.GC_PREV >> 2,
  W_GC_NEXT: header.GC_NEXT >> 2,
  W_GC_PREV: header.GC_PREV >> 2,
  W_GC_REFS: header.GC_REFS >> 2,
  W_GC_FLAGS: header.GC_FLAGS >> 2,
  W_GC_HEAD: header.GC_HEAD_BYTES >> 2,
  WORDS_PER_SLOT: header.PTR >> 2,
  THREAD_RECORD_BYTES,
};

describe('hot-path constant copies', () => {
  it.each([
    ['objects/gc-lists.ts', lists],
    ['refcount/plain.ts', plain],
    ['refcount/atomic.ts', atomic],
    ['refcount/biased.ts', biased],
    ['objects/critical.ts', critical.MIRRORS],
    ['objects/list.ts', list],
    ['objects/space.ts', space],
    ['objects/typeobject.ts', typeobject],
    ['runtime/py.ts', py],
  ] as const)('%s', (_file, mirrors) => {
    for (const [name, value] of Object.entries(mirrors)) {
      expect([name, value]).toEqual([name, definitions[name]]);
    }
  });
});

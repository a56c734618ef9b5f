/*
 * graph.ts repeats its hot-path constants as literals (V8 folds a module's own literals but
 * loads imported bindings at every use). Each copy must equal its one definition.
 */
import { describe, expect, it } from 'vitest';
import { MIRRORS } from '../../src/gc/graph.ts';
import * as header from '../../src/objects/header.ts';
import * as kinds from '../../src/objects/kinds.ts';
import { L_ITEM } from '../../src/objects/list.ts';

const definitions: Record<keyof typeof MIRRORS, number> = {
  W_NEXT: header.GC_NEXT >> 2,
  W_PREV: header.GC_PREV >> 2,
  W_REFS: header.GC_REFS >> 2,
  W_FLAGS: header.GC_FLAGS >> 2,
  W_OBJ: header.GC_HEAD_BYTES >> 2,
  W_TYPE: header.W_TYPE,
  W_SIZE: header.W_SIZE,
  T_FLAGS: kinds.T_FLAGS,
  T_KIND: kinds.T_KIND,
  TPFLAGS_HAVE_GC: kinds.TPFLAGS_HAVE_GC,
  K_TUPLE: kinds.K_TUPLE,
  K_LIST: kinds.K_LIST,
  K_DICT: kinds.K_DICT,
  GC_COLLECTING: header.GC_COLLECTING,
  GC_UNREACHABLE: header.GC_UNREACHABLE,
  W_LIST_ITEMS: L_ITEM >> 2,
  W_TUPLE_ITEMS: header.VAR_HEAD_BYTES >> 2,
  WORDS_PER_ITEM: header.PTR >> 2,
};

describe('gc/graph.ts hot-path constant copies', () => {
  it('equal their definitions', () => {
    expect(MIRRORS).toEqual(definitions);
  });
});

/*
 * Interned strings: one immortal str per distinct name, shared by every thread.
 *
 * Attribute names, slot names and class-dict keys are interned so that lookups in shared keys
 * usually succeed on identity. The truth is a dict in the heap (RS_INTERNED, str -> itself); each
 * thread caches name -> handle in a JS Map. Interned strings are immortal, as in CPython 3.12.
 */

import { obLock, obUnlock } from './critical.ts';
import { dictGetItem, dictSetItem } from './dict.ts';
import { IMMORTAL_REFCNT } from './header.ts';
import type { ObjectSpace } from './space.ts';
import { RS_INTERNED } from './statics.ts';
import { newStr, strMarkInterned } from './str.ts';

export function intern(s: ObjectSpace, name: string): number {
  const cached = s.internCache.get(name);
  if (cached !== undefined) return cached;
  return internSlow(s, name);
}

function internSlow(s: ObjectSpace, name: string): number {
  const d = s.i32[(s.layout.runtimeOff + RS_INTERNED) >> 2]!;
  const tmp = newStr(s, name);
  // free-threaded: the interned dict is shared by every thread, changed under its lock
  if (s.ft) {
    obLock(s.i32, d);
    s.syncIfGrown();
  }
  let found: number;
  try {
    found = dictGetItem(s, d, tmp);
    if (found === 0) {
      if (tmp !== s.st.emptyStr) {
        s.rc.setCount(tmp, IMMORTAL_REFCNT);
        strMarkInterned(s, tmp);
      }
      dictSetItem(s, d, tmp, tmp);
    }
  } finally {
    if (s.ft) obUnlock(s.i32, d);
  }
  if (found !== 0) {
    s.decref(tmp);
    s.internCache.set(name, found);
    return found;
  }
  s.internCache.set(name, tmp);
  return tmp;
}

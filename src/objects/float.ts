/*
 * float: a C double after the header. getsizeof(1.5) == 24.
 *
 *     +0   header (16 B)
 *     +16  ob_fval  (f64)
 */

import { OBJECT_HEAD_BYTES } from './header.ts';
import { K_FLOAT } from './kinds.ts';
import type { ObjectSpace } from './space.ts';

export const FLOAT_BYTES = OBJECT_HEAD_BYTES + 8;
const W_FVAL = OBJECT_HEAD_BYTES >> 3;

export function floatSizeof(): number {
  return FLOAT_BYTES;
}

export function newFloat(s: ObjectSpace, v: number): number {
  const o = s.allocObject(FLOAT_BYTES, s.staticType(K_FLOAT));
  s.f64[(o >> 3) + W_FVAL] = v;
  return o;
}

export function floatValue(s: ObjectSpace, o: number): number {
  return s.f64[(o >> 3) + W_FVAL]!;
}

/* Picks the reference counting strategy named in the runtime config. */

import type { RefcountKind } from './strategy.ts';
import { ConfigError } from '../../errors.ts';
import { AtomicRefcount } from './atomic.ts';
import { BiasedRefcount } from './biased.ts';
import { PlainRefcount } from './plain.ts';
import type { RefcountStrategy } from './strategy.ts';

export type { RefcountStrategy } from './strategy.ts';
export { PlainRefcount } from './plain.ts';
export { AtomicRefcount } from './atomic.ts';
export { BiasedRefcount, type BrcQueue } from './biased.ts';

export function makeRefcount(kind: RefcountKind, i32: Int32Array): RefcountStrategy {
  if (kind === 'plain') return new PlainRefcount(i32);
  if (kind === 'atomic') return new AtomicRefcount(i32);
  if (kind === 'biased') return new BiasedRefcount(i32);
  throw new ConfigError(`unknown refcount strategy '${String(kind)}'`);
}

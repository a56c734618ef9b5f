/* Picks the reference counting strategy named in the runtime config. */

import type { RefcountKind } from '../../runtime/config.ts';
import { ConfigError } from '../../errors.ts';
import { AtomicRefcount } from './atomic.ts';
import { PlainRefcount } from './plain.ts';
import type { RefcountStrategy } from './strategy.ts';

export type { RefcountStrategy } from './strategy.ts';
export { PlainRefcount } from './plain.ts';
export { AtomicRefcount } from './atomic.ts';

export function makeRefcount(kind: RefcountKind, i32: Int32Array): RefcountStrategy {
  if (kind === 'plain') return new PlainRefcount(i32);
  if (kind === 'atomic') return new AtomicRefcount(i32);
  // issue 7: `biased` is one more file here (owner id in ob_tid, shared count in ob_ref_shared)
  throw new ConfigError(`refcount strategy '${kind}' is not built yet (issue 7); use plain or atomic`);
}

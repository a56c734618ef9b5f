/*
 * The engine over the real runtime (src/runtime + src/host). PLACEHOLDER until those land.
 */

import { GilsimError } from '../errors.ts';
import type { EngineFactory } from './engine.ts';

export const createRuntimeEngine: EngineFactory = async () => {
  throw new GilsimError('the runtime is not built yet (src/runtime/runtime.ts and src/host are missing)');
};

/*
 * gilsim's public entry: `import { createHeap, createRuntime, ... } from 'gilsim'`.
 * Each layer adds its exports here as it lands.
 */
export * from './errors.ts';
export * from './heap/layout.ts';
export * from './runtime/types.ts';
export * from './runtime/config.ts';
export * from './heap/index.ts';

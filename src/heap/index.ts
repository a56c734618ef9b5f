/*
 * The heap's public surface: the Heap (malloc/free/realloc over the shared buffer), its
 * statistics and verifier, and the pieces a runtime needs to lay out and share a buffer.
 */
export { createHeap, Heap, type AttachOptions, type CreateHeapOptions } from './heap.ts';
export { allocStateBytes, initUsedpools, usedpoolsBytes, usedpoolsHead } from './state.ts';
export { printone, type MallocStats, type SizeClassStats } from './stats.ts';
export { ThreadHeap, type ThreadAttachOptions } from './thread-heap.ts';
export { type ThreadHeapStats } from './stats.ts';

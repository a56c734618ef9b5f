/*
 * No GIL: the free-threaded build (PEP 703, CPython 3.13t).
 *
 * take and drop do nothing: every thread runs Python code at once, truly in parallel. What the
 * GIL used to protect must now protect itself: reference counts become atomic (the runtime picks
 * the 'atomic' refcount strategy with this policy), container mutation takes a per-object lock,
 * and the allocator is wrapped with a lock of its own. CPython 3.13t gives each thread its own
 * mimalloc heap instead; a single heap lock is the simple first step, and it makes the cost of
 * sharing one allocator visible.
 *
 * The heap lock is a futex mutex in the GIL block (heap_lock). Hold it only around allocator
 * calls: never across a blocking wait or an eval breaker poll, and never while stopping the world
 * (a thread waiting for it would never reach a safe point).
 */

import { G_HEAP_LOCK } from './block.ts';
import { Mutex } from './mutex.ts';
import type { DropReason, GilHost, GilPolicy } from './policy.ts';
import type { WaitGuard } from './wait.ts';

class NoGil implements GilPolicy {
  readonly name = 'none' as const;
  readonly exclusive = false;
  readonly heapLock: Mutex;

  constructor(host: GilHost) {
    this.heapLock = new Mutex(host.block.i32, host.block.word(G_HEAP_LOCK));
  }

  take(_slot: number, _guard: WaitGuard): boolean {
    return false;
  }

  drop(_slot: number, _reason: DropReason, _guard: WaitGuard): void {}

  checkInterval(): number {
    return 0;
  }
}

export function noGil(host: GilHost): GilPolicy {
  return new NoGil(host);
}

/** Run `fn` under the heap lock (or straight away when there is none, under a GIL). */
export function withHeapLock<T>(lock: Mutex | null, fn: () => T): T {
  if (lock === null) return fn();
  lock.lock();
  try {
    return fn();
  } finally {
    lock.unlock();
  }
}

type Allocator = { malloc(n: number): number; free(p: number): void; realloc(p: number, n: number): number };

/**
 * An allocator whose malloc, free and realloc take the heap lock; its other methods are the
 * original's, bound to it. A plain object (no Proxy), so the wrapped calls stay fast.
 */
export function lockedAllocator<A extends Allocator>(alloc: A, lock: Mutex): A {
  const out: Record<string, unknown> = {};
  for (let o: object | null = alloc; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const k of Object.getOwnPropertyNames(o)) {
      const v = (alloc as unknown as Record<string, unknown>)[k];
      if (k !== 'constructor' && !(k in out) && typeof v === 'function') out[k] = (v as (...a: unknown[]) => unknown).bind(alloc);
    }
  }
  out.malloc = (n: number): number => {
    lock.lock();
    try {
      return alloc.malloc(n);
    } finally {
      lock.unlock();
    }
  };
  out.free = (p: number): void => {
    lock.lock();
    try {
      alloc.free(p);
    } finally {
      lock.unlock();
    }
  };
  out.realloc = (p: number, n: number): number => {
    lock.lock();
    try {
      return alloc.realloc(p, n);
    } finally {
      lock.unlock();
    }
  };
  return out as A;
}

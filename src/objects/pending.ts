/*
 * Pending calls: a finalizer or weakref callback run by the thread that knows the function.
 * ========================================================================================
 *
 * A class's `del` and a weakref's callback are JS functions: they cannot live in the buffer, so
 * they stay in the hook table of the JS thread that registered them (space.classHooks,
 * space.weakCallbacks). The object, though, may die on any thread. When the dying thread does
 * not know the function, the call is routed to the thread that does, like CPython's
 * Py_AddPendingCall: the type object (T_HOOK_OWNER) or the weakref (WR_CALLBACK) records the
 * registering thread's ident; the dying thread takes a reference to the object (so it stays
 * alive, as if the finalizer had resurrected it), pushes a node on that thread's pending-calls
 * stack (brc.ts: TR_CALLS, the same lock-free protocol as the refcount queue) and sets
 * PENDING_CALLS in its eval breaker. At its next poll that thread runs the function with its own
 * `py` and drops the reference:
 *
 *   CALL_DEL       __del__(o) (PEP 442: o is FINALIZED already, so when the reference drops to
 *                  zero the dealloc goes on without calling it again)
 *   CALL_WEAKREF   callback(ref), once (the weakref's pending mark was cleared when it was routed)
 *
 * When the registering thread has exited (its stack is CLOSED or its slot runs another thread)
 * the call cannot run anywhere: it is reported through the unraisable hook ("Exception ignored
 * in ...: the thread that registered it has exited"), the object's dealloc goes on. A thread
 * runs what is still pending before it exits (brc.ts, closeThreadRecord). Calls wait while the
 * registering thread is blocked or detached: they run when it next polls.
 */

import { GilsimError } from '../errors.ts';
import { CLOSED, NODE_BYTES, NODE_KIND, NODE_NEXT, NODE_OBJECT, PENDING_CALLS, recWord, slotOfIdent, TR_CALLS, TR_CALLS_RUN, TR_IDENT } from './brc.ts';
import type { ObjectSpace } from './space.ts';

export const CALL_DEL = 1;
export const CALL_WEAKREF = 2;

/** The message routed-but-undeliverable calls are reported with. */
export const OWNER_EXITED = 'the thread that registered it has exited, so it cannot run';

/**
 * Route a call of `kind` on o to the thread with ident `owner`. Takes its own reference to o
 * (dropped by the owner after the call). Returns false when the owner is gone (nothing taken).
 */
export function pushCall(s: ObjectSpace, owner: number, kind: number, o: number): boolean {
  if (owner <= 0 || s.records === 0) return false;
  const slot = slotOfIdent(s, owner);
  const node = s.heap.malloc(NODE_BYTES);
  if (node + NODE_BYTES > s.viewBytes) s.sync();
  const i32 = s.i32;
  const head = recWord(s, slot, TR_CALLS);
  i32[(node + NODE_OBJECT) >> 2] = o;
  i32[(node + NODE_KIND) >> 2] = kind;
  s.incref(o);
  for (;;) {
    const h = Atomics.load(i32, head);
    if (h === CLOSED || Atomics.load(i32, recWord(s, slot, TR_IDENT)) !== owner) {
      s.heap.free(node);
      s.decref(o);
      return false;
    }
    i32[(node + NODE_NEXT) >> 2] = h;
    if (Atomics.compareExchange(i32, head, h, node) === h) break;
  }
  s.notifyThread(slot, PENDING_CALLS);
  return true;
}

/** Run every call pending for the thread in `slot` (the caller is that thread). */
export function runPendingCalls(s: ObjectSpace, slot: number): number {
  const word = recWord(s, slot, TR_CALLS);
  const seen = Atomics.load(s.i32, word);
  if (seen === 0 || seen === CLOSED) return 0;
  return runCallList(s, slot, Atomics.exchange(s.i32, word, 0));
}

/** Run a stack of calls, oldest first. */
export function runCallList(s: ObjectSpace, slot: number, first: number): number {
  const calls = takeList(s, first);
  for (let k = calls.length - 2; k >= 0; k -= 2) runCall(s, calls[k]!, calls[k + 1]!);
  Atomics.add(s.i32, recWord(s, slot, TR_CALLS_RUN), calls.length >> 1);
  return calls.length >> 1;
}

/** Calls that can never run (their thread left without running them): report, drop the refs. */
export function dropCallList(s: ObjectSpace, first: number): void {
  const calls = takeList(s, first);
  for (let k = 0; k < calls.length; k += 2) {
    const o = calls[k + 1]!;
    s.unraisable(new GilsimError(OWNER_EXITED), callName(s, calls[k]!, o));
    s.decref(o);
  }
}

/** Free the nodes of a stack; returns [kind, object, kind, object, ...], newest first. */
function takeList(s: ObjectSpace, first: number): number[] {
  const out: number[] = [];
  for (let node = first; node !== 0; ) {
    if (node + NODE_BYTES > s.viewBytes) s.sync(); // pushed by a thread that grew the buffer
    const i32 = s.i32;
    out.push(i32[(node + NODE_KIND) >> 2]!, i32[(node + NODE_OBJECT) >> 2]!);
    const next = i32[(node + NODE_NEXT) >> 2]!;
    s.heap.free(node);
    node = next;
  }
  return out;
}

function runCall(s: ObjectSpace, kind: number, o: number): void {
  if (o >= s.viewBytes) s.sync();
  try {
    if (kind === CALL_DEL) s.runDelHere(o);
    else s.runWeakrefCallbackHere(o);
  } finally {
    s.decref(o);
  }
}

export function callName(s: ObjectSpace, kind: number, o: number): string {
  return kind === CALL_DEL ? `${s.typeName(o)}.__del__` : 'weakref callback';
}

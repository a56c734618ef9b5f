/*
 * Arenas: where pymalloc's pools come from, and when arenas go back.
 * ====================================================================
 *
 * Each arena is described by an arena object (CPython's struct arena_object, fields in state.ts):
 * its `address` (0 when the object has no arena), `pool_address` (the next pool never carved),
 * `nfreepools` (empty pools: on `freepools` plus never carved), `ntotalpools`, `freepools` (the
 * singly linked list of empty carved pools) and the `nextarena`/`prevarena` links.
 *
 * Arena objects live in an array (the `arenas` part of the state). Objects with no arena are
 * chained through nextarena on `unused_arena_objects`. As in CPython, the array is brought into
 * use 16 objects at first and doubled whenever none is unused (`maxarenas`); ours is
 * preallocated for the largest possible heap, so the doubling only initialises objects.
 *
 * `usable_arenas` is the doubly linked list of arenas with at least one empty pool, kept sorted
 * by ascending nfreepools: new pools are taken from the head, the fullest arena, so that lightly
 * used arenas get the chance to drain completely and be returned. `nfp2lasta[n]` points at the
 * LAST arena in the list with exactly n free pools (or NULL), so when an arena gains a free pool
 * it can be moved right past all arenas with its old count in O(1) rather than by a list walk.
 *
 *   usable_arenas -> [nfp=1] <-> [nfp=3] <-> [nfp=3] <-> [nfp=7] -> NULL
 *                                            ^ nfp2lasta[3]   ^ nfp2lasta[7]
 *
 * A new arena is created only when usable_arenas is empty. When a pool of an arena becomes empty
 * (returnPoolToArena), one of four things happens, as in CPython's insert_to_freepool:
 *   1. the arena is now wholly free and is not the last arena of usable_arenas: it is returned
 *      (its slot goes back to the slot space, its object to unused_arena_objects). The last one
 *      is kept, so a loop that allocates and frees one object does not create and destroy an
 *      arena on every iteration (bpo-37257);
 *   2. it had no free pool before: it goes to the head of usable_arenas;
 *   3. it now has more free pools than the arena after it: it moves right, just after
 *      nfp2lasta[old count];
 *   4. otherwise it stays where it is.
 */

import { allocSlots, arenaKind, freeSlots } from './segments.ts';
import {
  AO_ADDRESS,
  AO_FREEPOOLS,
  AO_NEXTARENA,
  AO_NFREEPOOLS,
  AO_NTOTALPOOLS,
  AO_POOL_ADDRESS,
  AO_PREVARENA,
  DUMMY_SIZE_IDX,
  INITIAL_ARENA_OBJECTS,
  POOL_ARENAINDEX,
  POOL_NEXTPOOL,
  POOL_OWNER,
  POOL_SZIDX,
  POOL_XTHREAD_FREE,
  S_MAXARENAS,
  S_NARENAS_CURRENTLY_ALLOCATED,
  S_NARENAS_HIGHWATER,
  S_NTIMES_ARENA_ALLOCATED,
  S_UNUSED_ARENA_OBJECTS,
  S_USABLE_ARENAS,
  SEG_KIND,
  type HeapState,
} from './state.ts';

/** Read field f of arena object ao. */
function ao_(st: HeapState, ao: number, f: number): number {
  return st.i32[(ao + f) >> 2];
}

function setAo(st: HeapState, ao: number, f: number, v: number): void {
  st.i32[(ao + f) >> 2] = v;
}

function nfp2lasta(st: HeapState, n: number): number {
  return st.i32[(st.nfp2lasta >> 2) + n];
}

function setNfp2lasta(st: HeapState, n: number, ao: number): void {
  st.i32[(st.nfp2lasta >> 2) + n] = ao;
}

/**
 * Take an empty pool from the head of usable_arenas (creating an arena if there is none).
 * Returns the pool (szidx left as it was, or DUMMY_SIZE_IDX if newly carved), or 0 when no
 * arena can be had.
 */
export function takeFreePool(st: HeapState): number {
  let ua = st.get(S_USABLE_ARENAS);
  if (ua === 0) {
    ua = newArena(st);
    if (ua === 0) return 0;
    setAo(st, ua, AO_NEXTARENA, 0);
    setAo(st, ua, AO_PREVARENA, 0);
    st.set(S_USABLE_ARENAS, ua);
    setNfp2lasta(st, ao_(st, ua, AO_NFREEPOOLS), ua);
  }
  // The head has the smallest nfreepools: taking a pool keeps it the head (or unlinks it).
  const nfp = ao_(st, ua, AO_NFREEPOOLS);
  if (nfp2lasta(st, nfp) === ua) setNfp2lasta(st, nfp, 0);
  if (nfp > 1) setNfp2lasta(st, nfp - 1, ua);

  let pool = ao_(st, ua, AO_FREEPOOLS);
  if (pool !== 0) {
    setAo(st, ua, AO_FREEPOOLS, st.i32[(pool + POOL_NEXTPOOL) >> 2]);
  } else {
    // Carve a new pool at pool_address.
    pool = ao_(st, ua, AO_POOL_ADDRESS);
    st.i32[(pool + POOL_ARENAINDEX) >> 2] = st.arenaIndex(ua);
    st.i32[(pool + POOL_SZIDX) >> 2] = DUMMY_SIZE_IDX;
    // the slot may have held anything before (a freed arena, a raw segment): no owner, no
    // blocks freed by other threads (the free-threaded mode's header words, thread-heap.ts)
    st.i32[(pool + POOL_OWNER) >> 2] = 0;
    st.i32[(pool + POOL_XTHREAD_FREE) >> 2] = 0;
    setAo(st, ua, AO_POOL_ADDRESS, pool + st.poolSize);
  }
  setAo(st, ua, AO_NFREEPOOLS, nfp - 1);
  if (nfp - 1 === 0) {
    // Wholly allocated: unlink it.
    const next = ao_(st, ua, AO_NEXTARENA);
    st.set(S_USABLE_ARENAS, next);
    if (next !== 0) setAo(st, next, AO_PREVARENA, 0);
  }
  return pool;
}

/** Attach a fresh arena (one slot) to an unused arena object. Returns the object, or 0. */
function newArena(st: HeapState): number {
  if (st.get(S_UNUSED_ARENA_OBJECTS) === 0 && !growArenaObjects(st)) return 0;
  const ao = st.get(S_UNUSED_ARENA_OBJECTS);
  const slot = allocSlots(st, 1);
  if (slot < 0) return 0; // the object stays on unused_arena_objects
  st.set(S_UNUSED_ARENA_OBJECTS, ao_(st, ao, AO_NEXTARENA));
  const index = st.arenaIndex(ao);
  st.i32[(st.seg(slot) + SEG_KIND) >> 2] = arenaKind(index);
  const address = st.slotAddress(slot);
  setAo(st, ao, AO_ADDRESS, address);
  setAo(st, ao, AO_POOL_ADDRESS, address);
  setAo(st, ao, AO_NFREEPOOLS, st.poolsInArena);
  setAo(st, ao, AO_NTOTALPOOLS, st.poolsInArena);
  setAo(st, ao, AO_FREEPOOLS, 0);

  const current = st.get(S_NARENAS_CURRENTLY_ALLOCATED) + 1;
  st.set(S_NARENAS_CURRENTLY_ALLOCATED, current);
  st.set(S_NTIMES_ARENA_ALLOCATED, st.get(S_NTIMES_ARENA_ALLOCATED) + 1);
  if (current > st.get(S_NARENAS_HIGHWATER)) st.set(S_NARENAS_HIGHWATER, current);
  return ao;
}

/** No unused arena object: bring the next ones into use (16 at first, then double). */
function growArenaObjects(st: HeapState): boolean {
  const maxarenas = st.get(S_MAXARENAS);
  const numarenas = Math.min(maxarenas === 0 ? INITIAL_ARENA_OBJECTS : maxarenas * 2, st.maxSlots);
  if (numarenas <= maxarenas) return false;
  for (let i = maxarenas; i < numarenas; i++) {
    const ao = st.arenaObject(i);
    setAo(st, ao, AO_ADDRESS, 0);
    setAo(st, ao, AO_NEXTARENA, i < numarenas - 1 ? st.arenaObject(i + 1) : 0);
  }
  st.set(S_UNUSED_ARENA_OBJECTS, st.arenaObject(maxarenas));
  st.set(S_MAXARENAS, numarenas);
  return true;
}

/** A pool became empty: put it on its arena's freepools and keep usable_arenas in order. */
export function returnPoolToArena(st: HeapState, pool: number): void {
  const ao = st.arenaObject(st.i32[(pool + POOL_ARENAINDEX) >> 2]);
  st.i32[(pool + POOL_NEXTPOOL) >> 2] = ao_(st, ao, AO_FREEPOOLS);
  setAo(st, ao, AO_FREEPOOLS, pool);
  let nf = ao_(st, ao, AO_NFREEPOOLS);
  // If ao is the rightmost arena with nf free pools, that role passes to its left neighbour.
  const lastnf = nfp2lasta(st, nf);
  if (lastnf === ao) {
    const prev = ao_(st, ao, AO_PREVARENA);
    setNfp2lasta(st, nf, prev !== 0 && ao_(st, prev, AO_NFREEPOOLS) === nf ? prev : 0);
  }
  nf += 1;
  setAo(st, ao, AO_NFREEPOOLS, nf);

  if (nf === ao_(st, ao, AO_NTOTALPOOLS) && ao_(st, ao, AO_NEXTARENA) !== 0) {
    freeArena(st, ao); // case 1
    return;
  }
  if (nf === 1) {
    // Case 2: it was full, so it is not in usable_arenas: it goes to the head.
    const head = st.get(S_USABLE_ARENAS);
    setAo(st, ao, AO_NEXTARENA, head);
    setAo(st, ao, AO_PREVARENA, 0);
    if (head !== 0) setAo(st, head, AO_PREVARENA, ao);
    st.set(S_USABLE_ARENAS, ao);
    if (nfp2lasta(st, 1) === 0) setNfp2lasta(st, 1, ao);
    return;
  }
  if (nfp2lasta(st, nf) === 0) setNfp2lasta(st, nf, ao);
  if (ao === lastnf) return; // case 4: it was the rightmost with its old count, still in order
  moveAfter(st, ao, lastnf); // case 3
}

/** Case 3: unlink ao and insert it right after lastnf (the last arena with ao's old count). */
function moveAfter(st: HeapState, ao: number, lastnf: number): void {
  const prev = ao_(st, ao, AO_PREVARENA);
  const next = ao_(st, ao, AO_NEXTARENA);
  if (prev !== 0) setAo(st, prev, AO_NEXTARENA, next);
  else st.set(S_USABLE_ARENAS, next);
  setAo(st, next, AO_PREVARENA, prev);
  const after = ao_(st, lastnf, AO_NEXTARENA);
  setAo(st, ao, AO_PREVARENA, lastnf);
  setAo(st, ao, AO_NEXTARENA, after);
  if (after !== 0) setAo(st, after, AO_PREVARENA, ao);
  setAo(st, lastnf, AO_NEXTARENA, ao);
}

/** Case 1: unlink a wholly free arena, give its slot back and its object to unused_arena_objects. */
function freeArena(st: HeapState, ao: number): void {
  const prev = ao_(st, ao, AO_PREVARENA);
  const next = ao_(st, ao, AO_NEXTARENA);
  if (prev !== 0) setAo(st, prev, AO_NEXTARENA, next);
  else st.set(S_USABLE_ARENAS, next);
  if (next !== 0) setAo(st, next, AO_PREVARENA, prev);
  setAo(st, ao, AO_NEXTARENA, st.get(S_UNUSED_ARENA_OBJECTS));
  st.set(S_UNUSED_ARENA_OBJECTS, ao);
  const slot = (ao_(st, ao, AO_ADDRESS) - st.slotsOff) >> st.arenaBits;
  freeSlots(st, slot, 1);
  setAo(st, ao, AO_ADDRESS, 0);
  st.set(S_NARENAS_CURRENTLY_ALLOCATED, st.get(S_NARENAS_CURRENTLY_ALLOCATED) - 1);
}

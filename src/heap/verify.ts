/*
 * The verifier: every invariant of the allocator, checked by walking everything.
 * ===============================================================================
 *
 * verifyHeap() returns the list of violated invariants (empty when the heap is sound). It is the
 * property tests' oracle and a debugging tool; it is slow (it reads every pool header, free list,
 * raw block and bitmap word) and never runs on an allocation path. It never writes.
 *
 * What it checks:
 *   arenas     the arena objects in use are exactly those with an address, the others are all on
 *              unused_arena_objects; counters agree; each arena sits in its own slot, which the
 *              segment map names; nfreepools = freepools + never-carved pools.
 *   pools      each carved pool's header is coherent (arenaindex, szidx, nextoffset,
 *              maxnextoffset); ref.count + free list length = carved blocks; no block twice on a
 *              free list; free blocks are not live; the live bits in the pool are exactly
 *              ref.count block starts (blocks freed by other threads and not yet collected keep
 *              theirs, plus a pending-free bit: exactly the blocks on the pool's thread-free list
 *              and on delayed_free lists); a used pool is in its owner's usedpools ring exactly
 *              once (the shared rings for owner 0), a full pool in its owner's full ring (in no
 *              ring for owner 0), an empty pool on its arena's freepools, with no owner.
 *   rings      every ring is well linked both ways and holds only used pools of its class (or
 *              full pools); the thread heap records and deferred-free queues are sound
 *              (verify-threads.ts).
 *   usable     usable_arenas holds exactly the arenas with a free pool, well linked, sorted by
 *              ascending nfreepools, and nfp2lasta[n] is the last arena with n free pools.
 *   slots      the segment map agrees with arenas, raw segments and the free run list; free runs
 *              are coalesced; nothing is marked beyond the carved slots.
 *   raw        each raw segment is tiled exactly by blocks ending at its sentinel; prev_phys and
 *              PREV_FREE agree with the neighbours; no two free blocks are adjacent; every free
 *              block is on the TLSF list of its size and every listed block is free; bitmaps
 *              match the lists; live bits mark exactly the used blocks; the counters add up.
 *   totals     the statistics add up: Total = arenas x ARENA_SIZE.
 */

import { debugMallocStats } from './stats.ts';
import { collectDelayed, collectRings, verifyPending, verifyThreadRecords, type RingEntry } from './verify-threads.ts';
import { forEachArena, forEachCarvedPool, forEachRawSegment } from './walk.ts';
import { arenaKind, freeRuns, rawKind, SEG_FREE } from './segments.ts';
import { RAW_HEADER, RAW_MIN_BLOCK, RB_FREE, RB_PREV_FREE_BIT, rawFreeLinks, tlsfListOf, walkSegment } from './raw.ts';
import {
  AO_ADDRESS,
  AO_FREEPOOLS,
  AO_NEXTARENA,
  AO_NFREEPOOLS,
  AO_NTOTALPOOLS,
  AO_POOL_ADDRESS,
  AO_PREVARENA,
  POOL_ARENAINDEX,
  POOL_FREEBLOCK,
  POOL_MAXNEXTOFFSET,
  POOL_NEXTOFFSET,
  POOL_NEXTPOOL,
  POOL_OWNER,
  POOL_REF_COUNT,
  POOL_SZIDX,
  POOL_XTHREAD_FREE,
  RAW_GRAIN,
  S_MAGIC,
  S_MAXARENAS,
  S_NARENAS_CURRENTLY_ALLOCATED,
  S_NARENAS_HIGHWATER,
  S_NSLOTS,
  S_NTIMES_ARENA_ALLOCATED,
  S_RAW_BLOCKS,
  S_RAW_BYTES,
  S_RAW_FL_BITMAP,
  S_RAW_SEGMENTS,
  S_RAW_SLOTS,
  S_UNUSED_ARENA_OBJECTS,
  S_USABLE_ARENAS,
  SEG_KIND,
  SEG_LEN,
  STATE_MAGIC,
  TLSF_FL_COUNT,
  TLSF_SL_COUNT,
  XT_FLAGS,
  type HeapState,
} from './state.ts';

const popcount = (x: number): number => {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
};

/** Live bits set in [from, to) (both multiples of 32 * ALIGNMENT from slotsOff). */
function liveBitsIn(st: HeapState, from: number, to: number, delta = 0): number {
  const w0 = st.bitmapWord + delta + (((from - st.slotsOff) >> st.alignShift) >> 5);
  const w1 = st.bitmapWord + delta + (((to - st.slotsOff) >> st.alignShift) >> 5);
  let n = 0;
  for (let w = w0; w < w1; w++) n += popcount(st.i32[w]);
  return n;
}

/** Pending-free bits set in [from, to) (the same alignment as liveBitsIn). */
export function pendingBitsIn(st: HeapState, from: number, to: number): number {
  return liveBitsIn(st, from, to, st.xfreeDelta);
}

export function verifyHeap(st: HeapState, usedpools: number = st.usedpoolsShared): string[] {
  const errors: string[] = [];
  const err = (msg: string): void => {
    if (errors.length < 200) errors.push(msg);
  };
  if (st.get(S_MAGIC) !== STATE_MAGIC) return ['allocator state not initialised (bad magic)'];
  st.syncIfGrown();
  const i32 = st.i32;
  const f = (off: number): number => i32[off >> 2];
  const nslots = st.get(S_NSLOTS);
  if (nslots < 0 || nslots > st.maxSlots) err(`nslots ${nslots} outside 0..${st.maxSlots}`);
  if (st.mem.byteLength < st.slotAddress(nslots)) err(`buffer ${st.mem.byteLength} B shorter than ${nslots} carved slots`);

  verifyArenasAndPools(st, usedpools, err, f);
  verifySlots(st, err, f, nslots);
  verifyRaw(st, err, f);

  const stats = debugMallocStats(st);
  if (stats.total !== stats.arenasCurrent * st.arenaSize) {
    err(`stats total ${stats.total} != ${stats.arenasCurrent} arenas * ${st.arenaSize}`);
  }
  return errors;
}

type Err = (msg: string) => void;
type Field = (off: number) => number;

function verifyArenasAndPools(st: HeapState, usedpools: number, err: Err, f: Field): void {
  const maxarenas = st.get(S_MAXARENAS);
  if (maxarenas < 0 || maxarenas > st.maxSlots) err(`maxarenas ${maxarenas} outside 0..${st.maxSlots}`);

  // unused_arena_objects: exactly the objects with no arena.
  const unused = new Set<number>();
  for (let ao = st.get(S_UNUSED_ARENA_OBJECTS); ao !== 0; ao = f(ao + AO_NEXTARENA)) {
    if (unused.has(ao) || unused.size > maxarenas) {
      err('unused_arena_objects has a cycle');
      break;
    }
    unused.add(ao);
    if (f(ao + AO_ADDRESS) !== 0) err(`arena object ${st.arenaIndex(ao)} on unused_arena_objects has an address`);
  }
  let attached = 0;
  for (let i = 0; i < maxarenas; i++) {
    const ao = st.arenaObject(i);
    if (f(ao + AO_ADDRESS) === 0 && !unused.has(ao)) err(`arena object ${i} has no arena but is not on unused_arena_objects`);
    if (f(ao + AO_ADDRESS) !== 0) attached++;
  }
  const current = st.get(S_NARENAS_CURRENTLY_ALLOCATED);
  if (attached !== current) err(`${attached} arenas attached, narenas_currently_allocated = ${current}`);
  if (st.get(S_NARENAS_HIGHWATER) < current) err('narenas_highwater below narenas_currently_allocated');
  if (st.get(S_NTIMES_ARENA_ALLOCATED) < current) err('ntimes_arena_allocated below narenas_currently_allocated');

  // Every ring (shared, per thread used and full), every delayed_free list.
  const rings = collectRings(st, usedpools, err, f);
  const delayed = collectDelayed(st, err, f);
  const delayedByPool = new Map<number, number[]>();
  for (const b of delayed.keys()) {
    const pool = b & st.poolMask;
    const list = delayedByPool.get(pool);
    if (list) list.push(b);
    else delayedByPool.set(pool, [b]);
  }
  const ctx: PoolContext = { rings, delayedByPool, seen: new Set<number>(), owners: new Set<number>() };

  forEachArena(st, (ao, index) => {
    const address = f(ao + AO_ADDRESS);
    const d = address - st.slotsOff;
    if (d < 0 || d % st.arenaSize !== 0 || d >= st.slotAddress(st.get(S_NSLOTS)) - st.slotsOff) {
      err(`arena ${index}: address ${address} is not a carved slot`);
      return;
    }
    const slot = d / st.arenaSize;
    if (f(st.seg(slot) + SEG_KIND) !== arenaKind(index)) err(`arena ${index}: segment map of slot ${slot} says ${f(st.seg(slot) + SEG_KIND)}`);
    const poolAddress = f(ao + AO_POOL_ADDRESS);
    if (poolAddress < address || poolAddress > address + st.arenaSize || (poolAddress - address) % st.poolSize !== 0) {
      err(`arena ${index}: pool_address ${poolAddress} outside its arena`);
      return;
    }
    if (f(ao + AO_NTOTALPOOLS) !== st.poolsInArena) err(`arena ${index}: ntotalpools ${f(ao + AO_NTOTALPOOLS)}`);
    // freepools
    const free = new Set<number>();
    for (let pool = f(ao + AO_FREEPOOLS); pool !== 0; pool = f(pool + POOL_NEXTPOOL)) {
      if (free.has(pool) || free.size > st.poolsInArena) {
        err(`arena ${index}: freepools has a cycle`);
        break;
      }
      free.add(pool);
      if (pool < address || pool >= poolAddress || (pool - address) % st.poolSize !== 0) err(`arena ${index}: freepools holds ${pool}, not a carved pool of it`);
      else if (f(pool + POOL_REF_COUNT) !== 0) err(`arena ${index}: pool ${pool} on freepools has ref.count ${f(pool + POOL_REF_COUNT)}`);
      if (rings.has(pool)) err(`pool ${pool} is both on freepools and in a ring`);
    }
    const uncarved = (address + st.arenaSize - poolAddress) / st.poolSize;
    if (f(ao + AO_NFREEPOOLS) !== free.size + uncarved) {
      err(`arena ${index}: nfreepools ${f(ao + AO_NFREEPOOLS)} != ${free.size} on freepools + ${uncarved} uncarved`);
    }
    if (liveBitsIn(st, poolAddress, address + st.arenaSize) !== 0) err(`arena ${index}: live bits in uncarved pools`);
    if (pendingBitsIn(st, poolAddress, address + st.arenaSize) !== 0) err(`arena ${index}: pending-free bits in uncarved pools`);
    if (liveBitsIn(st, address, address + st.arenaSize, st.rawDelta) !== 0) err(`arena ${index}: raw live bits in an arena`);
    forEachCarvedPool(st, ao, (pool) => {
      verifyPool(st, pool, index, free.has(pool), ctx, err, f);
    });
  });
  for (const [pool, e] of rings) {
    if (!ctx.seen.has(pool)) err(`${e.owner === 0 ? 'a shared' : `thread ${e.owner - 1}'s`} ring holds ${pool}, which is not a used or full pool`);
  }
  for (const [pool, list] of delayedByPool) {
    if (!ctx.seen.has(pool)) err(`delayed_free lists hold ${list.length} block(s) of pool ${pool}, which holds no blocks`);
  }
  verifyThreadRecords(st, ctx.owners, err, f);

  verifyUsableArenas(st, err, f);
}

interface PoolContext {
  rings: Map<number, RingEntry>;
  delayedByPool: Map<number, number[]>;
  /** pools found used or full (ring members must be among them) */
  seen: Set<number>;
  /** the POOL_OWNER values of non-empty pools */
  owners: Set<number>;
}

function verifyPool(st: HeapState, pool: number, arenaindex: number, onFreepools: boolean, ctx: PoolContext, err: Err, f: Field): void {
  const count = f(pool + POOL_REF_COUNT);
  const bits = liveBitsIn(st, pool, pool + st.poolSize);
  const owner = f(pool + POOL_OWNER);
  const xthread = f(pool + POOL_XTHREAD_FREE);
  if (f(pool + POOL_ARENAINDEX) !== arenaindex) err(`pool ${pool}: arenaindex ${f(pool + POOL_ARENAINDEX)} != ${arenaindex}`);
  if (count === 0) {
    if (!onFreepools) err(`pool ${pool} is empty but not on its arena's freepools`);
    if (bits !== 0) err(`pool ${pool} is empty but has ${bits} live bits`);
    if (owner !== 0 || xthread !== 0) err(`pool ${pool} is empty but has owner ${owner}, xthread_free ${xthread}`);
    if (pendingBitsIn(st, pool, pool + st.poolSize) !== 0) err(`pool ${pool} is empty but has pending-free bits`);
    return;
  }
  if (onFreepools) err(`pool ${pool} on freepools has blocks in use`);
  const sz = f(pool + POOL_SZIDX);
  if (sz < 0 || sz >= st.nbClasses) {
    err(`pool ${pool}: szidx ${sz} out of range`);
    return;
  }
  const size = st.index2size(sz);
  const numblocks = st.numblocks(sz);
  const nextoffset = f(pool + POOL_NEXTOFFSET);
  if (f(pool + POOL_MAXNEXTOFFSET) !== st.poolSize - size) err(`pool ${pool}: maxnextoffset ${f(pool + POOL_MAXNEXTOFFSET)}`);
  if ((nextoffset - st.poolOverhead) % size !== 0 || nextoffset < st.poolOverhead + size || nextoffset > st.poolSize) {
    err(`pool ${pool}: nextoffset ${nextoffset} not on a block boundary`);
    return;
  }
  const carved = (nextoffset - st.poolOverhead) / size;
  // the free list
  const seen = new Set<number>();
  for (let b = f(pool + POOL_FREEBLOCK); b !== 0; b = f(b)) {
    if (seen.has(b)) {
      err(`pool ${pool}: block ${b} twice on freeblock`);
      break;
    }
    seen.add(b);
    const off = b - pool - st.poolOverhead;
    if (off < 0 || off % size !== 0 || b >= pool + nextoffset) {
      err(`pool ${pool}: freeblock holds ${b}, not a carved block`);
      break;
    }
    if (st.liveBit(b)) err(`pool ${pool}: free block ${b} is marked live`);
  }
  if (count + seen.size !== carved) err(`pool ${pool}: ref.count ${count} + ${seen.size} free != ${carved} carved`);
  if (count > numblocks) err(`pool ${pool}: ref.count ${count} > ${numblocks} blocks`);
  // ref.count counts the blocks handed out, pending ones (freed by another thread) included
  let liveStarts = 0;
  for (let b = pool + st.poolOverhead; b < pool + nextoffset; b += size) if (st.liveBit(b)) liveStarts++;
  if (liveStarts !== count || bits !== count) err(`pool ${pool}: ref.count ${count}, ${liveStarts} live block starts, ${bits} live bits`);
  const pending = verifyPending(st, pool, size, nextoffset, xthread & ~XT_FLAGS, xthread & XT_FLAGS, ctx.delayedByPool.get(pool) ?? [], err, f);
  for (const b of pending) if (seen.has(b)) err(`pool ${pool}: pending block ${b} is also on freeblock`);
  const pendingBits = pendingBitsIn(st, pool, pool + st.poolSize);
  if (pendingBits !== pending.size) err(`pool ${pool}: ${pendingBits} pending-free bits, ${pending.size} blocks pending`);
  if (owner === 0 && pending.size !== 0) err(`shared pool ${pool} has ${pending.size} pending blocks`);
  ctx.seen.add(pool);
  ctx.owners.add(owner);
  const full = count === numblocks;
  if (full && f(pool + POOL_FREEBLOCK) !== 0) err(`pool ${pool} is full but freeblock is ${f(pool + POOL_FREEBLOCK)}`);
  if (!full && f(pool + POOL_FREEBLOCK) === 0) err(`pool ${pool} is used but freeblock is NULL`);
  const where = ctx.rings.get(pool);
  const whose = owner === 0 ? '' : `thread ${owner - 1}'s `;
  if (owner < 0 || owner > st.maxThreads) err(`pool ${pool}: owner ${owner} out of range`);
  else if (full && owner === 0) {
    if (where) err(`shared pool ${pool} is full but in a ring`);
  } else if (full) {
    if (!where || where.owner !== owner || !where.full) err(`pool ${pool} is full but not in ${whose}full ring`);
  } else if (!where || where.owner !== owner || where.full || where.cls !== sz) {
    err(`used pool ${pool} (class ${sz}) is not in ${whose}usedpools[${sz}]`);
  }
}

function verifyUsableArenas(st: HeapState, err: Err, f: Field): void {
  const inList = new Set<number>();
  const last = new Map<number, number>(); // nfreepools -> last arena with it
  let prev = 0;
  let prevNf = 0;
  for (let ao = st.get(S_USABLE_ARENAS); ao !== 0; ao = f(ao + AO_NEXTARENA)) {
    if (inList.has(ao) || inList.size > st.maxSlots) {
      err('usable_arenas has a cycle');
      break;
    }
    inList.add(ao);
    const nf = f(ao + AO_NFREEPOOLS);
    if (f(ao + AO_ADDRESS) === 0) err(`usable_arenas holds arena object ${st.arenaIndex(ao)} with no arena`);
    if (f(ao + AO_PREVARENA) !== prev) err(`usable_arenas: arena ${st.arenaIndex(ao)} prevarena is wrong`);
    if (nf <= 0) err(`usable_arenas: arena ${st.arenaIndex(ao)} has no free pool`);
    if (nf < prevNf) err(`usable_arenas not sorted: ${prevNf} before ${nf}`);
    last.set(nf, ao);
    prev = ao;
    prevNf = nf;
  }
  forEachArena(st, (ao, index) => {
    if (f(ao + AO_NFREEPOOLS) > 0 && !inList.has(ao)) err(`arena ${index} has free pools but is not in usable_arenas`);
  });
  for (let n = 0; n <= st.poolsInArena; n++) {
    const want = last.get(n) ?? 0;
    const got = st.i32[(st.nfp2lasta >> 2) + n];
    if (got !== want) err(`nfp2lasta[${n}] = ${got}, the last arena with ${n} free pools is ${want}`);
  }
}

function verifySlots(st: HeapState, err: Err, f: Field, nslots: number): void {
  // Free runs: coalesced, consistent, and exactly the free carved slots.
  const freeSet = new Set<number>();
  for (const [s, len] of freeRuns(st)) {
    if (len < 1 || s + len > nslots) {
      err(`free slot run ${s}+${len} outside the carved slots`);
      continue;
    }
    if (f(st.seg(s + len - 1) + SEG_LEN) !== len) err(`free slot run ${s}: tail length disagrees`);
    for (let i = s; i < s + len; i++) {
      if (freeSet.has(i)) err(`slot ${i} in two free runs`);
      freeSet.add(i);
      if (f(st.seg(i) + SEG_KIND) !== SEG_FREE) err(`slot ${i} in a free run but marked ${f(st.seg(i) + SEG_KIND)}`);
    }
    if (s > 0 && f(st.seg(s - 1) + SEG_KIND) === SEG_FREE) err(`free slot run ${s} not coalesced with its left neighbour`);
    if (s + len < nslots && f(st.seg(s + len) + SEG_KIND) === SEG_FREE) err(`free slot run ${s} not coalesced with its right neighbour`);
  }
  const maxarenas = st.get(S_MAXARENAS);
  for (let s = 0; s < nslots; s++) {
    const kind = f(st.seg(s) + SEG_KIND);
    if (kind === SEG_FREE) {
      if (!freeSet.has(s)) err(`slot ${s} is free but on no free run`);
      const a = st.slotAddress(s);
      if (liveBitsIn(st, a, a + st.arenaSize) !== 0) err(`free slot ${s} has live bits`);
      if (pendingBitsIn(st, a, a + st.arenaSize) !== 0) err(`free slot ${s} has pending-free bits`);
      if (liveBitsIn(st, a, a + st.arenaSize, st.rawDelta) !== 0) err(`free slot ${s} has raw live bits`);
    } else if (kind > 0) {
      const index = kind - 1;
      if (index >= maxarenas || f(st.arenaObject(index) + AO_ADDRESS) !== st.slotAddress(s)) err(`slot ${s} names arena ${index}, which is elsewhere`);
    } else {
      const first = -kind - 1;
      const k = f(st.seg(first) + SEG_LEN);
      if (first > s || f(st.seg(first) + SEG_KIND) !== rawKind(first) || s >= first + k) err(`slot ${s} names raw segment ${first}, which does not cover it`);
    }
  }
  for (let s = nslots; s < st.maxSlots; s++) {
    if (f(st.seg(s) + SEG_KIND) !== SEG_FREE) err(`slot ${s} beyond the carved slots is marked ${f(st.seg(s) + SEG_KIND)}`);
  }
}

function verifyRaw(st: HeapState, err: Err, f: Field): void {
  // Blocks on the TLSF lists.
  const listed = new Map<number, number>(); // block -> list
  let flBitmap = 0;
  for (let fl = 0; fl < TLSF_FL_COUNT; fl++) {
    let slBitmap = 0;
    for (let sl = 0; sl < TLSF_SL_COUNT; sl++) {
      const list = fl * TLSF_SL_COUNT + sl;
      let prev = 0;
      for (let b = f(st.tlsfHeads + list * 4); b !== 0; b = rawFreeLinks(st, b)[0]) {
        if (listed.has(b)) {
          err(`raw block ${b} on free lists twice`);
          break;
        }
        listed.set(b, list);
        if (rawFreeLinks(st, b)[1] !== prev) err(`raw free list ${list}: block ${b} prev link is wrong`);
        prev = b;
      }
      if (f(st.tlsfHeads + list * 4) !== 0) slBitmap |= 1 << sl;
    }
    if (f(st.tlsfSlBitmaps + fl * 4) !== slBitmap) err(`TLSF second-level bitmap ${fl} is ${f(st.tlsfSlBitmaps + fl * 4)}, lists say ${slBitmap}`);
    if (slBitmap !== 0) flBitmap |= 1 << fl;
  }
  if (st.get(S_RAW_FL_BITMAP) !== flBitmap) err(`TLSF first-level bitmap ${st.get(S_RAW_FL_BITMAP)}, lists say ${flBitmap}`);

  let blocks = 0;
  let bytes = 0;
  let segments = 0;
  let slots = 0;
  const walkedFree = new Set<number>();
  forEachRawSegment(st, (first, k) => {
    segments++;
    slots += k;
    const start = st.slotAddress(first);
    const end = start + k * st.arenaSize;
    let prev = 0;
    let prevFree = false;
    let used = 0;
    let onlyBlockFree = false;
    let nblocks = 0;
    const sentinel = walkSegment(st, start, end, (b, size, free, flags, prevPhys) => {
      nblocks++;
      if (size % RAW_GRAIN !== 0 || size < RAW_MIN_BLOCK || b + size > end - RAW_HEADER) {
        err(`raw segment ${first}: block ${b} has bad size ${size}`);
        return false;
      }
      if (prevPhys !== prev) err(`raw block ${b}: prev_phys ${prevPhys} != ${prev}`);
      if (((flags & RB_PREV_FREE_BIT) !== 0) !== prevFree) err(`raw block ${b}: PREV_FREE flag disagrees with its neighbour`);
      if (free && prevFree) err(`raw blocks ${prev} and ${b} are both free (not coalesced)`);
      const live = st.rawLiveBit(b + RAW_HEADER);
      if (free) {
        walkedFree.add(b);
        const list = listed.get(b);
        if (list === undefined) err(`free raw block ${b} is on no free list`);
        else if (list !== tlsfListOf(size)) err(`free raw block ${b} of ${size} B on list ${list}, belongs on ${tlsfListOf(size)}`);
        if (live) err(`free raw block ${b} is marked live`);
      } else {
        used++;
        blocks++;
        bytes += size - RAW_HEADER;
        if (!live) err(`used raw block ${b} is not marked live`);
      }
      onlyBlockFree = free && prev === 0;
      prev = b;
      prevFree = free;
    });
    if (sentinel !== end - RAW_HEADER) err(`raw segment ${first}: blocks do not end at the sentinel`);
    else {
      if (f(sentinel + 4) !== prev) err(`raw segment ${first}: sentinel prev_phys is wrong`);
      if (((f(sentinel) & RB_PREV_FREE_BIT) !== 0) !== prevFree) err(`raw segment ${first}: sentinel PREV_FREE flag is wrong`);
    }
    if (nblocks === 1 && onlyBlockFree) err(`raw segment ${first} is wholly free but was not given back`);
    const rawBits = liveBitsIn(st, start, end, st.rawDelta);
    if (rawBits !== used) err(`raw segment ${first}: ${used} used blocks but ${rawBits} raw live bits`);
    if (liveBitsIn(st, start, end) !== 0) err(`raw segment ${first} has pymalloc live bits`);
    if (pendingBitsIn(st, start, end) !== 0) err(`raw segment ${first} has pending-free bits`);
  });
  for (const b of listed.keys()) {
    if (!walkedFree.has(b)) err(`raw free list holds ${b}, which is not a free block of any segment`);
    else if ((f(b) & RB_FREE) === 0) err(`raw free list holds used block ${b}`);
  }
  if (st.get(S_RAW_BLOCKS) !== blocks) err(`raw block count ${st.get(S_RAW_BLOCKS)}, walked ${blocks}`);
  if (st.get(S_RAW_BYTES) !== bytes) err(`raw bytes ${st.get(S_RAW_BYTES)}, walked ${bytes}`);
  if (st.get(S_RAW_SEGMENTS) !== segments) err(`raw segment count ${st.get(S_RAW_SEGMENTS)}, walked ${segments}`);
  if (st.get(S_RAW_SLOTS) !== slots) err(`raw slot count ${st.get(S_RAW_SLOTS)}, walked ${slots}`);
}

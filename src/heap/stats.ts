/*
 * Statistics: sys._debugmallocstats(), figure for figure and character for character.
 * ====================================================================================
 *
 * CPython's _PyObject_DebugMallocStats walks every arena and every carved pool and prints how
 * the arena bytes are used. We do the same walk and produce the same text (up to the "Total" of
 * the arena accounting; CPython goes on with its radix tree and per-type free lists, which
 * gilsim does not have), plus the same figures as fields:
 *
 *   Small block threshold = 512, in 32 size classes.
 *
 *   class   size   num pools   blocks in use  avail blocks
 *   -----   ----   ---------   -------------  ------------
 *       1     32          20           10000           200      one row per class with pools
 *
 *   # arenas allocated total           =                    1
 *   ...
 *   Total                              =            1,048,576
 *
 * A row's "avail blocks" counts every block of the class's pools not handed out, carved or not
 * (pools * blocks-per-pool - in use). "unused pools" counts every empty pool: on freepools or not
 * yet carved. Because the slot space is arena-aligned, no pool is ever lost to arena alignment
 * (CPython's mmap'd arenas often lose one). The figures always add up: Total = arenas x
 * ARENA_SIZE, and the verifier checks it.
 *
 * The raw allocator's figures are extra fields, not in CPython's text (CPython cannot see into
 * the C library's malloc either).
 *
 * The free-threaded mode (thread-heap.ts) changes nothing in the text: the table sums the pools
 * of every thread (and of the shared rings). A block freed by a thread that does not own its pool,
 * and not yet collected by the owner, is counted as AVAILABLE (it is free as far as the program
 * is concerned, and only its owner's bookkeeping lags), so the figures read the same whatever the
 * timing of the collection. The per-thread picture is in extra fields: each thread heap record's
 * state, pools owned (full ones among them), blocks pending on thread-free and delayed-free
 * lists, deferred frees waiting for QSBR; and the totals, abandoned pools included.
 */

import { forEachArena, forEachCarvedPool, pendingBlocksIn } from './walk.ts';
import {
  AO_NFREEPOOLS,
  POOL_REF_COUNT,
  POOL_SZIDX,
  S_NARENAS_HIGHWATER,
  S_NSLOTS,
  S_NTIMES_ARENA_ALLOCATED,
  S_RAW_BLOCKS,
  S_RAW_BYTES,
  S_RAW_SEGMENTS,
  S_RAW_SLOTS,
  POOL_OWNER,
  S_ABANDONED,
  S_LOCK_CONTENDED,
  S_QSBR_WR_SEQ,
  TH_ABANDONED,
  TH_ACTIVE,
  TH_ADOPTED,
  TH_BINDS,
  TH_COLLECTED,
  TH_DEFER_COUNT,
  TH_DELAYED,
  TH_QSBR_SEQ,
  TH_SEALED,
  TH_STATE,
  type HeapState,
} from './state.ts';
import { freeRuns } from './segments.ts';

export interface SizeClassStats {
  /** size class index */
  class: number;
  /** block size */
  size: number;
  pools: number;
  blocksInUse: number;
  availBlocks: number;
}

/** One thread heap record (free-threaded mode), as debugmallocstats() reports it. */
export interface ThreadHeapStats {
  /** the thread slot */
  slot: number;
  state: 'active' | 'abandoned' | 'adopting';
  /** pools it owns (used and full) */
  pools: number;
  fullPools: number;
  /** blocks of its pools freed by other threads, not yet collected (thread-free + delayed) */
  pendingFrees: number;
  /** of which on its delayed_free list */
  delayedFrees: number;
  /** blocks queued for a deferred (QSBR) free */
  deferredFrees: number;
  /** QSBR read sequence (0: offline) */
  qsbrSeq: number;
  binds: number;
  adopted: number;
  collected: number;
}

export interface MallocStats {
  /** the report in CPython's exact format */
  text: string;
  /** classes that have at least one pool, ascending */
  classes: SizeClassStats[];
  arenasAllocatedTotal: number;
  arenasReclaimed: number;
  arenasHighwater: number;
  arenasCurrent: number;
  bytesInAllocatedBlocks: number;
  bytesInAvailableBlocks: number;
  unusedPools: number;
  bytesInUnusedPools: number;
  bytesLostToPoolHeaders: number;
  bytesLostToQuantization: number;
  bytesLostToArenaAlignment: number;
  /** the sum of the six lines above it; always arenasCurrent * ARENA_SIZE */
  total: number;
  /* the raw allocator (not in CPython's text) */
  rawBlocks: number;
  /** usable bytes of the raw blocks handed out */
  rawBytesInUse: number;
  rawSegments: number;
  rawSlots: number;
  /* the slot space */
  slotsCarved: number;
  slotsFree: number;
  bufferBytes: number;
  /* the free-threaded mode (all 0 / empty under a GIL) */
  /** records that are not FREE, by slot */
  threads: ThreadHeapStats[];
  /** pools owned by a thread heap (the rest of the used/full pools are the shared rings') */
  ownedPools: number;
  /** pools owned by ABANDONED records */
  abandonedPools: number;
  abandonedThreads: number;
  /** blocks freed by a non-owner and not yet collected (counted as available above) */
  pendingCrossThreadFrees: number;
  /** blocks queued for deferred (QSBR) frees (still counted in use above) */
  deferredFreesPending: number;
  qsbrWriteSeq: number;
  /** times a thread found the arena lock taken */
  arenaLockContended: number;
}

/** CPython's printone: the label padded to 35 columns, '=', the value right-aligned in 21 with commas. */
export function printone(label: string, value: number): string {
  const digits = Math.trunc(value).toString();
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return label.padEnd(35, ' ') + '=' + grouped.padStart(21, ' ');
}

/** One row of the class table: C's "%5u %6u %11zu %15zu %13zu". */
export function classRow(c: SizeClassStats): string {
  return (
    String(c.class).padStart(5) +
    ' ' +
    String(c.size).padStart(6) +
    ' ' +
    String(c.pools).padStart(11) +
    ' ' +
    String(c.blocksInUse).padStart(15) +
    ' ' +
    String(c.availBlocks).padStart(13)
  );
}

export const CLASS_TABLE_HEADER =
  'class   size   num pools   blocks in use  avail blocks\n' + '-----   ----   ---------   -------------  ------------';

export function debugMallocStats(st: HeapState): MallocStats {
  const nb = st.nbClasses;
  const numpools = new Array<number>(nb).fill(0);
  const numblocks = new Array<number>(nb).fill(0);
  const numfreeblocks = new Array<number>(nb).fill(0);
  let narenas = 0;
  let numfreepools = 0;
  st.syncIfGrown();
  const i32 = st.i32;
  const threads = new Map<number, ThreadHeapStats>();
  let pendingTotal = 0;
  forEachArena(st, (ao) => {
    narenas += 1;
    numfreepools += i32[(ao + AO_NFREEPOOLS) >> 2];
    forEachCarvedPool(st, ao, (pool) => {
      const count = i32[(pool + POOL_REF_COUNT) >> 2];
      if (count === 0) return; // empty: counted in nfreepools
      const sz = i32[(pool + POOL_SZIDX) >> 2];
      const pending = pendingBlocksIn(st, pool);
      numpools[sz] += 1;
      numblocks[sz] += count - pending;
      numfreeblocks[sz] += st.numblocks(sz) - count + pending;
      pendingTotal += pending;
      const owner = i32[(pool + POOL_OWNER) >> 2];
      if (owner > 0) countOwnedPool(st, threads, owner - 1, count === st.numblocks(sz), pending);
    });
  });

  const classes: SizeClassStats[] = [];
  let allocated = 0;
  let available = 0;
  let headers = 0;
  let quantization = 0;
  for (let i = 0; i < nb; i++) {
    if (numpools[i] === 0) continue;
    const size = st.index2size(i);
    classes.push({ class: i, size, pools: numpools[i], blocksInUse: numblocks[i], availBlocks: numfreeblocks[i] });
    allocated += numblocks[i] * size;
    available += numfreeblocks[i] * size;
    headers += numpools[i] * st.poolOverhead;
    quantization += numpools[i] * ((st.poolSize - st.poolOverhead) % size);
  }
  const arenaAlignment = 0;
  const unusedPoolBytes = numfreepools * st.poolSize;
  const total = allocated + available + unusedPoolBytes + headers + quantization + arenaAlignment;
  const ntimes = st.get(S_NTIMES_ARENA_ALLOCATED);

  const lines: string[] = [];
  lines.push(`Small block threshold = ${st.smallThreshold}, in ${nb} size classes.`);
  lines.push('');
  lines.push(CLASS_TABLE_HEADER);
  for (const c of classes) lines.push(classRow(c));
  lines.push('');
  lines.push(printone('# arenas allocated total', ntimes));
  lines.push(printone('# arenas reclaimed', ntimes - narenas));
  lines.push(printone('# arenas highwater mark', st.get(S_NARENAS_HIGHWATER)));
  lines.push(printone('# arenas allocated current', narenas));
  lines.push(printone(`${narenas} arenas * ${st.arenaSize} bytes/arena`, narenas * st.arenaSize));
  lines.push('');
  lines.push(printone('# bytes in allocated blocks', allocated));
  lines.push(printone('# bytes in available blocks', available));
  lines.push(printone(`${numfreepools} unused pools * ${st.poolSize} bytes`, unusedPoolBytes));
  lines.push(printone('# bytes lost to pool headers', headers));
  lines.push(printone('# bytes lost to quantization', quantization));
  lines.push(printone('# bytes lost to arena alignment', arenaAlignment));
  lines.push(printone('Total', total));

  return {
    text: lines.join('\n') + '\n',
    classes,
    arenasAllocatedTotal: ntimes,
    arenasReclaimed: ntimes - narenas,
    arenasHighwater: st.get(S_NARENAS_HIGHWATER),
    arenasCurrent: narenas,
    bytesInAllocatedBlocks: allocated,
    bytesInAvailableBlocks: available,
    unusedPools: numfreepools,
    bytesInUnusedPools: unusedPoolBytes,
    bytesLostToPoolHeaders: headers,
    bytesLostToQuantization: quantization,
    bytesLostToArenaAlignment: arenaAlignment,
    total,
    rawBlocks: st.get(S_RAW_BLOCKS),
    rawBytesInUse: st.get(S_RAW_BYTES),
    rawSegments: st.get(S_RAW_SEGMENTS),
    rawSlots: st.get(S_RAW_SLOTS),
    slotsCarved: st.get(S_NSLOTS),
    slotsFree: freeRuns(st).reduce((a, [, len]) => a + len, 0),
    bufferBytes: st.mem.byteLength,
    ...threadFigures(st, threads, pendingTotal),
  };
}

const STATE_NAMES: Record<number, ThreadHeapStats['state']> = { [TH_ACTIVE]: 'active', [TH_ABANDONED]: 'abandoned' };

function threadStats(st: HeapState, threads: Map<number, ThreadHeapStats>, slot: number): ThreadHeapStats {
  let t = threads.get(slot);
  if (t === undefined) {
    const rec = st.threadHeap(slot);
    const f = (off: number): number => st.i32[(rec + off) >> 2];
    t = {
      slot,
      state: STATE_NAMES[f(TH_STATE)] ?? 'adopting',
      pools: 0,
      fullPools: 0,
      pendingFrees: 0,
      delayedFrees: 0,
      deferredFrees: f(TH_DEFER_COUNT),
      qsbrSeq: f(TH_QSBR_SEQ),
      binds: f(TH_BINDS),
      adopted: f(TH_ADOPTED),
      collected: f(TH_COLLECTED),
    };
    for (let b = f(TH_DELAYED); b !== 0 && b !== TH_SEALED && t.delayedFrees <= st.slotSpace; b = st.i32[b >> 2]) t.delayedFrees++;
    threads.set(slot, t);
  }
  return t;
}

function countOwnedPool(st: HeapState, threads: Map<number, ThreadHeapStats>, slot: number, full: boolean, pending: number): void {
  const t = threadStats(st, threads, slot);
  t.pools++;
  if (full) t.fullPools++;
  t.pendingFrees += pending;
}

function threadFigures(st: HeapState, threads: Map<number, ThreadHeapStats>, pendingTotal: number) {
  for (let r = 0; r < st.maxThreads; r++) {
    const s = st.i32[(st.threadHeap(r) + TH_STATE) >> 2];
    if (s !== 0) threadStats(st, threads, r);
  }
  const list = [...threads.values()].sort((a, b) => a.slot - b.slot);
  return {
    threads: list,
    ownedPools: list.reduce((a, t) => a + t.pools, 0),
    abandonedPools: list.reduce((a, t) => a + (t.state === 'abandoned' ? t.pools : 0), 0),
    abandonedThreads: st.get(S_ABANDONED),
    pendingCrossThreadFrees: pendingTotal,
    deferredFreesPending: list.reduce((a, t) => a + t.deferredFrees, 0),
    qsbrWriteSeq: st.get(S_QSBR_WR_SEQ),
    arenaLockContended: st.get(S_LOCK_CONTENDED),
  };
}

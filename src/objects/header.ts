/*
 * The object header and the GC header.
 * ====================================
 *
 * Every Python object is a run of bytes in the shared buffer; its handle is the byte offset of its
 * first header byte. The header is CPython's 16 bytes (`PyObject`: ob_refcnt, ob_type), laid out
 * as four 32-bit words so that `Atomics` applies to each of them:
 *
 *     object offset o
 *     +0   ob_refcnt      the reference count (i32). plain/atomic: the whole count.
 *                         biased (refcount/biased.ts): ob_ref_local, the owner thread's count,
 *                         changed without atomics by the owner only.
 *     +4   ob_tid         spare under plain/atomic (always 0). biased: the owning thread's
 *                         ident (objects/brc.ts: unique per Python thread, its slot is
 *                         (ident - 1) % maxThreads); 0 = no owner (immortal, static, merged, or
 *                         made by a JS thread that runs no Python thread).
 *     +8   ob_type        offset of the type object (the low half of CPython's 8-byte pointer).
 *                         0 marks a DEAD object: dealloc writes 0 here before the memory goes
 *                         back to the allocator, so a stale handle is caught (see `checkHandle`).
 *                         pymalloc threads its free list through the first word of a freed block,
 *                         never this one, so the mark survives the free.
 *     +12  ob_ref_shared  spare under plain/atomic (always 0). biased: the shared count, changed
 *                         with Atomics by other threads, as (count << 2) | state where state is
 *                         PEP 703's 0 default, 1 weakrefs, 2 queued, 3 merged. Biased
 *                         refcounting fits into these 16 bytes without moving ob_type.
 *     +16  ob_size        variable-size objects only (int, str length, bytes, tuple, list): the
 *                         low half of CPython's 8-byte `ob_size` (the high half stays 0).
 *
 * Immortal objects (PEP 683): None, True, False, the small ints -5..256, the empty tuple, str and
 * bytes, interned strings and the builtin type objects carry IMMORTAL_REFCNT and are never
 * changed nor freed. Every incref/decref tests for it first (one compare, as CPython 3.12).
 *
 * The GC header (`PyGC_Head`) sits in the 16 bytes BEFORE a container object, exactly where
 * CPython puts it and why `sys.getsizeof` counts 16 more for tracked types:
 *
 *     gc = o - GC_HEAD_BYTES
 *     +0   gc_next   offset of the next GC header in the object's generation list (a list head
 *                    in the GC state region closes the ring). 0 = NOT TRACKED (CPython's
 *                    `_PyObject_GC_IS_TRACKED` tests gc_next the same way).
 *     +4   gc_prev   offset of the previous GC header.
 *     +8   gc_refs   scratch for the collector (`update_refs` copies ob_refcnt here); CPython
 *                    squeezes it into the upper bits of _gc_prev, we have the room.
 *     +12  gc_flags  PREV_MASK_COLLECTING-like and FINALIZED bits (constants below); bits 3-7
 *                    the young ring holding the object, free-threaded (gc-lists.ts); bits 8 and
 *                    up are the object's lock (ob_mutex) and its version, free-threaded
 *                    (critical.ts).
 *
 * The pymalloc block of a container therefore starts at the GC header; a non-container's block
 * starts at the object itself. `blockOf(o)` gives the block to free.
 */

/** Bytes of the object header (ob_refcnt, ob_type): `object()` is 16 bytes. */
export const OBJECT_HEAD_BYTES = 16;
/** Bytes of `PyVarObject`'s header: the head plus ob_size. */
export const VAR_HEAD_BYTES = 24;
/** Bytes of the GC header before a container. */
export const GC_HEAD_BYTES = 16;
/** Bytes per pointer-sized field (CPython 64-bit): slots, items, ... are 8 bytes, low word used. */
export const PTR = 8;

/* ---- object header fields, byte offsets from the object ---- */
export const OB_REFCNT = 0;
export const OB_TID = 4;
export const OB_TYPE = 8;
export const OB_REF_SHARED = 12;
export const OB_SIZE = 16;

/* the same as Int32 word deltas (o >> 2) + W_* */
export const W_REFCNT = OB_REFCNT >> 2;
export const W_TID = OB_TID >> 2;
export const W_TYPE = OB_TYPE >> 2;
export const W_REF_SHARED = OB_REF_SHARED >> 2;
export const W_SIZE = OB_SIZE >> 2;

/** PEP 683's immortal count on 64-bit CPython 3.12 (UINT_MAX >> 2). Never changed once set. */
export const IMMORTAL_REFCNT = 0x3fffffff;

/**
 * ob_tid's top bit, free-threaded: OB_SHARED, the object may be read by other threads without a
 * lock (CPython 3.13t's _PyGC_BITS_SHARED). Set on a list once a thread other than its owner
 * touches it, on every item of such a list (list.ts), and on a weakly referenced object. The
 * memory of a dead OB_SHARED object goes back through QSBR (space.ts); the owner id is the other
 * 31 bits (TID_MASK), which merges keep the bit beside.
 */
export const OB_SHARED = 1 << 31;
export const TID_MASK = ~OB_SHARED;

/* ---- biased reference counting: the shared-count states, in ob_ref_shared's low bits ---- */
export const SHARED_SHIFT = 2;
export const SHARED_STATE_MASK = (1 << SHARED_SHIFT) - 1;
export const SHARED_DEFAULT = 0;
export const SHARED_WEAKREFS = 1;
export const SHARED_QUEUED = 2;
export const SHARED_MERGED = 3;

/* ---- GC header fields, byte offsets from the GC header ---- */
export const GC_NEXT = 0;
export const GC_PREV = 4;
export const GC_REFS = 8;
export const GC_FLAGS = 12;
/** gc_flags: PEP 442's finalizer has run (`gc.is_finalized`). */
export const GC_FINALIZED = 1;
/** gc_flags: the object is in the set being collected (CPython's PREV_MASK_COLLECTING). */
export const GC_COLLECTING = 2;
/** gc_flags: found unreachable by move_unreachable (CPython's NEXT_MASK_UNREACHABLE). */
export const GC_UNREACHABLE = 4;
/**
 * gc_flags bits 3-7, free-threaded: the young ring a tracked object is linked into (1..31, see
 * objects/gc-lists.ts), 0 when it is in a generation's ring or untracked.
 */
export const GC_RING_SHIFT = 3;
export const GC_RING_MASK = 31 << GC_RING_SHIFT;
/** young rings at most (the ring field's 5 bits); slots share rings modulo this */
export const GC_MAX_RINGS = 31;

/*
 * sys._debugmallocstats(): the figures of known patterns and the exact text format.
 *
 * The expected lines marked "python3" were copied from
 * `python3 -c "import sys; sys._debugmallocstats()"` (3.11.7) on this machine.
 */
import { describe, expect, it } from 'vitest';
import { createHeap, printone } from '../../src/index.ts';
import { classRow, CLASS_TABLE_HEADER } from '../../src/heap/stats.ts';

describe('text format', () => {
  it('printone pads labels to 35 columns and right-aligns values with commas (python3 lines)', () => {
    expect(printone('# arenas allocated total', 4)).toBe('# arenas allocated total           =                    4');
    expect(printone('4 arenas * 1048576 bytes/arena', 4194304)).toBe(
      '4 arenas * 1048576 bytes/arena     =            4,194,304',
    );
    expect(printone('# bytes in allocated blocks', 3494672)).toBe(
      '# bytes in allocated blocks        =            3,494,672',
    );
    expect(printone('17 unused pools * 16384 bytes', 278528)).toBe(
      '17 unused pools * 16384 bytes      =              278,528',
    );
    expect(printone('# bytes lost to quantization', 16480)).toBe(
      '# bytes lost to quantization       =               16,480',
    );
    expect(printone('Total', 4194304)).toBe('Total                              =            4,194,304');
    expect(printone('# arenas reclaimed', 0)).toBe('# arenas reclaimed                 =                    0');
    expect(printone('x', 999)).toBe('x'.padEnd(35) + '=' + '999'.padStart(21));
    expect(printone('x', 1000)).toBe('x'.padEnd(35) + '=' + '1,000'.padStart(21));
  });

  it('class table header and rows use C\'s "%5u %6u %11zu %15zu %13zu" (python3 lines)', () => {
    expect(CLASS_TABLE_HEADER).toBe(
      'class   size   num pools   blocks in use  avail blocks\n' +
        '-----   ----   ---------   -------------  ------------',
    );
    expect(classRow({ class: 1, size: 32, pools: 3, blocksInUse: 1148, availBlocks: 382 })).toBe(
      '    1     32           3            1148           382',
    );
    expect(classRow({ class: 31, size: 512, pools: 2, blocksInUse: 50, availBlocks: 12 })).toBe(
      '   31    512           2              50            12',
    );
    expect(classRow({ class: 3, size: 64, pools: 50, blocksInUse: 12584, availBlocks: 166 })).toBe(
      '    3     64          50           12584           166',
    );
  });
});

describe('10,000 blocks of 32 bytes', () => {
  it('3.11: 20 pools, 10,000 in use, 200 avail, in one arena; the whole text', () => {
    const h = createHeap({ maxBytes: 64 << 20 });
    for (let i = 0; i < 10_000; i++) h.malloc(32);
    const s = h.debugmallocstats();
    expect(s.classes).toEqual([{ class: 1, size: 32, pools: 20, blocksInUse: 10_000, availBlocks: 200 }]);
    expect(s).toMatchObject({
      arenasAllocatedTotal: 1,
      arenasReclaimed: 0,
      arenasHighwater: 1,
      arenasCurrent: 1,
      bytesInAllocatedBlocks: 320_000,
      bytesInAvailableBlocks: 6_400,
      unusedPools: 44,
      bytesInUnusedPools: 44 * 16384,
      bytesLostToPoolHeaders: 20 * 48,
      bytesLostToQuantization: 20 * ((16384 - 48) % 32),
      bytesLostToArenaAlignment: 0,
      total: 1048576,
    });
    expect(s.text).toBe(
      [
        'Small block threshold = 512, in 32 size classes.',
        '',
        'class   size   num pools   blocks in use  avail blocks',
        '-----   ----   ---------   -------------  ------------',
        '    1     32          20           10000           200',
        '',
        '# arenas allocated total           =                    1',
        '# arenas reclaimed                 =                    0',
        '# arenas highwater mark            =                    1',
        '# arenas allocated current         =                    1',
        '1 arenas * 1048576 bytes/arena     =            1,048,576',
        '',
        '# bytes in allocated blocks        =              320,000',
        '# bytes in available blocks        =                6,400',
        '44 unused pools * 16384 bytes      =              720,896',
        '# bytes lost to pool headers       =                  960',
        '# bytes lost to quantization       =                  320',
        '# bytes lost to arena alignment    =                    0',
        'Total                              =            1,048,576',
        '',
      ].join('\n'),
    );
  });

  it('legacy: 126 blocks per pool -> 80 pools, 80 avail, 2 arenas of 256 KiB', () => {
    const h = createHeap({ profile: 'legacy', maxBytes: 64 << 20 });
    for (let i = 0; i < 10_000; i++) h.malloc(32);
    const s = h.debugmallocstats();
    expect(s.classes).toEqual([{ class: 3, size: 32, pools: 80, blocksInUse: 10_000, availBlocks: 80 }]);
    expect(s.arenasCurrent).toBe(2);
    expect(s.text.split('\n')[0]).toBe('Small block threshold = 512, in 64 size classes.');
    expect(s.text).toContain('2 arenas * 262144 bytes/arena      =              524,288\n');
    expect(s.text).toContain('48 unused pools * 4096 bytes       =              196,608\n');
    expect(s.total).toBe(2 * 262144);
  });
});

describe('figures add up', () => {
  it('Total = arenas x ARENA_SIZE for a mixed pattern; classes without pools are omitted', () => {
    const h = createHeap({ maxBytes: 64 << 20 });
    const ps: number[] = [];
    for (let i = 0; i < 5000; i++) ps.push(h.malloc(1 + ((i * 37) % 512)));
    for (let i = 0; i < ps.length; i += 3) h.free(ps[i]!);
    const s = h.debugmallocstats();
    expect(s.total).toBe(s.arenasCurrent * 1048576);
    expect(
      s.bytesInAllocatedBlocks +
        s.bytesInAvailableBlocks +
        s.bytesInUnusedPools +
        s.bytesLostToPoolHeaders +
        s.bytesLostToQuantization,
    ).toBe(s.total);
    expect(s.classes.every((c) => c.pools > 0)).toBe(true);
    const inUse = s.classes.reduce((a, c) => a + c.blocksInUse, 0);
    expect(inUse).toBe(h.liveBlockCount());
    // the text carries the same numbers
    for (const c of s.classes) expect(s.text).toContain(classRow(c));
    expect(s.text).toContain(printone('Total', s.total));
  });

  it('raw allocator figures are fields, not part of the CPython text', () => {
    const h = createHeap({ maxBytes: 64 << 20 });
    const a = h.malloc(1000);
    const b = h.malloc(0);
    const s = h.debugmallocstats();
    expect(s.rawBlocks).toBe(2);
    expect(s.rawBytesInUse).toBe(h.usableSize(a) + h.usableSize(b));
    expect(s.rawSegments).toBe(1);
    expect(s.arenasCurrent).toBe(0);
    expect(s.text).not.toMatch(/raw/);
    expect(s.total).toBe(0);
  });
});

import { afterEach, describe, expect, it, vi } from 'vitest';
import { Progress } from '../../src/cli/progress.ts';

afterEach(() => {
  vi.useRealTimers();
});

function sink(isTTY: boolean) {
  const writes: string[] = [];
  return { isTTY, writes, write: (s: string) => writes.push(s) };
}

describe('progress line', () => {
  it('appears on a terminal after a second, names the run and phase, and is cleared at the end', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'performance'] });
    const s = sink(true);
    const p = new Progress(s, false);
    p.begin('convoy (python 3.11)');
    p.setPhase('io-loaded (2/2)');
    vi.advanceTimersByTime(800);
    expect(s.writes).toEqual([]); // not within the first second
    vi.advanceTimersByTime(600);
    expect(s.writes.at(-1)).toMatch(/^\r\x1b\[2Kgilsim: convoy \(python 3\.11\) · io-loaded \(2\/2\) · 1\.\d s$/);
    p.end();
    expect(s.writes.at(-1)).toBe('\r\x1b[2K');
    const n = s.writes.length;
    vi.advanceTimersByTime(5000);
    expect(s.writes).toHaveLength(n); // stopped
  });

  it('never with --quiet or when stderr is not a terminal', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'performance'] });
    for (const [tty, quiet] of [
      [false, false],
      [true, true],
    ] as const) {
      const s = sink(tty);
      const p = new Progress(s, quiet);
      p.begin('x');
      vi.advanceTimersByTime(5000);
      p.end();
      expect(s.writes).toEqual([]);
    }
  });
});

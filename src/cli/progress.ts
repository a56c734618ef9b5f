/*
 * The progress line: once a run has taken more than a second, one line on stderr, rewritten in
 * place, saying which run and phase is going and for how long. Only on a terminal and not with
 * --quiet; cleared when the run ends, so it never mixes with the report.
 */

export interface ProgressSink {
  isTTY?: boolean;
  write(s: string): unknown;
}

const DELAY_MS = 1000;
const REFRESH_MS = 200;

export class Progress {
  private readonly out: ProgressSink;
  private readonly enabled: boolean;
  private label = '';
  private phase = '';
  private started = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private shown = false;

  constructor(out: ProgressSink, quiet: boolean) {
    this.out = out;
    this.enabled = !quiet && out.isTTY === true;
  }

  /** A run starts: `label` says which (scenario and configuration). */
  begin(label: string): void {
    if (!this.enabled) return;
    this.label = label;
    this.phase = '';
    this.started = performance.now();
    this.timer = setInterval(() => this.draw(), REFRESH_MS);
    this.timer.unref?.();
  }

  setPhase(phase: string): void {
    this.phase = phase;
  }

  end(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.shown) this.out.write('\r\x1b[2K');
    this.shown = false;
  }

  private draw(): void {
    const t = performance.now() - this.started;
    if (t < DELAY_MS) return;
    const phase = this.phase ? ` · ${this.phase}` : '';
    this.out.write(`\r\x1b[2Kgilsim: ${this.label}${phase} · ${(t / 1000).toFixed(1)} s`);
    this.shown = true;
  }
}

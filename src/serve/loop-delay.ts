import { createHistogram, performance, type RecordableHistogram } from 'node:perf_hooks';

/**
 * Event-loop delay over a sliding window (10 slices of 1 s): what /healthz reports is the last
 * 10 s, not an average since start-up in which idle hours dilute a stall.
 */
export class LoopDelayWindow {
  private readonly slices: RecordableHistogram[];
  private current = 0;
  private timers: NodeJS.Timeout[] = [];

  constructor(private readonly sliceCount = 10) {
    this.slices = Array.from({ length: sliceCount }, () => createHistogram());
  }

  /** Samples every `everyMs` (the lag past that is the delay) and moves the window every second. */
  start(everyMs = 10): this {
    let last = performance.now();
    const sampler = setInterval(() => {
      const now = performance.now();
      this.record(Math.max(0, now - last - everyMs));
      last = now;
    }, everyMs);
    const rotator = setInterval(() => this.rotate(), 1000);
    for (const t of [sampler, rotator]) t.unref();
    this.timers = [sampler, rotator];
    return this;
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  record(delayMs: number): void {
    this.slices[this.current]!.record(Math.max(1, Math.round(delayMs * 1e6)));
  }

  /** Starts a new slice; the oldest one leaves the window. */
  rotate(): void {
    this.current = (this.current + 1) % this.sliceCount;
    this.slices[this.current]!.reset();
  }

  /** p99 and max over the window, in ms (0 with no samples). */
  read(): { p99_ms: number; max_ms: number } {
    const all = createHistogram();
    for (const s of this.slices) if (s.count > 0) all.add(s);
    if (all.count === 0) return { p99_ms: 0, max_ms: 0 };
    const ms = (ns: number): number => Math.round(ns / 1e4) / 100;
    return { p99_ms: ms(all.percentile(99)), max_ms: ms(all.max) };
  }
}

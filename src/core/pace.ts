import { performance } from 'node:perf_hooks';

/**
 * Turns for bursty work, handed out a few per event-loop turn, first come first served. A
 * thousand tool calls arriving at once would otherwise each run their synchronous part (parse,
 * validate, start, journal) in one stretch of the loop, and every timer and every other request
 * — /healthz — would wait for all of them. Between two groups the loop polls I/O and runs timers.
 *
 * The group size adapts: the time from one group to the next is what the group cost (its
 * promise continuations run after it) plus the I/O and timers in between; over `sliceMs` the
 * group halves, well under it the group doubles. A caller alone waits one loop turn.
 */
export class Pacer {
  private readonly waiting: Array<() => void> = [];
  private head = 0;
  private perGroup = 1;
  private lastGroupAt = 0;
  private scheduled = false;
  /** Groups handed out, and how many callers waited at all (tests, /healthz). */
  readonly counts = { groups: 0, turns: 0 };

  constructor(
    private readonly sliceMs = 8,
    private readonly maxPerGroup = 64,
  ) {}

  /** Resolves when the caller may go on. */
  turn(): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.schedule();
    });
  }

  /** Callers waiting for a turn now. */
  get queued(): number {
    return this.waiting.length - this.head;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.release);
  }

  private readonly release = (): void => {
    this.scheduled = false;
    const now = performance.now();
    if (this.lastGroupAt > 0) {
      const took = now - this.lastGroupAt;
      if (took > this.sliceMs) this.perGroup = Math.max(1, this.perGroup >> 1);
      else if (took < this.sliceMs / 2) this.perGroup = Math.min(this.maxPerGroup, this.perGroup * 2);
    }
    const n = Math.min(this.perGroup, this.queued);
    const group = this.waiting.slice(this.head, this.head + n);
    this.head += n;
    if (this.head > 1024 && this.head * 2 > this.waiting.length) {
      this.waiting.splice(0, this.head);
      this.head = 0;
    }
    this.counts.groups++;
    this.counts.turns += n;
    for (const go of group) go();
    if (this.queued > 0) {
      this.lastGroupAt = now;
      this.schedule();
    } else {
      this.lastGroupAt = 0; // the next burst measures afresh (idle time is no cost)
      this.waiting.length = 0;
      this.head = 0;
    }
  };
}

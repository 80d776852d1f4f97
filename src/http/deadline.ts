/** An attempt's signal: aborts with a TimeoutError after `ms`, or when `outer` aborts; `clear` stops both. */
export class Deadline {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  /** Whether the time ran out (rather than the caller's signal aborting). */
  timedOut = false;

  constructor(ms: number, private readonly outer: AbortSignal | undefined) {
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
    }, ms);
    this.timer.unref();
    if (outer?.aborted) this.controller.abort(outer.reason);
    else outer?.addEventListener('abort', this.onOuter, { once: true });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  clear(): void {
    clearTimeout(this.timer);
    this.outer?.removeEventListener('abort', this.onOuter);
  }

  private readonly onOuter = (): void => this.controller.abort(this.outer!.reason);
}

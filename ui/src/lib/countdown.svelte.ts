// A countdown in whole seconds, for "Send a new code in 46 s" and "Try again in 12 s". It
// counts against the clock (Date.now), so a slow timer never makes it run long, and it stops
// its timer at zero. Call `stop()` when the component showing it goes away.

const TICK_MS = 250;

export class Countdown {
  /** When the wait is over (ms since the epoch); 0 = no wait. */
  until = $state(0);
  private now = $state(Date.now());
  private timer: ReturnType<typeof setInterval> | undefined;

  /** Whole seconds left, rounded up; 0 when the wait is over. */
  get remaining(): number {
    return Math.max(0, Math.ceil((this.until - this.now) / 1000));
  }

  get running(): boolean {
    return this.remaining > 0;
  }

  /** Counts down to the moment `until` (ms since the epoch). */
  startAt(until: number): void {
    this.until = until;
    this.now = Date.now();
    clearInterval(this.timer);
    this.timer = undefined;
    if (until <= this.now) return;
    this.timer = setInterval(() => {
      this.now = Date.now();
      if (this.now >= this.until) this.stop();
    }, TICK_MS);
  }

  /** Counts down `seconds` from now. */
  start(seconds: number): void {
    this.startAt(Date.now() + Math.max(0, seconds) * 1000);
  }

  /** Stops the timer (the remaining time stays as it was last seen). */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Ends the wait now. */
  clear(): void {
    this.stop();
    this.until = 0;
    this.now = Date.now();
  }
}

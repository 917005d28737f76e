/** A clock and sleep that only move when `run` advances them: deterministic time for limiter tests. */
export class VirtualTime {
  now = 0;
  private timers: { at: number; resolve: () => void }[] = [];

  readonly clock = (): number => this.now;

  readonly sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      this.timers.push({ at: this.now + Math.max(0, ms), resolve });
    });

  /** Runs timers in time order until `work` settles; throws if it stalls with no timer left. */
  async run<T>(work: Promise<T>): Promise<T> {
    let settled = false;
    const result = work.finally(() => {
      settled = true;
    });
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve));
      if (settled) return result;
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers.shift();
      if (!next) throw new Error('virtual time stalled: nothing scheduled and the work is not done');
      this.now = Math.max(this.now, next.at);
      next.resolve();
    }
  }
}

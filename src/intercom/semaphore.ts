/**
 * At most `size` holders at a time, served first come, first served. `acquire` resolves with the
 * release function; calling it more than once releases once.
 */
export class Semaphore {
  private active = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(private readonly size: number) {
    if (!Number.isInteger(size) || size < 1)
      throw new RangeError(`semaphore size must be a positive integer, got ${size}`);
  }

  async acquire(): Promise<() => void> {
    if (this.active < this.size) this.active += 1;
    else await new Promise<void>((resolve) => this.waiters.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) next();
      else this.active -= 1;
    };
  }
}

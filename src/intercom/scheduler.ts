/**
 * Which requests go first when more want to go than the rate limit or the bound on requests in flight
 * allows: incremental polls, then what they depend on (parts of changed conversations, delete
 * confirmations), then bulk reads (snapshots, backfills), then background reads (reconciliation).
 */
export type Priority = 'poll' | 'child' | 'bulk' | 'background';

export const PRIORITIES: readonly Priority[] = ['poll', 'child', 'bulk', 'background'];

/** What the scheduler needs of the rate limiter: permits in call order (see RateLimiter). */
export interface PermitSource {
  acquire(): Promise<number>;
}

export interface SchedulerObserver {
  /** Requests on the wire and the current bound, after every change of either. */
  inFlight?(e: { inFlight: number; bound: number }): void;
}

export interface SchedulerOptions {
  limiter: PermitSource;
  /** Most requests in flight at once, whatever the rate limit and latency (configuration). */
  maxInFlight: number;
  /** Fewest requests the bound may shrink to. Default min(4, maxInFlight). */
  minInFlight?: number;
  /** Requests per second the rate limit allows, when known (from `X-RateLimit-Limit`). */
  ratePerSecond: () => number | undefined;
  observer?: SchedulerObserver;
}

/** A place on the wire: `ticket` is the rate-limit permit; `release` frees it, with the answer's latency. */
export interface Slot {
  ticket: number;
  release(latencyMs?: number): void;
}

/** The bound before any answer was timed: enough for a 300 ms API at a few hundred requests a minute. */
const INITIAL_BOUND = 16;
/** Weight of the newest latency in the moving average. */
const LATENCY_WEIGHT = 0.1;
/** Head room over rate × latency, for the latency's spread. */
const HEADROOM = 1.25;

/**
 * One scheduler for every request of a client. Contract:
 * - `acquire(priority)` resolves with a slot once the request may go on the wire: fewer than `bound`
 *   requests are in flight and the rate limiter gave a permit. Among waiting requests the highest
 *   priority goes first, then the earliest; the choice is made when the permit is granted, so a poll
 *   never waits behind bulk reads that queued before it.
 * - The bound follows Little's law: rate the limit allows × average latency of the answers, plus head
 *   room, between `minInFlight` and `maxInFlight`. More in flight would only queue at the limiter; fewer
 *   would leave the limit unused.
 * - Every slot must be released exactly once (later calls do nothing).
 */
export class RequestScheduler {
  private readonly queues = new Map<Priority, ((slot: Slot) => void)[]>(PRIORITIES.map((p) => [p, []]));
  private active = 0;
  private waiting = 0;
  private pumping = false;
  private latencyMs: number | undefined;
  private readonly minInFlight: number;

  constructor(private readonly opts: SchedulerOptions) {
    if (!Number.isInteger(opts.maxInFlight) || opts.maxInFlight < 1)
      throw new RangeError(`maxInFlight must be a positive integer, got ${opts.maxInFlight}`);
    this.minInFlight = Math.min(opts.minInFlight ?? 4, opts.maxInFlight);
  }

  /** Requests on the wire now. */
  get inFlight(): number {
    return this.active;
  }

  /** The current bound on requests in flight. */
  get bound(): number {
    const rate = this.opts.ratePerSecond();
    const wanted =
      rate === undefined || this.latencyMs === undefined
        ? INITIAL_BOUND
        : Math.ceil(rate * (this.latencyMs / 1000) * HEADROOM) + 1;
    return Math.max(this.minInFlight, Math.min(this.opts.maxInFlight, wanted));
  }

  /** The moving average of answer latencies (ms), once one was measured. */
  get averageLatencyMs(): number | undefined {
    return this.latencyMs;
  }

  acquire(priority: Priority = 'poll'): Promise<Slot> {
    return new Promise<Slot>((resolve) => {
      this.queues.get(priority)!.push(resolve);
      this.waiting += 1;
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.waiting > 0 && this.active < this.bound) {
        const ticket = await this.opts.limiter.acquire();
        const next = this.takeNext();
        if (!next) break; // cannot happen: waiters leave only here
        this.active += 1;
        this.report();
        next(this.slot(ticket));
      }
    } finally {
      this.pumping = false;
    }
  }

  private takeNext(): ((slot: Slot) => void) | undefined {
    for (const priority of PRIORITIES) {
      const next = this.queues.get(priority)!.shift();
      if (next) {
        this.waiting -= 1;
        return next;
      }
    }
    return undefined;
  }

  private slot(ticket: number): Slot {
    let released = false;
    return {
      ticket,
      release: (latencyMs) => {
        if (released) return;
        released = true;
        if (latencyMs !== undefined && Number.isFinite(latencyMs) && latencyMs >= 0) {
          this.latencyMs =
            this.latencyMs === undefined
              ? latencyMs
              : this.latencyMs + LATENCY_WEIGHT * (latencyMs - this.latencyMs);
        }
        this.active -= 1;
        this.report();
        void this.pump();
      },
    };
  }

  private report(): void {
    this.opts.observer?.inFlight?.({ inFlight: this.active, bound: this.bound });
  }
}

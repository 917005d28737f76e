import type { RateLimitOptions } from '../types';

/** Requests per window when no limit is set: high enough never to bite, so headers are always present. */
export const UNLIMITED = 1_000_000;
export const DEFAULT_WINDOW_MS = 10_000;

export interface RateDecision {
  allowed: boolean;
  limit: number;
  headers: Record<string, string>;
}

/**
 * Fixed windows of wall time (aligned to multiples of `windowMs`), as Intercom enforces them per app.
 * `X-RateLimit-Reset` is the Unix second the current window ends.
 */
export class RateLimiter {
  private limit = UNLIMITED;
  private windowMs = DEFAULT_WINDOW_MS;
  private window = -1;
  private used = 0;

  constructor(
    private readonly wall: () => number,
    options: RateLimitOptions | null | undefined,
  ) {
    this.set(options ?? null);
  }

  set(options: RateLimitOptions | null): void {
    this.limit = options ? Math.max(0, Math.floor(options.limit)) : UNLIMITED;
    this.windowMs = options?.windowMs ?? DEFAULT_WINDOW_MS;
    this.window = -1;
    this.used = 0;
  }

  /** Counts one request; a request over the limit is refused (and not counted). */
  take(): RateDecision {
    const now = this.wall();
    const window = Math.floor(now / this.windowMs);
    if (window !== this.window) {
      this.window = window;
      this.used = 0;
    }
    const allowed = this.used < this.limit;
    if (allowed) this.used++;
    return {
      allowed,
      limit: this.limit,
      headers: {
        'X-RateLimit-Limit': String(this.limit),
        'X-RateLimit-Remaining': String(Math.max(0, this.limit - this.used)),
        'X-RateLimit-Reset': String(Math.ceil(((window + 1) * this.windowMs) / 1000)),
      },
    };
  }

  /** The 429 message Intercom sends, naming the window in its own words. */
  message(): string {
    const seconds = Math.round(this.windowMs / 1000);
    return `Exceeded rate limit of ${this.limit} in ${seconds}_seconds`;
  }
}

/**
 * The rate limiter of the client: when the next request may go, from what Intercom's answers said of
 * the window (`X-RateLimit-*`, `Retry-After` after a 429); the scheduler asks it for every permit.
 */
import { readRateLimit, readRetryAfter, type HeaderBag, type RateLimitSnapshot } from './rate-headers';

/** The headers a wait is taken from. */
export type WaitHeader = 'retry-after' | 'x-ratelimit-reset';

export interface RateLimiterObserver {
  rateLimit?(e: RateLimitSnapshot): void;
  throttled?(e: { waitMs: number; reason: '429' | 'budget' }): void;
  /** A header asked for a wait longer than `maxHeaderWaitMs` (`waitMs`); the limiter waits `capMs`. */
  headerWaitCapped?(e: { header: WaitHeader; waitMs: number; capMs: number }): void;
}

export interface RateLimiterOptions {
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  /** Returns [0, 1); draws the jitter. */
  random: () => number;
  /** Self-imposed cap in requests per minute (to leave room for other apps); 0 or undefined = none. */
  maxRequestsPerMinute?: number;
  /** Upper bound of the random delay added to every wait for a window reset. Default 250 ms. */
  jitterMs?: number;
  /**
   * Longest wait taken from a header (`Retry-After`, `X-RateLimit-Reset`), in ms: a later reset is
   * taken to be this far away. Default {@link DEFAULT_MAX_HEADER_WAIT_MS}.
   */
  maxHeaderWaitMs?: number;
  observer?: RateLimiterObserver;
}

/** One rate-limit window as the server reported it. `floor - issued` = requests we may still send in it. */
interface Window {
  resetAtMs: number;
  floor: number;
}

/** Intercom's rate-limit window: its limit (10,000 requests a minute) is enforced in 10-second windows. */
const WINDOW_MS = 10_000;

/** Default of `maxHeaderWaitMs`: ten minutes (Intercom's windows last ten seconds). */
export const DEFAULT_MAX_HEADER_WAIT_MS = 600_000;

/** `X-RateLimit-Reset` has one-second precision: the true reset may lie up to this much after it. */
const RESET_PRECISION_MS = 1000;

/**
 * Paces requests to the rate limit Intercom reports. Contract:
 * - `acquire()` resolves, in call order, when one request may be sent, with a ticket; the caller
 *   passes the ticket and the response (or its absence) to `observe()`.
 * - Budget: every response says how many requests are left after it (`X-RateLimit-Remaining`). With
 *   `k` the ticket of that request and `issued` the number of tickets handed out so far, at most
 *   `remaining + k - issued` more may go out before the reset (requests sent after it may not have
 *   been counted yet). The smallest such bound of the current window holds. At zero, it waits for
 *   the reset plus jitter (reported as `budget`).
 * - Spread: what is left is spread evenly over the time left in the window (n requests at 1/(n+1)
 *   steps), so the window is used to its end and no burst lands at its start.
 * - 429: everyone waits until `Retry-After`, else `X-RateLimit-Reset`, plus jitter (reported as `429`).
 *   A 429 whose reset already passed shows that the server rounds the reset down; from then on the
 *   limiter assumes windows end one second later.
 * - Self cap: requests are at least `60000 / maxRequestsPerMinute` ms apart.
 * - Every wait taken from a header is capped at `maxHeaderWaitMs` after the answer arrived: a reset or
 *   `Retry-After` further away (a bug, clock skew, a hostile proxy) counts as that far, and is reported
 *   to `observer.headerWaitCapped`. Headers that are not numbers (or dates) are ignored.
 * - Without rate-limit headers (nothing known yet, or a new window not yet seen) it does not hold back.
 */
export class RateLimiter {
  private issued = 0;
  private window: Window | undefined;
  private lastIssueAt = -Infinity;
  private blockedUntil = 0;
  private skewMs = 0;
  private turn: Promise<unknown> = Promise.resolve();
  private readonly minGapMs: number;
  private readonly jitterMs: number;
  private lastLimit: number | undefined;
  private readonly maxHeaderWaitMs: number;

  constructor(private readonly options: RateLimiterOptions) {
    this.minGapMs = options.maxRequestsPerMinute ? 60_000 / options.maxRequestsPerMinute : 0;
    this.jitterMs = options.jitterMs ?? 250;
    this.maxHeaderWaitMs = options.maxHeaderWaitMs ?? DEFAULT_MAX_HEADER_WAIT_MS;
  }

  /**
   * Requests per second the limit allows, once an answer said it (`X-RateLimit-Limit` per window of
   * {@link WINDOW_MS}), or the self-imposed cap when lower; undefined before any answer without a cap.
   */
  allowedPerSecond(): number | undefined {
    const cap = this.options.maxRequestsPerMinute ? this.options.maxRequestsPerMinute / 60 : undefined;
    const server = this.lastLimit === undefined ? undefined : this.lastLimit / (WINDOW_MS / 1000);
    if (cap === undefined) return server;
    return server === undefined ? cap : Math.min(cap, server);
  }

  acquire(): Promise<number> {
    const ticket = this.turn.then(() => this.waitForPermit());
    this.turn = ticket.catch(() => undefined);
    return ticket;
  }

  /** Feeds back what the answer to request `ticket` said; `status` undefined = no answer arrived. */
  observe(ticket: number, response: { status?: number; headers?: HeaderBag }): void {
    const now = this.options.now();
    const snapshot = response.headers ? this.capReset(readRateLimit(response.headers), now) : undefined;
    if (snapshot) {
      this.lastLimit = snapshot.limit;
      this.options.observer?.rateLimit?.(snapshot);
    }
    if (response.status === 429) this.block(snapshot, response.headers, now);
    else if (snapshot) this.record(ticket, snapshot, now);
  }

  private async waitForPermit(): Promise<number> {
    for (;;) {
      const plan = this.plan(this.options.now());
      if (plan.waitMs <= 0) break;
      if (plan.reason) this.options.observer?.throttled?.({ waitMs: plan.waitMs, reason: plan.reason });
      await this.options.sleep(plan.waitMs);
    }
    this.issued += 1;
    this.lastIssueAt = this.options.now();
    return this.issued;
  }

  private plan(now: number): { waitMs: number; reason?: '429' | 'budget' } {
    if (now < this.blockedUntil) return { waitMs: this.blockedUntil - now, reason: '429' };
    const capWait = this.lastIssueAt + this.minGapMs - now;
    const window = this.currentWindow(now);
    if (!window) return { waitMs: capWait };
    const endsAt = window.resetAtMs + this.skewMs;
    const available = window.floor - this.issued;
    if (available <= 0) return { waitMs: endsAt - now + this.jitter(), reason: 'budget' };
    const spreadWait = this.lastIssueAt + (endsAt - now) / (available + 1) - now;
    return { waitMs: Math.max(capWait, spreadWait) };
  }

  private currentWindow(now: number): Window | undefined {
    if (this.window && now >= this.window.resetAtMs + this.skewMs) this.window = undefined;
    return this.window;
  }

  private record(ticket: number, snapshot: RateLimitSnapshot, now: number): void {
    if (snapshot.resetAtMs + this.skewMs <= now) return;
    const floor = snapshot.remaining + ticket;
    if (!this.window || snapshot.resetAtMs > this.window.resetAtMs) {
      this.window = { resetAtMs: snapshot.resetAtMs, floor };
    } else if (snapshot.resetAtMs === this.window.resetAtMs) {
      this.window.floor = Math.min(this.window.floor, floor);
    }
  }

  private block(snapshot: RateLimitSnapshot | undefined, headers: HeaderBag | undefined, now: number): void {
    if (snapshot && snapshot.resetAtMs + this.skewMs <= now) this.skewMs = RESET_PRECISION_MS;
    const asked = headers ? readRetryAfter(headers, now) : undefined;
    const retryAfter = asked === undefined ? undefined : this.cap('retry-after', asked);
    const resetAt = snapshot ? snapshot.resetAtMs + this.skewMs : undefined;
    const until =
      retryAfter !== undefined
        ? now + retryAfter
        : resetAt !== undefined && resetAt > now
          ? resetAt
          : now + RESET_PRECISION_MS;
    this.blockedUntil = Math.max(this.blockedUntil, until + this.jitter());
  }

  /** The window with its reset no later than `maxHeaderWaitMs` after `now`. */
  private capReset(snapshot: RateLimitSnapshot | undefined, now: number): RateLimitSnapshot | undefined {
    if (!snapshot) return undefined;
    const waitMs = snapshot.resetAtMs - now;
    const capped = this.cap('x-ratelimit-reset', waitMs);
    return capped === waitMs ? snapshot : { ...snapshot, resetAtMs: now + capped };
  }

  private cap(header: WaitHeader, waitMs: number): number {
    if (waitMs <= this.maxHeaderWaitMs) return waitMs;
    this.options.observer?.headerWaitCapped?.({ header, waitMs, capMs: this.maxHeaderWaitMs });
    return this.maxHeaderWaitMs;
  }

  private jitter(): number {
    return Math.round(this.options.random() * this.jitterMs);
  }
}

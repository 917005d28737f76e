/**
 * The one retry of Intercom requests: axios-retry, with every decision taken from the outcome table
 * (classify.ts) and every wait from the project's backoff (`backoffDelay`, src/retry.ts). Nothing
 * retries a request on top of it: walks, the scroll and the capture engine get a result or the
 * request's final error. The one exception is a page whose 200 lacks its list, which only the walk can
 * tell (pagination.ts, `ListRetry`). What one request may still spend lives in its {@link RetryBudget}, made
 * per request by the chain; nothing of it is kept on the request config.
 */
import type { AxiosInstance } from 'axios';
import axiosRetry from 'axios-retry';
import type { Logger } from '../logger';
import { backoffDelay, type RetryPolicy } from '../retry';
import type { TokenProvider } from './auth/token';
import { ruleFor, type Outcome } from './classify';
import { outcomeOf, tokenOf } from './failure';
import type { ClientObserver } from './links';
import { routeOf } from './route';

/** How much retrying a request may do, per kind of outcome (client options, shared by every request). */
export interface RetryLimits {
  /** Retries of a transient failure (5xx, timeout, reset, malformed body), after backoff waits. */
  retries: number;
  /** Sends after a 429, each once the limiter lets the request through (no backoff of its own). */
  rateLimitRetries: number;
  /** Bounds of the backoff between transient retries. */
  backoff: Pick<RetryPolicy, 'minMs' | 'maxMs'>;
  /** Sends of a scroll's opening request while another scroll of the app is open, each after `busyWaitMs`. */
  busyRetries: number;
  /** Wait before each of those; an idle scroll expires after about a minute. */
  busyWaitMs: number;
}

/** Whether a failed attempt is sent again, why (for logs and metrics), and after how long. */
export type RetryDecision = { again: false } | { again: true; reason: string; delayMs: number };

/**
 * What one request has spent of its {@link RetryLimits}, and its decisions. Contract of `decide`:
 * - `rate_limited` (429): again at once, at most `rateLimitRetries` times; the limiter holds the next
 *   attempt until the window resets (`Retry-After`, else `X-RateLimit-Reset`), so no backoff is added;
 * - `retry` (transient): again after `backoffDelay(n)`, at most `retries` times, and only when the
 *   request is idempotent (a create whose answer was lost may have created the object);
 * - `busy` (a scroll's opening while another is open): again after `busyWaitMs`, at most `busyRetries` times;
 * - a row with `refreshToken` (401): again at once, only once and only when the token provider says a
 *   newer token exists; a provider that fails keeps its error in `refreshFailure`, which ends the request;
 * - anything else: not again.
 */
export class RetryBudget {
  private transient = 0;
  private rateLimited = 0;
  private busy = 0;
  private refreshed = false;
  /** The error of a token refresh that failed: it ends the request in place of the 401. */
  refreshFailure: unknown;

  constructor(
    private readonly limits: RetryLimits,
    private readonly idempotent: boolean,
    private readonly random: () => number,
  ) {}

  /** Attempts made after the first, the resend after a token refresh not counted. */
  get retries(): number {
    return this.transient + this.rateLimited + this.busy;
  }

  async decide(outcome: Outcome, refreshToken: () => Promise<boolean>): Promise<RetryDecision> {
    const rule = ruleFor(outcome);
    if (rule.refreshToken) return this.refresh(refreshToken);
    if (rule.action === 'rate_limited' && this.rateLimited < this.limits.rateLimitRetries) {
      this.rateLimited += 1;
      return { again: true, reason: '429', delayMs: 0 };
    }
    if (rule.action === 'retry' && this.idempotent && this.transient < this.limits.retries) {
      this.transient += 1;
      const reason = outcome.status !== undefined ? String(outcome.status) : (outcome.errorCode ?? 'unknown');
      return { again: true, reason, delayMs: backoffDelay(this.transient, this.limits.backoff, this.random) };
    }
    if (rule.action === 'busy' && this.busy < this.limits.busyRetries) {
      this.busy += 1;
      return { again: true, reason: 'scroll_busy', delayMs: this.limits.busyWaitMs };
    }
    return { again: false };
  }

  private async refresh(refreshToken: () => Promise<boolean>): Promise<RetryDecision> {
    if (this.refreshed) return { again: false };
    this.refreshed = true;
    try {
      return (await refreshToken()) ? { again: true, reason: '401', delayMs: 0 } : { again: false };
    } catch (error) {
      this.refreshFailure = error;
      return { again: false };
    }
  }
}

export interface RetryHooks {
  auth: TokenProvider;
  /** The request opens a scroll (the table's `busy` row applies to it). */
  opensScroll?: boolean;
  sleep: (ms: number) => Promise<void>;
  logger: Logger;
  observer: ClientObserver;
}

/**
 * Puts axios-retry on `http` (an instance made for one request), deciding with `budget`. Before each
 * resend it reports the retry (`observer.retry`, the warning 'retrying Intercom request') and waits the
 * decided delay with the client's `sleep`, so tests and the rate limiter share one clock; axios-retry's
 * own delay is 0. Timeouts apply per attempt.
 */
export function retryWith(http: AxiosInstance, budget: RetryBudget, hooks: RetryHooks): void {
  let next: RetryDecision = { again: false };
  axiosRetry(http, {
    retries: Number.MAX_SAFE_INTEGER, // bounded per kind of outcome by the budget
    shouldResetTimeout: true,
    retryDelay: () => 0,
    retryCondition: async (error) => {
      const outcome = outcomeOf(error, { opensScroll: hooks.opensScroll });
      next = await budget.decide(outcome, () => hooks.auth.onUnauthorized(tokenOf(error.config)));
      return next.again;
    },
    onRetry: async (attempt, error, config) => {
      const { reason, delayMs } = next.again ? next : { reason: 'unknown', delayMs: 0 };
      const route = routeOf(config.url ?? '');
      hooks.observer.retry?.({ route, attempt, reason });
      hooks.logger.warn({ route, attempt, reason, delayMs, code: error.code }, 'retrying Intercom request');
      if (delayMs > 0) await hooks.sleep(delayMs);
    },
  });
}

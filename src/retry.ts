/** The one retry of the project and its backoff: what every wait between two tries is, and what is tried again. */
import { CdcError } from './errors';
import { sleep as realSleep } from './sleep';

/**
 * How often and how long an operation is tried again. Waits grow exponentially from `minMs` and are
 * capped at `maxMs`, with full jitter (a uniform draw between 0 and that ceiling), so that clients that
 * failed together do not come back together.
 */
export interface RetryPolicy {
  /** Ceiling of the first wait, in ms. */
  minMs: number;
  /** Cap of every wait, in ms. */
  maxMs: number;
  /** Most retries after the first attempt. Default: unbounded (until the deadline or the signal). */
  retries?: number;
  /** No wait may end later than this long after the first attempt began, in ms. Default: none. */
  deadlineMs?: number;
}

export interface RetryOptions {
  policy: RetryPolicy;
  /** Aborting it ends the waiting: the last error is thrown at once. */
  signal?: AbortSignal;
  /** Told before each wait (logs, metrics). */
  onRetry?: (e: { attempt: number; delayMs: number; error: CdcError }) => void;
  /** Injected for tests; default Date.now. */
  clock?: () => number;
  /** Injected for tests; default the project's abortable sleep. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Returns [0, 1); draws the jitter. Default Math.random. */
  random?: () => number;
}

/**
 * The wait before retry number `attempt` (1-based): a uniform draw in [0, ceiling] where the ceiling is
 * `minMs · 2^(attempt-1)` capped at `maxMs` ("full jitter"). `random` returns [0, 1). The one backoff of
 * the project.
 */
export function backoffDelay(
  attempt: number,
  policy: Pick<RetryPolicy, 'minMs' | 'maxMs'>,
  random: () => number,
): number {
  const ceiling = Math.min(policy.maxMs, policy.minMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling * random());
}

/**
 * The one question every retry asks: is this a failure the connector raised on purpose, saying that the
 * same operation may succeed later? Anything else (a TypeError, a plain Error: a bug, or a library's
 * error nobody classified) is never retried.
 */
export function isRetriable(error: unknown): error is CdcError {
  return error instanceof CdcError && error.retriable;
}

/**
 * Calls `fn` (with the 1-based attempt number) until it resolves. Contract:
 * - a failure that is not {@link isRetriable} is thrown at once, as is;
 * - a retriable one is retried after its `retryAfterMs` when it has one, else after {@link backoffDelay},
 *   unless the policy's retries are spent, the wait would end past the deadline, or the signal aborted:
 *   then the last error is thrown, as is;
 * - `onRetry` is told before each wait. `fn` never runs after the signal aborted.
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const { policy, signal } = options;
  const clock = options.clock ?? Date.now;
  const sleep = options.sleep ?? realSleep;
  const random = options.random ?? Math.random;
  const deadline = policy.deadlineMs === undefined ? Infinity : clock() + policy.deadlineMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (!isRetriable(error) || signal?.aborted) throw error;
      if (attempt > (policy.retries ?? Infinity)) throw error;
      const delayMs = error.retryAfterMs ?? backoffDelay(attempt, policy, random);
      if (clock() + delayMs >= deadline) throw error;
      options.onRetry?.({ attempt, delayMs, error });
      await sleep(delayMs, signal);
      if (signal?.aborted) throw error;
    }
  }
}

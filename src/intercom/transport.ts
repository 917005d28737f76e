import axios, {
  AxiosError,
  type AxiosAdapter,
  type AxiosInstance,
  type AxiosResponse,
  type InternalAxiosRequestConfig,
} from 'axios';
import axiosRetry from 'axios-retry';
import type { Logger } from '../observability/logger';
import { backoffDelay, type RetryPolicy } from '../retry';
import type { TokenProvider } from './auth/token';
import { classify, MALFORMED_BODY, type Outcome } from './classify';
import { parseErrorBody } from './errors';
import type { HeaderBag } from './rate-headers';
import type { RateLimiter } from './rate-limiter';
import { routeOf } from './route';
import type { Priority, RequestScheduler } from './scheduler';

/** Metrics hooks, all optional; the composition root wires them to Prometheus. */
export interface ClientObserver {
  request?(e: { method: string; route: string; status: number | 'error'; durationMs: number }): void;
  rateLimit?(e: { limit: number; remaining: number; resetAtMs: number }): void;
  throttled?(e: { waitMs: number; reason: '429' | 'budget' }): void;
  retry?(e: { route: string; attempt: number; reason: string }): void;
  /** Requests on the wire and the scheduler's current bound (see RequestScheduler). */
  inFlight?(e: { inFlight: number; bound: number }): void;
}

/**
 * What one logical request went through across its attempts. A class instance, so that axios keeps
 * it by reference when it copies the request config for a retry.
 */
export class Attempts {
  transient = 0;
  rateLimited = 0;
  refreshed = false;
  /** The token of the latest attempt, to tell the provider which one failed and to scrub it from errors. */
  token: string | undefined;
  /** Why and how long before the next attempt, decided by the retry condition. */
  next: { reason: string; delayMs: number } = { reason: '', delayMs: 0 };
  /** An error that replaces the HTTP failure (a rejected token refresh). */
  failure: unknown;

  constructor(
    readonly retryTransient: boolean,
    readonly priority: Priority = 'poll',
  ) {}
}

declare module 'axios' {
  interface AxiosRequestConfig {
    intercom?: Attempts;
  }
}

export interface TransportOptions {
  baseUrl: string;
  apiVersion: string;
  userAgent: string;
  timeoutMs: number;
  auth: TokenProvider;
  scheduler: RequestScheduler;
  limiter: RateLimiter;
  /** Retries of a transient failure, and the waits between them (the project's one backoff). */
  retries: number;
  /** Waits for the limiter after a 429 (no backoff of its own: the limiter holds until the reset). */
  rateLimitRetries: number;
  backoff: Pick<RetryPolicy, 'minMs' | 'maxMs'>;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  logger: Logger;
  observer: ClientObserver;
}

/** What decides an error's fate: its error status and Intercom code, or else its transport code. */
export function outcomeOf(error: unknown): Outcome {
  const axiosError = error as Partial<AxiosError<unknown>>;
  const response = axiosError.response;
  if (response && (response.status < 200 || response.status >= 300)) {
    return { status: response.status, errorCode: parseErrorBody(parseLenient(response.data)).code };
  }
  return { errorCode: axiosError.code }; // no answer, or a success whose body broke off or is not JSON
}

/** The body as JSON, or undefined when it is not JSON. */
export function parseLenient(data: unknown): unknown {
  if (typeof data !== 'string') return data;
  try {
    return JSON.parse(data);
  } catch {
    return undefined;
  }
}

/** The JSON object of a successful answer; anything else fails the attempt with {@link MALFORMED_BODY}. */
function parseBody(response: AxiosResponse, config: InternalAxiosRequestConfig): unknown {
  const body = parseLenient(response.data);
  if (typeof body === 'object' && body !== null) return body;
  throw new AxiosError(
    'the response body is not a JSON object',
    MALFORMED_BODY,
    config,
    response.request,
    response,
  );
}

/**
 * One attempt: a slot from the scheduler (by the request's priority, with its rate-limit permit), the
 * current token, the HTTP exchange, feedback of the rate-limit headers, metrics and JSON parsing. The
 * slot is held only while the attempt is on the wire, never during a retry's backoff; its release
 * tells the scheduler the answer's latency.
 */
function attemptAdapter(opts: TransportOptions): AxiosAdapter {
  const send = axios.getAdapter('http');
  return async (config) => {
    const slot = await opts.scheduler.acquire(config.intercom?.priority);
    const ticket = slot.ticket;
    let latencyMs: number | undefined;
    try {
      const token = await opts.auth.getToken();
      if (config.intercom) config.intercom.token = token;
      config.headers.set('Authorization', `Bearer ${token}`);
      const started = opts.now();
      const report = (status: number | 'error', headers?: HeaderBag): void => {
        const durationMs = opts.now() - started;
        latencyMs = durationMs;
        opts.limiter.observe(ticket, { status: status === 'error' ? undefined : status, headers });
        const method = (config.method ?? 'get').toUpperCase();
        opts.observer.request?.({
          method,
          route: routeOf(config.url ?? ''),
          status,
          durationMs,
        });
      };
      let response: AxiosResponse;
      try {
        response = await send(config);
      } catch (error) {
        const failed = (error as AxiosError).response;
        report(failed ? failed.status : 'error', failed?.headers as HeaderBag | undefined);
        throw error;
      }
      report(response.status, response.headers as HeaderBag);
      response.data = parseBody(response, config);
      return response;
    } finally {
      slot.release(latencyMs);
    }
  };
}

/** Decides whether a failed attempt is sent again, and after how long; records it in its Attempts. */
async function shouldRetry(opts: TransportOptions, error: AxiosError): Promise<boolean> {
  const attempts = error.config?.intercom;
  if (!attempts) return false;
  const outcome = outcomeOf(error);
  if (outcome.status === 401) {
    if (attempts.refreshed) return false;
    attempts.refreshed = true;
    try {
      attempts.next = { reason: '401', delayMs: 0 };
      return await opts.auth.onUnauthorized(attempts.token);
    } catch (refreshError) {
      attempts.failure = refreshError;
      return false;
    }
  }
  const action = classify(outcome);
  if (action === 'rate_limited' && attempts.rateLimited < opts.rateLimitRetries) {
    attempts.rateLimited += 1;
    attempts.next = { reason: '429', delayMs: 0 }; // the limiter holds every request until the reset
    return true;
  }
  if (action === 'retry' && attempts.retryTransient && attempts.transient < opts.retries) {
    attempts.transient += 1;
    const reason = outcome.status !== undefined ? String(outcome.status) : (outcome.errorCode ?? 'unknown');
    attempts.next = { reason, delayMs: backoffDelay(attempts.transient, opts.backoff, opts.random) };
    return true;
  }
  return false;
}

/**
 * The HTTP stack, outermost first: retry (axios-retry, decisions from the outcome table) → attempt
 * (scheduler slot by priority → rate-limit permit → bearer token → HTTP → rate-limit feedback, metrics, JSON).
 * Every request carries `Intercom-Version`. Bodies are parsed by the attempt, never by axios.
 */
export function createTransport(opts: TransportOptions): AxiosInstance {
  const http = axios.create({
    baseURL: opts.baseUrl,
    timeout: opts.timeoutMs,
    headers: {
      'Intercom-Version': opts.apiVersion,
      Accept: 'application/json',
      'User-Agent': opts.userAgent,
    },
    responseType: 'text',
    transformResponse: [(data: unknown) => data],
    adapter: attemptAdapter(opts),
    maxRedirects: 0,
  });
  axiosRetry(http, {
    retries: Number.MAX_SAFE_INTEGER, // bounded per failure class by shouldRetry
    shouldResetTimeout: true,
    retryDelay: () => 0,
    retryCondition: (error) => shouldRetry(opts, error),
    onRetry: async (attempt, error, config) => {
      const next = config.intercom?.next ?? { reason: 'unknown', delayMs: 0 };
      const route = routeOf(config.url ?? '');
      opts.observer.retry?.({ route, attempt, reason: next.reason });
      opts.logger.warn(
        { route, attempt, reason: next.reason, delayMs: next.delayMs, code: error.code },
        'retrying Intercom request',
      );
      if (next.delayMs > 0) await opts.sleep(next.delayMs);
    },
  });
  return http;
}

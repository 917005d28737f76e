/**
 * The links of one attempt, each a small wrapper around the next (an axios adapter around an axios
 * adapter), each with one promise. chain.ts puts them in order; none of them retries, sleeps on its
 * own or keeps anything of a request past its attempt.
 */
import { AxiosError, type AxiosAdapter, type AxiosResponse } from 'axios';
import type { TokenProvider } from './auth/token';
import { MALFORMED_BODY } from './classify';
import { parseLenient } from './errors';
import type { HeaderBag } from './rate-headers';
import type { RateLimiter, WaitHeader } from './rate-limiter';
import { routeOf } from './route';
import type { Priority, RequestScheduler } from './scheduler';

/** Metrics hooks, all optional; the composition root wires them to Prometheus. */
export interface ClientObserver {
  /** One attempt answered (its status) or got no answer (`error`), and how long the exchange took. */
  request?(e: { method: string; route: string; status: number | 'error'; durationMs: number }): void;
  rateLimit?(e: { limit: number; remaining: number; resetAtMs: number }): void;
  throttled?(e: { waitMs: number; reason: '429' | 'budget' }): void;
  /** A header asked for a longer wait than the client's `maxHeaderWaitMs`; `capMs` was waited instead. */
  headerWaitCapped?(e: { header: WaitHeader; waitMs: number; capMs: number }): void;
  /** A request is sent again (`attempt`: 1 for the first retry); `reason`: the status, code or cause. */
  retry?(e: { route: string; attempt: number; reason: string }): void;
  /** Requests on the wire and the scheduler's current bound (see RequestScheduler). */
  inFlight?(e: { inFlight: number; bound: number }): void;
}

/** The status and headers of an attempt's answer, whether it succeeded or failed; none without an answer. */
function answerOf(outcome: AxiosResponse | unknown): { status?: number; headers?: HeaderBag } {
  const response = outcome instanceof AxiosError ? outcome.response : (outcome as AxiosResponse | undefined);
  return response ? { status: response.status, headers: response.headers as HeaderBag } : {};
}

/**
 * auth: every attempt carries the provider's current token as `Authorization: Bearer`. The provider is
 * asked before the attempt takes its slot, so a refresh ahead of expiry holds no place on the wire. A
 * provider that fails (an expired token whose refresh was refused) ends the request with its error.
 */
export function authorized(auth: TokenProvider, next: AxiosAdapter): AxiosAdapter {
  return async (config) => {
    config.headers.set('Authorization', `Bearer ${await auth.getToken()}`);
    return next(config);
  };
}

/**
 * parse: a successful attempt resolves with its body as a JSON object; any other body (cut off, not
 * JSON, not an object) fails the attempt with {@link MALFORMED_BODY}, which the table retries. Bodies
 * are parsed here, after the slot was given back, never by axios; by `prepare` when the request names a
 * preparation (see BodyPreparer in chain.ts).
 */
export function parsed(
  next: AxiosAdapter,
  prepare?: (body: string | Uint8Array) => Promise<object | undefined>,
): AxiosAdapter {
  return async (config) => {
    const response = await next(config);
    const data: unknown = response.data;
    const body = prepare
      ? await prepare(
          typeof data === 'string' || data instanceof Uint8Array ? data : (JSON.stringify(data) ?? ''),
        )
      : parseLenient(data);
    if (typeof body === 'object' && body !== null) return { ...response, data: body };
    throw new AxiosError(
      'the response body is not a JSON object',
      MALFORMED_BODY,
      config,
      response.request,
      response,
    );
  };
}

/**
 * slot: an attempt goes on the wire only holding a slot of the scheduler (by the request's priority,
 * within the bound on requests in flight, with the rate limiter's permit), and holds it only while on
 * the wire: never while a retry waits. Its answer, or its absence, is fed back to the limiter (budget,
 * 429); the slot is released with the exchange's latency, which sizes the scheduler's bound.
 */
export function slotted(
  scheduler: RequestScheduler,
  limiter: RateLimiter,
  priority: Priority | undefined,
  now: () => number,
  next: AxiosAdapter,
): AxiosAdapter {
  return async (config) => {
    const slot = await scheduler.acquire(priority);
    const started = now();
    let outcome: AxiosResponse | unknown;
    try {
      outcome = await next(config);
      return outcome as AxiosResponse;
    } catch (error) {
      outcome = error;
      throw error;
    } finally {
      const latencyMs = now() - started;
      limiter.observe(slot.ticket, answerOf(outcome));
      slot.release(latencyMs);
    }
  };
}

/**
 * metrics: every attempt is reported to `observer.request` with its method, route (ids replaced),
 * status (`error` when no answer arrived) and the duration of the exchange.
 */
export function metered(observer: ClientObserver, now: () => number, next: AxiosAdapter): AxiosAdapter {
  return async (config) => {
    const started = now();
    const report = (status: number | 'error'): void =>
      observer.request?.({
        method: (config.method ?? 'get').toUpperCase(),
        route: routeOf(config.url ?? ''),
        status,
        durationMs: now() - started,
      });
    try {
      const response = await next(config);
      report(response.status);
      return response;
    } catch (error) {
      report(answerOf(error).status ?? 'error');
      throw error;
    }
  };
}

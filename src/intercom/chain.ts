/**
 * The HTTP chain: the way of one request to Intercom, as small wrappers in this order (outermost first):
 *
 *   retry → auth → parse → slot → metrics → transport
 *
 * 1. retry (retrying.ts): axios-retry, the one retry of HTTP requests; what is sent again comes from
 *    the outcome table (classify.ts), how long it waits from the backoff of src/retry.ts; 429s wait
 *    for the limiter instead, a 401 is sent again once after a token refresh, a busy scroll after a
 *    fixed wait.
 * 2. auth (links.ts): the provider's current token on every attempt.
 * 3. parse (links.ts): the body of a success as a JSON object, else the attempt fails (EMALFORMED);
 *    for a request that says how (`prepare`), the preparer's body (the capture's readings, made on a
 *    worker thread); such a request first waits for the preparer's admission (`gated`: its budget of
 *    answers held).
 * 4. slot (links.ts): a place on the wire from the scheduler, by priority, within the bound on requests
 *    in flight and with the rate limiter's permit; the answer is fed back to the limiter.
 * 5. metrics (links.ts): every attempt counted with its status and duration.
 * 6. transport (transport.ts): the HTTP exchange (axios's Node adapter, or a test's).
 *
 * Why this order: the retry is outside the slot, so a request waiting for its next attempt holds no
 * place on the wire and a 429's wait is the limiter's alone; the token is taken before the slot, so a
 * refresh holds no place either, and fresh on every attempt, so the resend after a refresh carries the
 * new one; the body is parsed after the slot was given back; metrics and the latency that sizes the
 * scheduler measure the exchange alone. The request's end becomes a value or an error in one place,
 * `failureOf` (failure.ts), through the same table.
 */
import axios, { type AxiosAdapter } from 'axios';
import { CdcError } from '../errors';
import type { Logger } from '../logger';
import type { TokenProvider } from './auth/token';
import { failureOf } from './failure';
import { authorized, metered, parsed, slotted, type ClientObserver } from './links';
import type { PageRequest } from './pagination';
import type { RateLimiter } from './rate-limiter';
import { RetryBudget, retryWith, type RetryLimits } from './retrying';
import type { RequestScheduler } from './scheduler';
import { httpTransport, requestDefaults, type TransportOptions } from './transport';

export type { ClientObserver } from './links';

export interface ChainOptions extends TransportOptions {
  auth: TokenProvider;
  scheduler: RequestScheduler;
  limiter: RateLimiter;
  limits: RetryLimits;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  logger: Logger;
  observer: ClientObserver;
  /** The innermost link, the HTTP exchange; default axios's Node http adapter (tests pass a scripted one). */
  transport?: AxiosAdapter;
  /** Prepares the bodies of requests that say how (`PageRequest.prepare`); see {@link BodyPreparer}. */
  preparer?: BodyPreparer;
}

/**
 * Turns the body of a success (its UTF-8 bytes, or its text) into the body the caller gets, for a request
 * that names how (`PageRequest.prepare`, opaque here: the capture's preparation, done on its worker
 * threads); resolves
 * undefined when the text is not a JSON object (the attempt then fails as a malformed answer and is
 * retried).
 */
export interface BodyPreparer {
  /**
   * Prepares one answer; `admission` is what `admit` gave this request's attempt (the preparer takes it
   * over: from here on the answer's bytes are its to account for).
   */
  prepare(body: string | Uint8Array, how: unknown, admission?: Admission): Promise<object | undefined>;
  /**
   * Resolves once the preparer has room for the answer of a request to prepare with `how` (its budget of
   * answers held is not spent), with the admission `prepare` takes; a request waits for it before it
   * takes a place on the wire, so that answers do not pile up faster than they are used.
   */
  admit(how: unknown): Promise<Admission | undefined>;
}

/** A request's place in the preparer's budget, given back by `cancel` when no answer is prepared. */
export interface Admission {
  cancel(): void;
}

/** One request as the client asks for it. */
export interface RequestSpec extends PageRequest {
  /** A 404 resolves null (a deleted child) instead of failing. */
  allow404?: boolean;
  /** The request opens a scroll: while another scroll of the app is open, it waits (the table's `busy`). */
  opensScroll?: boolean;
}

/**
 * Sends one request through the chain. Resolves with its JSON object body, or null for a 404 the
 * request allows; otherwise rejects with the error `failureOf` made of its end (an IntercomError, or a
 * CdcError raised on purpose inside, such as a refused token refresh). Never rejects with an axios error.
 */
export type SendRequest = (request: RequestSpec) => Promise<unknown>;

/** The chain of one client: the links are made once; each request gets its own retry budget. */
export function createChain(opts: ChainOptions): SendRequest {
  const shared = axios.create(requestDefaults(opts));
  const onWire = metered(opts.observer, opts.now, opts.transport ?? httpTransport());
  return async (request) => {
    const budget = new RetryBudget(opts.limits, request.retryTransient ?? true, opts.random);
    const admitted: Admitted = {};
    const attempt = authorized(
      opts.auth,
      parsed(
        gated(
          request.prepare !== undefined ? opts.preparer : undefined,
          request.prepare,
          admitted,
          slotted(opts.scheduler, opts.limiter, request.priority, opts.now, onWire),
        ),
        preparation(opts.preparer, request.prepare, admitted),
      ),
    );
    // An instance per request (on the shared settings), so that axios-retry decides with this
    // request's budget and nothing of ours rides on the request config.
    const http = shared.create({ adapter: attempt });
    retryWith(http, budget, { ...opts, opensScroll: request.opensScroll });
    try {
      const response = await http.request({
        method: request.method,
        url: request.path,
        params: request.query,
        data: request.body,
        // A body to prepare is handed over as its bytes (to a worker thread), never decoded here.
        ...(request.prepare !== undefined ? { responseType: 'arraybuffer' as const } : {}),
      });
      return response.data;
    } catch (error) {
      const { action, failure } = failureOf(budget.refreshFailure ?? error, request, budget.retries);
      if (action === 'ignore' && request.allow404) return null;
      throw failure;
    }
  };
}

/** The admission of a request's current attempt, from its gate to its preparation (attempts never overlap). */
interface Admitted {
  admission?: Admission;
}

/** The parse of one request's successes: the preparer's, when the request names a preparation. */
function preparation(
  preparer: BodyPreparer | undefined,
  how: unknown,
  admitted: Admitted,
): ((body: string | Uint8Array) => Promise<object | undefined>) | undefined {
  if (how === undefined) return undefined;
  if (!preparer)
    throw new CdcError('a request asks for a preparation, and the client has no preparer', {
      code: 'internal',
      kind: 'system',
    });
  return (body) => {
    const admission = admitted.admission;
    admitted.admission = undefined;
    return preparer.prepare(body, how, admission);
  };
}

/**
 * A request whose body is to be prepared waits for the preparer's admission before it takes a slot; an
 * attempt that ends without a body to prepare (an error, a retry) gives its admission back.
 */
function gated(
  preparer: BodyPreparer | undefined,
  how: unknown,
  admitted: Admitted,
  next: AxiosAdapter,
): AxiosAdapter {
  if (!preparer) return next;
  return async (config) => {
    admitted.admission = await preparer.admit(how);
    try {
      return await next(config);
    } catch (error) {
      admitted.admission?.cancel();
      admitted.admission = undefined;
      throw error;
    }
  };
}

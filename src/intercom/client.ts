/**
 * The Intercom REST client, what the rest of the connector uses of Intercom: reads, writes and the walks
 * of every pagination style, over one HTTP chain (chain.ts) shared by every caller.
 */
import type { AxiosAdapter } from 'axios';
import { silentLogger, type Logger } from '../logger';
import { sleep } from '../sleep';
import type { TokenProvider } from './auth/token';
import {
  createChain,
  type BodyPreparer,
  type ClientObserver,
  type RequestSpec,
  type SendRequest,
} from './chain';
import {
  cursorListStyle,
  pageNumberStyle,
  pageOf,
  releaseAnswer,
  searchStyle,
  walkPages,
  type JsonObject,
  type ListRetry,
  type Page,
  type PageRequest,
  type PageStyle,
  type Query,
} from './pagination';
import { RateLimiter, type RateLimiterObserver, type WaitHeader } from './rate-limiter';
import { DEFAULT_API_VERSION } from './region';
import { opensScroll, walkScroll, type ScrollOptions } from './scroll';
import { RequestScheduler, type Priority } from './scheduler';

export interface IntercomClientOptions {
  /** `baseUrlFor(region)` or an explicit URL (proxy, simulator). */
  baseUrl: string;
  apiVersion?: string;
  auth: TokenProvider;
  /** Per attempt, idle socket time. Default 30 s. */
  timeoutMs?: number;
  /**
   * Most requests on the wire at once, shared by every caller of this client. Below it, the client
   * keeps as many in flight as the rate limit and the observed latency can use (RequestScheduler).
   * Default 100.
   */
  maxConcurrency?: number;
  /** Self-imposed cap, to leave part of the workspace's limit to other apps; 0/undefined = none. */
  maxRequestsPerMinute?: number;
  /** Retries of a transient failure (5xx, timeout, reset, malformed body). Default 6. */
  retries?: number;
  /** Waits for a window reset after a 429, per request. Default 10. */
  rateLimitRetries?: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Upper bound of the jitter added to waits for a rate-limit reset. Default 250 ms. */
  rateLimitJitterMs?: number;
  /**
   * Longest wait taken from `Retry-After` or `X-RateLimit-Reset`, in ms; a longer one is waited this
   * long, logged at warn once per header and reported to `observer.headerWaitCapped`. Default 10 minutes.
   */
  maxHeaderWaitMs?: number;
  /** Companies scroll behaviour (restarts, waits for a busy scroll). */
  scroll?: ScrollOptions;
  /** Pages one walk may take when no `total_count` bounds it. */
  maxPages?: number;
  logger?: Logger;
  observer?: ClientObserver;
  userAgent?: string;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  clock?: () => number;
  /** The HTTP exchange at the end of the chain; default axios's Node http adapter (tests pass a scripted one). */
  transport?: AxiosAdapter;
  /** Prepares bodies of reads that ask for it (the capture's worker threads); see BodyPreparer. */
  preparer?: BodyPreparer;
}

/** `GET /me`: the admin the token belongs to and its workspace. */
export interface MeResponse {
  type: 'admin';
  id: string;
  email?: string;
  name?: string;
  app: { id_code: string; region?: string; name?: string; timezone?: string; [key: string]: unknown };
  [key: string]: unknown;
}

/** Options every read of a walk may carry. */
export interface ReadOptions {
  priority?: Priority;
  /** How the bodies are prepared (see BodyPreparer in chain.ts); default: parsed JSON. */
  prepare?: unknown;
}

/** A page style whose requests all carry the walk's priority. */
function withRead(style: PageStyle, opts?: ReadOptions): PageStyle {
  const priority = opts?.priority;
  const prepare = opts?.prepare;
  if (!priority && prepare === undefined) return style;
  return {
    first: { ...style.first, priority, prepare },
    next: (body, current) => {
      const next = style.next(body, current);
      return next && { token: next.token, request: { ...next.request, priority, prepare } };
    },
  };
}

/**
 * Reports every capped header wait to the observer, and logs the first of each header at warn (a server
 * or proxy that sends absurd waits sends them on every answer: one line says it, the metric counts it).
 */
function warnOncePerHeader(
  logger: Logger,
  observer: ClientObserver,
): RateLimiterObserver['headerWaitCapped'] {
  const warned = new Set<WaitHeader>();
  return (e) => {
    observer.headerWaitCapped?.(e);
    if (warned.has(e.header)) return;
    warned.add(e.header);
    logger.warn(
      { header: e.header, waitMs: Math.round(e.waitMs), capMs: e.capMs },
      'Intercom asked for a wait longer than the cap (intercom.maxHeaderWaitMs); waiting the cap instead (logged once per header)',
    );
  };
}

/**
 * The Intercom REST client. One instance is shared by every stream: concurrency, the rate-limit
 * budget and token refreshes are global to it. Every method either resolves with parsed JSON or
 * rejects with an IntercomError (never with an HTTP library error); retries, rate-limit waits and
 * token refresh all happen inside, so callers never sleep or retry on their own.
 */
export class IntercomClient {
  /** Admission of every request: priorities and the bound on requests in flight. */
  readonly scheduler: RequestScheduler;
  private readonly send: SendRequest;
  private readonly fetchJson = (request: PageRequest): Promise<JsonObject> =>
    this.send(request) as Promise<JsonObject>;
  /** How a walk asks again for a page answered without its list (3 attempts, the client's backoff). */
  private readonly listRetry: ListRetry;

  constructor(private readonly opts: IntercomClientOptions) {
    const now = opts.clock ?? Date.now;
    const random = opts.random ?? Math.random;
    const observer = opts.observer ?? {};
    const wait = opts.sleep ?? ((ms) => sleep(ms));
    const logger = (opts.logger ?? silentLogger()).child({ module: 'intercom' });
    const backoff = { minMs: opts.minBackoffMs ?? 500, maxMs: opts.maxBackoffMs ?? 30_000 };
    this.listRetry = { attempts: 3, backoff, sleep: wait, random };
    const limiter = new RateLimiter({
      now,
      sleep: wait,
      random,
      maxRequestsPerMinute: opts.maxRequestsPerMinute,
      jitterMs: opts.rateLimitJitterMs,
      maxHeaderWaitMs: opts.maxHeaderWaitMs,
      observer: { ...observer, headerWaitCapped: warnOncePerHeader(logger, observer) },
    });
    this.scheduler = new RequestScheduler({
      limiter,
      maxInFlight: opts.maxConcurrency ?? 100,
      ratePerSecond: () => limiter.allowedPerSecond(),
      observer,
    });
    this.send = createChain({
      baseUrl: opts.baseUrl,
      apiVersion: opts.apiVersion ?? DEFAULT_API_VERSION,
      userAgent: opts.userAgent ?? 'intercom-cdc',
      timeoutMs: opts.timeoutMs ?? 30_000,
      auth: opts.auth,
      scheduler: this.scheduler,
      limiter,
      limits: {
        retries: opts.retries ?? 6,
        rateLimitRetries: opts.rateLimitRetries ?? 10,
        backoff,
        busyRetries: opts.scroll?.busyRetries ?? 5,
        busyWaitMs: opts.scroll?.busyWaitMs ?? 15_000,
      },
      now,
      sleep: wait,
      random,
      logger,
      observer,
      transport: opts.transport,
      preparer: opts.preparer,
    });
  }

  /** GET; resolves null only when `allow404` is set and the object is gone (a deleted child). */
  get<T>(path: string, query?: Query, opts: { allow404?: boolean } & ReadOptions = {}): Promise<T | null> {
    return this.request<T>({
      method: 'GET',
      path,
      query,
      allow404: opts.allow404,
      priority: opts.priority,
      prepare: opts.prepare,
    });
  }

  /** POST of a read-only query (search, list); retried like a GET. */
  async post<T>(path: string, body: unknown): Promise<T> {
    return (await this.request<T>({ method: 'POST', path, body })) as T;
  }

  /**
   * A write. PUT and the archive/unarchive actions are idempotent and retried like reads; a create
   * (`idempotent: false`) is never resent after a transient failure, since the first attempt may have
   * created the object: the caller looks again before trying anew.
   */
  async write<T>(
    method: 'POST' | 'PUT',
    path: string,
    body: unknown,
    opts: { idempotent?: boolean } = {},
  ): Promise<T> {
    return (await this.request<T>({ method, path, body, retryTransient: opts.idempotent ?? true })) as T;
  }

  /** Requests this client keeps in flight now: the scheduler's bound (rate limit × latency). */
  concurrency(): number {
    return this.scheduler.bound;
  }

  async me(): Promise<MeResponse> {
    return (await this.request<MeResponse>({ method: 'GET', path: '/me' })) as MeResponse;
  }

  /**
   * The pages of a walk. Each page's request goes out as soon as the one before answered, while the
   * caller handles that page (one page ahead: a walk keeps one request in flight, not zero).
   */
  searchPages<T>(
    path: string,
    listKey: string,
    query: unknown,
    opts?: ReadOptions & {
      perPage?: number;
      sort?: { field: string; order: 'ascending' | 'descending' };
    },
  ): AsyncIterable<Page<T>> {
    return walkPages<T>(
      this.fetchJson,
      withRead(searchStyle(path, query, opts), opts),
      listKey,
      this.opts.maxPages,
      this.listRetry,
    );
  }

  cursorListPages<T>(
    path: string,
    listKey: string,
    opts?: ReadOptions & { perPage?: number; query?: Query },
  ): AsyncIterable<Page<T>> {
    return walkPages<T>(
      this.fetchJson,
      withRead(cursorListStyle(path, opts), opts),
      listKey,
      this.opts.maxPages,
      this.listRetry,
    );
  }

  pagedListPages<T>(
    path: string,
    listKey: string,
    opts?: ReadOptions & { perPage?: number; query?: Query },
  ): AsyncIterable<Page<T>> {
    return walkPages<T>(
      this.fetchJson,
      withRead(pageNumberStyle(path, opts), opts),
      listKey,
      this.opts.maxPages,
      this.listRetry,
    );
  }

  scrollPages<T>(path: string, listKey: string, opts?: ReadOptions): AsyncIterable<Page<T>> {
    const priority = opts?.priority;
    const fetch = (request: PageRequest): Promise<JsonObject> =>
      this.send({
        ...request,
        priority,
        prepare: opts?.prepare,
        opensScroll: opensScroll(request),
      }) as Promise<JsonObject>;
    return walkScroll<T>(fetch, path, listKey, {
      maxRestarts: this.opts.scroll?.maxRestarts,
      maxPages: this.opts.maxPages,
    });
  }

  /** The whole list of an endpoint that does not paginate. */
  async unpaginated<T>(path: string, listKey: string, query?: Query, opts?: ReadOptions): Promise<T[]> {
    const body = (await this.request<JsonObject>({
      method: 'GET',
      path,
      query,
      priority: opts?.priority,
      prepare: opts?.prepare,
    })) as JsonObject;
    try {
      return pageOf<T>(body, listKey, path).items;
    } finally {
      releaseAnswer(body); // a short list, diffed at once: what its answer held is given back here
    }
  }

  /** One request through the chain (see {@link SendRequest}). */
  private request<T>(spec: RequestSpec): Promise<T | null> {
    return this.send(spec) as Promise<T | null>;
  }
}

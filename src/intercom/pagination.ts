/**
 * Intercom's pagination styles as data (search, cursor list, page numbers), the page a walk yields
 * (`Page`, the one definition), and the walk over the pages of one style with its runaway guard and
 * its answer to a page that comes without its list.
 */
import { backoffDelay, type RetryPolicy } from '../retry';
import { sleep } from '../sleep';
import { IntercomError } from './errors';
import { routeOf } from './route';
import type { Priority } from './scheduler';

/** One page of a listing. `restarted`: this page begins a walk over from the start (scroll restart). */
export interface Page<T> {
  items: T[];
  totalCount?: number;
  restarted?: boolean;
  /** {@link readSequence} taken when this page's request was issued: tells older reads from newer. */
  sequence?: number;
  /**
   * Set when Intercom answered this page without its list on every attempt (see {@link ListRetry}):
   * `items` is then empty, the walk went on with the next page, and the caller owes the page a dead
   * letter (its objects were not read; a later walk or reconciliation reads them).
   */
  unread?: UnreadPage;
}

/** A page answered without its list: what its dead letter carries. */
export interface UnreadPage {
  /** Why, code `page_without_list`, naming the route, the list key and the attempts. */
  error: IntercomError;
  /** The request's method and path, and the page's last body as Intercom sent it. */
  copy: { request: { method: string; path: string }; body: JsonObject };
}

/**
 * How often a page answered without its list (a 200 whose body lacks the list key) is asked for again,
 * in one walk: `attempts` in all, with the project's backoff between two. Such an answer is an error of
 * Intercom's that the next request may not repeat; after the last attempt the walk gives the page up
 * (see {@link walkPages}).
 */
export interface ListRetry {
  attempts: number;
  backoff: Pick<RetryPolicy, 'minMs' | 'maxMs'>;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
}

/** Three attempts, waits from 0.5 s (full jitter) up to 5 s. */
export const DEFAULT_LIST_RETRY: ListRetry = {
  attempts: 3,
  backoff: { minMs: 500, maxMs: 5_000 },
  sleep: (ms) => sleep(ms),
  random: Math.random,
};

let sequence = 0;

/**
 * A process-wide count of reads, taken when a read is issued: a read with a smaller number was issued
 * before one with a larger number, so it cannot show a later state of the same object than that one
 * (the capture engine never lets an object deleted by a later read come back from an earlier one).
 */
export function readSequence(): number {
  sequence += 1;
  return sequence;
}

/**
 * Where a prepared answer may carry its release (see BodyPreparer in chain.ts): a function that gives
 * back the budget the answer holds. walkPages calls it once its caller is done with the page, and for
 * every answer it drops; calling it twice does nothing.
 */
export const RELEASE = Symbol('intercom-cdc.release');

/** Gives back what `body` holds, if it carries a release. */
export function releaseAnswer(body: unknown): void {
  const release = (body as { [RELEASE]?: unknown } | null | undefined)?.[RELEASE];
  if (typeof release === 'function') (release as () => void)();
}

export type Query = Record<string, string | number | undefined>;
export type JsonObject = Record<string, unknown>;

/** One request of a walk. `retryTransient: false` = a retry could skip data; fail instead (scroll). */
export interface PageRequest {
  method: 'GET' | 'POST' | 'PUT';
  /** Who goes first when requests queue (see RequestScheduler); default `poll`. */
  priority?: Priority;
  path: string;
  query?: Query;
  body?: unknown;
  retryTransient?: boolean;
  /** How the body of a success is prepared (opaque here; see BodyPreparer in chain.ts); default: parsed. */
  prepare?: unknown;
}

/** Sends one request and resolves with its JSON object body; the client's retries happen inside. */
export type FetchJson = (request: PageRequest) => Promise<JsonObject>;

/**
 * A pagination style as data: the first request, and how the next one follows from an answer
 * (undefined = the walk is complete). `token` names the position, for loop detection.
 */
export interface PageStyle {
  first: PageRequest;
  next(body: JsonObject, current: PageRequest): { request: PageRequest; token: string } | undefined;
}

/** Intercom's largest page for search and cursor lists; always sent, since defaults differ. */
export const MAX_PER_PAGE = 150;

/** Pages allowed when no answer carried a `total_count`. */
export const DEFAULT_MAX_PAGES = 100_000;

function nextCursor(body: JsonObject): string | undefined {
  const pages = body.pages as { next?: { starting_after?: unknown } | null } | undefined;
  const cursor = pages?.next?.starting_after;
  return typeof cursor === 'string' && cursor !== '' ? cursor : undefined;
}

/** `POST path {query, pagination:{per_page, starting_after}, sort}`; the cursor travels in the body. */
export function searchStyle(
  path: string,
  query: unknown,
  opts: { perPage?: number; sort?: { field: string; order: 'ascending' | 'descending' } } = {},
): PageStyle {
  const bodyAt = (startingAfter?: string): unknown => ({
    query,
    pagination: {
      per_page: opts.perPage ?? MAX_PER_PAGE,
      ...(startingAfter ? { starting_after: startingAfter } : {}),
    },
    ...(opts.sort ? { sort: opts.sort } : {}),
  });
  return {
    first: { method: 'POST', path, body: bodyAt() },
    next: (body) => {
      const token = nextCursor(body);
      return token ? { token, request: { method: 'POST', path, body: bodyAt(token) } } : undefined;
    },
  };
}

/** `GET path?per_page&starting_after`; the cursor travels in the query. */
export function cursorListStyle(path: string, opts: { perPage?: number; query?: Query } = {}): PageStyle {
  const queryAt = (startingAfter?: string): Query => ({
    ...opts.query,
    per_page: opts.perPage ?? MAX_PER_PAGE,
    starting_after: startingAfter,
  });
  return {
    first: { method: 'GET', path, query: queryAt() },
    next: (body) => {
      const token = nextCursor(body);
      return token ? { token, request: { method: 'GET', path, query: queryAt(token) } } : undefined;
    },
  };
}

/**
 * `GET path?page&per_page`, pages numbered from 1. Another page follows while `pages.total_pages`
 * is above the current page (or, without it, while `pages.next` is set).
 */
export function pageNumberStyle(path: string, opts: { perPage?: number; query?: Query } = {}): PageStyle {
  const queryAt = (page: number): Query => ({ ...opts.query, page, per_page: opts.perPage ?? MAX_PER_PAGE });
  return {
    first: { method: 'GET', path, query: queryAt(1) },
    next: (body, current) => {
      const page = Number(current.query?.page ?? 1);
      const pages = (body.pages ?? {}) as { total_pages?: unknown; next?: unknown };
      const more = typeof pages.total_pages === 'number' ? pages.total_pages > page : Boolean(pages.next);
      return more
        ? { token: String(page + 1), request: { method: 'GET', path, query: queryAt(page + 1) } }
        : undefined;
    },
  };
}

/**
 * The items and total of an answer; an answer without the list is a system error (`unexpected_response`:
 * the caller cannot go on past it; walkPages asks again first, see {@link ListRetry}).
 */
export function pageOf<T>(body: JsonObject, listKey: string, path: string): Page<T> {
  const items = body[listKey];
  if (!Array.isArray(items)) {
    throw new IntercomError(`Intercom answered ${routeOf(path)} without a "${listKey}" list.`, {
      code: 'unexpected_response',
      kind: 'system',
      route: routeOf(path),
    });
  }
  return {
    items: items as T[],
    totalCount: typeof body.total_count === 'number' ? body.total_count : undefined,
  };
}

/**
 * Sends a page's request until its answer carries the list (`listKey` an array), at most
 * `retry.attempts` times; resolves with the last body and whether it had the list. Failures of the
 * request itself are the client's (retried inside `fetch`) and reject as they are.
 */
async function fetchListed(
  fetch: FetchJson,
  request: PageRequest,
  listKey: string,
  retry: ListRetry,
): Promise<{ body: JsonObject; listed: boolean }> {
  for (let attempt = 1; ; attempt++) {
    const body = await fetch(request);
    if (Array.isArray(body[listKey])) return { body, listed: true };
    if (attempt >= retry.attempts) return { body, listed: false };
    releaseAnswer(body);
    await retry.sleep(backoffDelay(attempt, retry.backoff, retry.random));
  }
}

/** The dead letter's content of a page that came without its list `attempts` times. */
function unreadPage(body: JsonObject, request: PageRequest, listKey: string, attempts: number): UnreadPage {
  const route = routeOf(request.path);
  const error = new IntercomError(
    `Intercom answered ${request.method} ${route} without a "${listKey}" list ${attempts} time(s) in a row; the page was skipped and the walk went on with the next one.`,
    { code: 'page_without_list', kind: 'system', route },
  );
  return { error, copy: { request: { method: request.method, path: request.path }, body } };
}

/**
 * Keeps one walk from running away: a position token seen before (A→B→A) ends it with
 * `pagination_loop`; more than `maxPages` pages end it with `pagination_runaway`. Both are transient: a
 * later walk may succeed. `total_count` bounds nothing: a low one (an API that miscounts) must not end a
 * walk before its last page.
 */
export class PageGuard {
  private pages = 0;
  private readonly tokens = new Set<string>();

  constructor(
    private readonly route: string,
    private readonly maxPages = DEFAULT_MAX_PAGES,
  ) {}

  onPage(_page: Page<unknown>): void {
    this.pages += 1;
    if (this.pages > this.maxPages) {
      throw this.failure('pagination_runaway', `${this.pages} pages exceed the bound of ${this.maxPages}`);
    }
  }

  onToken(token: string): void {
    if (this.tokens.has(token))
      throw this.failure('pagination_loop', `the cursor repeated after ${this.pages} pages`);
    this.tokens.add(token);
  }

  private failure(code: string, what: string): IntercomError {
    return new IntercomError(`Pagination of ${this.route} stopped: ${what}.`, {
      code,
      kind: 'transient',
      route: this.route,
    });
  }
}

/**
 * Walks every page of one style, guarded by a {@link PageGuard}; an empty page ends the walk. From the
 * second page on, the request of the next page goes out as soon as a page arrived, before the caller
 * handles it, so a walk keeps one request in flight while its caller works (a caller that stops early
 * leaves at most that one request unread). Page tokens live only in this walk: they are never returned
 * or persisted (but in the body an unread page's dead letter carries).
 *
 * A page answered without its list is asked for again (`retry`); when every attempt lacks it, the walk
 * yields the page as `unread` (no items) and goes on with the next page, when that answer still tells
 * which one it is (a cursor, a page count); when it does not, the walk ends with an `unexpected_response`
 * system error, since it cannot know whether pages remain.
 */
export async function* walkPages<T>(
  fetch: FetchJson,
  style: PageStyle,
  listKey: string,
  maxPages?: number,
  retry: ListRetry = DEFAULT_LIST_RETRY,
): AsyncGenerator<Page<T>> {
  const guard = new PageGuard(routeOf(style.first.path), maxPages);
  const issue = (request: PageRequest) => {
    const seq = readSequence();
    const answer = fetchListed(fetch, request, listKey, retry).then((a) => ({ ...a, seq }));
    answer.catch(() => undefined); // a prefetch the caller never reads must not be an unhandled rejection
    return answer;
  };
  let request: PageRequest | undefined = style.first;
  let pending: ReturnType<typeof issue> | undefined = issue(request);
  let current: JsonObject | undefined;
  try {
    for (let n = 1; request; n++) {
      const { body, listed, seq } = await pending!;
      pending = undefined;
      current = body;
      const next = style.next(body, request);
      const page: Page<T> =
        listed || !next
          ? { ...pageOf<T>(body, listKey, request.path), sequence: seq }
          : { items: [], sequence: seq, unread: unreadPage(body, request, listKey, retry.attempts) };
      guard.onPage(page);
      if (page.items.length === 0 && !page.unread) return;
      let loop: unknown;
      if (next) {
        try {
          guard.onToken(next.token);
        } catch (error) {
          loop = error; // the page arrived: the caller gets it before the walk ends
        }
      }
      // The second page is asked for once the caller wants it (a first page is often all a walk needs,
      // or its probe); from then on each next page goes out as soon as the one before arrived.
      if (next && !loop && n > 1) pending = issue(next.request);
      yield page;
      // The caller asked for the next page: it is done with this one.
      releaseAnswer(body);
      current = undefined;
      if (loop) throw loop;
      if (next && n === 1) pending = issue(next.request);
      request = next?.request;
    }
  } finally {
    // The walk ends (complete, failed, or left by its caller): what it holds is given back, and the
    // prefetched page once it arrives.
    releaseAnswer(current);
    pending?.then(
      (a) => releaseAnswer(a.body),
      () => undefined,
    );
  }
}

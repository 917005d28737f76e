import { retry } from '../retry';
import { IntercomError } from './errors';
import { PageGuard, pageOf, type FetchJson, type JsonObject, type Page } from './pagination';
import { routeOf } from './route';

export interface ScrollOptions {
  /** Restarts from the beginning allowed in one walk. Default 5. */
  maxRestarts?: number;
  /** Waits for another scroll of the app to close (400 on opening). Default 5. */
  busyRetries?: number;
  /** Length of one such wait; an idle scroll expires after about a minute. Default 15 s. */
  busyWaitMs?: number;
  maxPages?: number;
  sleep: (ms: number) => Promise<void>;
}

/** Opening a scroll while another one of the app is open answers 400 (INTERCOM.md: one scroll per app). */
function isScrollBusy(error: unknown): error is IntercomError {
  return error instanceof IntercomError && (error.status === 400 || error.status === 409);
}

/** A continuation that failed without a config problem: the scroll is lost and must start over. */
function isScrollLost(error: unknown): boolean {
  return error instanceof IntercomError && error.kind !== 'config' && !error.code.startsWith('pagination_');
}

/**
 * Opens the scroll; while another scroll of the app is open, waits `busyWaitMs` (long enough for an
 * idle scroll to expire) at most `busyRetries` times, then throws Intercom's answer.
 */
async function openScroll(fetch: FetchJson, path: string, opts: ScrollOptions): Promise<JsonObject> {
  const waitMs = opts.busyWaitMs ?? 15_000;
  try {
    return await retry(
      () =>
        fetch({ method: 'GET', path }).catch((error: unknown) => {
          throw isScrollBusy(error) ? scrollBusy(error, waitMs) : error;
        }),
      { policy: { minMs: waitMs, maxMs: waitMs, retries: opts.busyRetries ?? 5 }, sleep: opts.sleep },
    );
  } catch (error) {
    throw error instanceof IntercomError && error.code === SCROLL_BUSY ? error.cause : error;
  }
}

const SCROLL_BUSY = 'scroll_busy';

/** A busy scroll is worth waiting for: the other one expires after about a minute (`waitMs`). */
function scrollBusy(error: IntercomError, waitMs: number): IntercomError {
  return new IntercomError(`another scroll of the app is open: ${error.message}`, {
    code: SCROLL_BUSY,
    kind: 'transient',
    retryAfterMs: waitMs,
    status: error.status,
    route: error.route,
    requestId: error.requestId,
    cause: error,
  });
}

/**
 * Walks the companies scroll (`GET path`, then `GET path?scroll_param=…` until a page is empty).
 * Contract:
 * - A continuation is never retried, since a lost answer may have moved the scroll (a retry would skip
 *   a page). Any failure of a continuation, the documented "500: restart the scroll" included,
 *   restarts from the beginning, at most `maxRestarts` times; the first page after a restart carries
 *   `restarted: true`. Nothing is deduplicated: the caller diffs.
 * - Opening while another scroll is open (400) waits `busyWaitMs`, at most `busyRetries` times.
 * - Config failures and pagination guards end the walk at once. The scroll parameter is never exposed.
 */
export async function* walkScroll<T>(
  fetch: FetchJson,
  path: string,
  listKey: string,
  opts: ScrollOptions,
): AsyncGenerator<Page<T>> {
  for (let restarts = 0; ; restarts += 1) {
    const guard = new PageGuard(routeOf(path), opts.maxPages);
    let param: string | undefined;
    try {
      for (;;) {
        const body =
          param === undefined
            ? await openScroll(fetch, path, opts)
            : await fetch({ method: 'GET', path, query: { scroll_param: param }, retryTransient: false });
        const page = pageOf<T>(body, listKey, path);
        if (page.items.length === 0) return;
        guard.onPage(page);
        yield param === undefined && restarts > 0 ? { ...page, restarted: true } : page;
        param =
          typeof body.scroll_param === 'string' && body.scroll_param !== '' ? body.scroll_param : undefined;
        if (param === undefined) return;
      }
    } catch (error) {
      if (param === undefined || !isScrollLost(error) || restarts >= (opts.maxRestarts ?? 5)) throw error;
    }
  }
}

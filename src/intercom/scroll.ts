/**
 * The companies scroll (`GET /companies/scroll`, then `?scroll_param=…`), Intercom's only way to list
 * every company past 10,000: one open scroll per app, a continuation that cannot be replayed, and a
 * documented "500: restart the scroll". The walk here restarts; waiting for a busy scroll is the
 * client's retry's (the table's `busy` row), applied to the requests {@link opensScroll} names.
 */
import { IntercomError } from './errors';
import { PageGuard, pageOf, releaseAnswer, type FetchJson, type Page, type PageRequest } from './pagination';
import { routeOf } from './route';

/** Scroll settings of the client. */
export interface ScrollOptions {
  /** Restarts from the beginning allowed in one walk. Default 5. */
  maxRestarts?: number;
  /** Waits for another scroll of the app to close (400 or 409 on opening). Default 5. */
  busyRetries?: number;
  /** Length of one such wait; an idle scroll expires after about a minute. Default 15 s. */
  busyWaitMs?: number;
}

export interface WalkScrollOptions {
  /** Restarts from the beginning allowed in one walk. Default 5. */
  maxRestarts?: number;
  maxPages?: number;
}

/** Whether a request of a scroll walk opens the scroll (its first page: no `scroll_param`). */
export function opensScroll(request: PageRequest): boolean {
  return request.query?.scroll_param === undefined;
}

/** A continuation that failed without a config problem: the scroll is lost and must start over. */
function isScrollLost(error: unknown): boolean {
  return error instanceof IntercomError && error.kind !== 'config' && !error.code.startsWith('pagination_');
}

/**
 * Walks the companies scroll (`GET path`, then `GET path?scroll_param=…` until a page is empty).
 * Contract:
 * - A continuation is never retried (`retryTransient: false`), since a lost answer may have moved the
 *   scroll (a retry would skip a page). Any failure of a continuation, the documented "500: restart
 *   the scroll" included, restarts from the beginning, at most `maxRestarts` times; the first page
 *   after a restart carries `restarted: true`. Nothing is deduplicated: the caller diffs.
 * - Opening while another scroll is open (400 or 409) is waited out by `fetch` (the client's retry:
 *   `busyWaitMs`, at most `busyRetries` times, then Intercom's answer is thrown); the walk never
 *   retries an opening itself.
 * - Config failures and pagination guards end the walk at once. The scroll parameter is never exposed.
 */
export async function* walkScroll<T>(
  fetch: FetchJson,
  path: string,
  listKey: string,
  opts: WalkScrollOptions = {},
): AsyncGenerator<Page<T>> {
  for (let restarts = 0; ; restarts += 1) {
    const guard = new PageGuard(routeOf(path), opts.maxPages);
    let param: string | undefined;
    try {
      for (;;) {
        const body =
          param === undefined
            ? await fetch({ method: 'GET', path })
            : await fetch({ method: 'GET', path, query: { scroll_param: param }, retryTransient: false });
        try {
          const page = pageOf<T>(body, listKey, path);
          if (page.items.length === 0) return;
          guard.onPage(page);
          yield param === undefined && restarts > 0 ? { ...page, restarted: true } : page;
          param =
            typeof body.scroll_param === 'string' && body.scroll_param !== '' ? body.scroll_param : undefined;
          if (param === undefined) return;
        } finally {
          releaseAnswer(body); // the caller is done with the page, or the walk ends (see RELEASE)
        }
      }
    } catch (error) {
      if (param === undefined || !isScrollLost(error) || restarts >= (opts.maxRestarts ?? 5)) throw error;
    }
  }
}

import { randomUUID } from 'node:crypto';
import { ApiError, badRequest } from '../api-error';

const IDLE_MS = 60_000;
export const SCROLL_PAGE_SIZE = 50;

interface OpenScroll {
  param: string;
  offset: number;
  lastUsed: number;
}

/**
 * The companies scroll: one open scroll per app; it expires after a minute without use (wall time);
 * the end of the data closes it; `reset` (after a 500) forces clients to start over.
 */
export class CompanyScroll {
  private open: OpenScroll | undefined;

  constructor(private readonly wall: () => number) {}

  /** The offset of the next page for this request, and the param to return with it. */
  next(param: string | null): { offset: number; param: string } {
    const now = this.wall();
    if (this.open && now - this.open.lastUsed > IDLE_MS) this.open = undefined;
    if (param === null || param === '') {
      if (this.open) {
        throw badRequest(
          'scroll already exists for this workspace; use its scroll_param or wait a minute',
          'scroll_exists',
        );
      }
      this.open = { param: randomUUID(), offset: 0, lastUsed: now };
    } else if (!this.open || this.open.param !== param) {
      throw new ApiError(404, 'not_found', 'scroll_param is unknown or expired; start a new scroll');
    }
    const scroll = this.open as OpenScroll;
    scroll.lastUsed = now;
    const offset = scroll.offset;
    scroll.offset += SCROLL_PAGE_SIZE;
    return { offset, param: scroll.param };
  }

  /** Called when a page came back empty: the scroll is over. */
  finish(): void {
    this.open = undefined;
  }

  reset(): void {
    this.open = undefined;
  }
}

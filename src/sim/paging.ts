import { badRequest } from './api-error';

/**
 * Cursors are opaque to clients but are plain offsets into the ordering the server computes at each
 * request: like Intercom's, they are not snapshots, so records that move between pages while a
 * client walks are skipped or repeated.
 */
export function encodeCursor(offset: number): string {
  return Buffer.from(JSON.stringify([offset]), 'utf8').toString('base64');
}

export function decodeCursor(cursor: string | undefined): number {
  if (cursor === undefined || cursor === '') return 0;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64').toString('utf8'));
    if (Array.isArray(parsed) && Number.isInteger(parsed[0]) && (parsed[0] as number) >= 0)
      return parsed[0] as number;
  } catch {
    // fall through to the 400
  }
  throw badRequest('starting_after is invalid');
}

/** `pages` of a cursor-paged response; `next` only while more records follow. */
export function cursorPages(offset: number, perPage: number, total: number): Record<string, unknown> {
  const pages: Record<string, unknown> = {
    type: 'pages',
    page: Math.floor(offset / perPage) + 1,
    per_page: perPage,
    total_pages: Math.ceil(total / perPage),
  };
  if (offset + perPage < total)
    pages.next = { per_page: perPage, starting_after: encodeCursor(offset + perPage) };
  return pages;
}

/** `pages` of a page-number response (articles, collections, companies): no `next`, clients count pages. */
export function numberedPages(page: number, perPage: number, total: number): Record<string, unknown> {
  return { type: 'pages', page, per_page: perPage, total_pages: Math.ceil(total / perPage) };
}

/** A 1-based page number from a query parameter. */
export function pageNumber(value: string | null): number {
  if (value === null || value === '') return 1;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw badRequest('page must be a positive integer');
  return n;
}

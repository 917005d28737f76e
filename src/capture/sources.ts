import type { Listing } from '../streams/definitions';

/** A page of objects and, where the API says it, how many there are in all. */
export interface Page<T> {
  items: T[];
  totalCount?: number;
}

/** What the engine needs of the Intercom client (src/intercom implements it). */
export interface IntercomReader {
  get<T>(
    path: string,
    query?: Record<string, string | number | undefined>,
    opts?: { allow404?: boolean },
  ): Promise<T | null>;
  searchPages<T>(
    path: string,
    listKey: string,
    query: unknown,
    opts?: { perPage?: number; sort?: { field: string; order: 'ascending' | 'descending' } },
  ): AsyncIterable<Page<T>>;
  cursorListPages<T>(
    path: string,
    listKey: string,
    opts?: { perPage?: number; query?: Record<string, string> },
  ): AsyncIterable<Page<T>>;
  pagedListPages<T>(
    path: string,
    listKey: string,
    opts?: { perPage?: number; query?: Record<string, string> },
  ): AsyncIterable<Page<T>>;
  scrollPages<T>(path: string, listKey: string): AsyncIterable<Page<T>>;
  unpaginated<T>(path: string, listKey: string, query?: Record<string, string>): Promise<T[]>;
}

type Obj = Record<string, unknown>;

const EVERYTHING = { field: 'updated_at', operator: '>', value: 0 };

/** Every page of one listing, whatever its pagination style. */
export async function* listingPages(client: IntercomReader, listing: Listing): AsyncIterable<Page<Obj>> {
  switch (listing.paging) {
    case 'cursor':
      yield* client.cursorListPages<Obj>(listing.path, listing.listKey, { perPage: 150 });
      return;
    case 'pages':
      yield* client.pagedListPages<Obj>(listing.path, listing.listKey, { perPage: 150 });
      return;
    case 'scroll':
      yield* client.scrollPages<Obj>(listing.path, listing.listKey);
      return;
    case 'search-all':
      yield* client.searchPages<Obj>(listing.path, listing.listKey, EVERYTHING, { perPage: 150 });
      return;
    case 'none':
      yield { items: await client.unpaginated<Obj>(listing.path, listing.listKey, listing.query) };
      return;
  }
}

/** Whether a listing can skip an object while it pages (cursors are not snapshots). */
export function mayMissObjects(listing: Listing): boolean {
  return listing.paging !== 'none';
}

import type { Priority } from '../intercom/scheduler';
import type { Listing, StreamDef } from '../streams/definitions';
import { searchFilterValue } from './diff';
import { sliceQuery, type Slice, type SliceUnit } from './slices';

/**
 * Sources: how the pages of a stream are obtained (a listing, a window of a search, a slice of a
 * search). Each is a walk of pages; what the engine does with the pages is the walk's business.
 */

/** A page of objects and, where the API says it, how many there are in all. */
export interface Page<T> {
  items: T[];
  totalCount?: number;
  /** When its request was issued (see readSequence). */
  sequence?: number;
}

type Read = { priority?: Priority };

/** What the engine needs of the Intercom client (src/intercom implements it). */
export interface IntercomReader {
  get<T>(
    path: string,
    query?: Record<string, string | number | undefined>,
    opts?: { allow404?: boolean } & Read,
  ): Promise<T | null>;
  searchPages<T>(
    path: string,
    listKey: string,
    query: unknown,
    opts?: { perPage?: number; sort?: { field: string; order: 'ascending' | 'descending' } } & Read,
  ): AsyncIterable<Page<T>>;
  cursorListPages<T>(
    path: string,
    listKey: string,
    opts?: { perPage?: number; query?: Record<string, string> } & Read,
  ): AsyncIterable<Page<T>>;
  pagedListPages<T>(
    path: string,
    listKey: string,
    opts?: { perPage?: number; query?: Record<string, string> } & Read,
  ): AsyncIterable<Page<T>>;
  scrollPages<T>(path: string, listKey: string, opts?: Read): AsyncIterable<Page<T>>;
  unpaginated<T>(path: string, listKey: string, query?: Record<string, string>, opts?: Read): Promise<T[]>;
  /** Requests the client keeps in flight now (its scheduler's bound), when it says. */
  concurrency?(): number;
}

type Obj = Record<string, unknown>;

const EVERYTHING = { field: 'updated_at', operator: '>', value: 0 };

/** Every page of one listing, whatever its pagination style. */
export async function* listingPages(
  client: IntercomReader,
  listing: Listing,
  priority?: Priority,
): AsyncIterable<Page<Obj>> {
  const opts = { perPage: 150, priority };
  switch (listing.paging) {
    case 'cursor':
      yield* client.cursorListPages<Obj>(listing.path, listing.listKey, opts);
      return;
    case 'pages':
      yield* client.pagedListPages<Obj>(listing.path, listing.listKey, opts);
      return;
    case 'scroll':
      yield* client.scrollPages<Obj>(listing.path, listing.listKey, { priority });
      return;
    case 'search-all':
      yield* client.searchPages<Obj>(listing.path, listing.listKey, EVERYTHING, opts);
      return;
    case 'none':
      yield {
        items: await client.unpaginated<Obj>(listing.path, listing.listKey, listing.query, { priority }),
      };
      return;
  }
}

/**
 * The pages of a window: objects updated since `startMs`, newest first (a search sorted by
 * `updated_at` descending, or a list that is sorted so). The caller stops once past the window.
 */
export function windowPages(
  client: IntercomReader,
  def: StreamDef,
  startMs: number,
  priority: Priority,
): AsyncIterable<Page<Obj>> {
  if (!def.search) return listingPages(client, def.listings[0]!, priority);
  const value = searchFilterValue(startMs, def.search.dayGranular);
  return client.searchPages<Obj>(
    def.search.path,
    def.search.listKey,
    { field: 'updated_at', operator: '>', value },
    { perPage: 150, sort: { field: 'updated_at', order: 'descending' }, priority },
  );
}

/** The slice unit of a searchable stream: whole days where its search matches by day. */
export function sliceUnit(def: StreamDef): SliceUnit {
  return def.search?.dayGranular ? 'day' : 'second';
}

/** The pages of one slice of a searchable stream (see slices.ts). */
export function slicePages(
  client: IntercomReader,
  def: StreamDef,
  slice: Slice,
  priority: Priority,
): AsyncIterable<Page<Obj>> {
  const search = def.search!;
  return client.searchPages<Obj>(search.path, search.listKey, sliceQuery(slice, sliceUnit(def)), {
    perPage: 150,
    priority,
  });
}

/**
 * The newest `updated_at` before a snapshot starts: the first item of a search sorted newest first
 * (searchable streams) or of the newest-first list; its raw value, read by the caller.
 */
export async function newestObject(
  client: IntercomReader,
  def: StreamDef,
  priority: Priority,
): Promise<Obj | undefined> {
  const pages = def.search
    ? client.searchPages<Obj>(def.search.path, def.search.listKey, EVERYTHING, {
        perPage: 1,
        sort: { field: 'updated_at', order: 'descending' },
        priority,
      })
    : listingPages(client, def.listings[0]!, priority);
  for await (const page of pages) return page.items[0];
  return undefined;
}

/** Whether a listing can skip an object while it pages (cursors are not snapshots). */
export function mayMissObjects(listing: Listing): boolean {
  return listing.paging !== 'none';
}

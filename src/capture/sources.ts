import type { Page } from '../intercom/pagination';
import { isJsonObject, type Reading } from '../normalize';
import type { Priority } from '../intercom/scheduler';
import type { Listing, SearchDef, StreamDef } from '../streams/definitions';
import type { StreamName } from '../streams/names';
import type { IntercomReader, Read } from './contracts';
import type { Preparation } from './prepare';
import { searchFilterValue } from './diff';
import { sliceQuery, type Slice, type SliceUnit } from './slices';

/**
 * Sources: the ways pages of a stream are obtained, in pages of the client's default size (the largest
 * Intercom serves). Each is a {@link PageSource} that a walk (walk.ts) diffs page by page:
 * - a listing: every object, whatever the pagination (snapshots of unsearchable streams, full scans,
 *   reconciliation);
 * - a window: what changed since a point in time, newest first (incremental polls, backfills since a
 *   date);
 * - a slice: the objects created in a range of time, through the stream's search (first syncs,
 *   reconciliation and backfills of searchable streams, many slices at once).
 */

type Obj = Record<string, unknown>;

/**
 * Pages of one stream's objects, read (prepared on the capture's worker threads, prepare.ts), and
 * whether they come from a search (whose index may lag).
 */
export interface PageSource {
  readonly search: boolean;
  pages(): AsyncIterable<Page<Reading>>;
}

/** The preparation of a page of `stream`'s list under `listKey`. */
function pageOf(stream: StreamName, listKey: string): Preparation {
  return { kind: 'page', stream, listKey };
}

const EVERYTHING = { field: 'updated_at', operator: '>', value: 0 };
const NEWEST_FIRST = { field: 'updated_at', order: 'descending' } as const;

/** Every page of one listing, whatever its pagination style. */
export function listingSource(
  client: IntercomReader,
  stream: StreamName,
  listing: Listing,
  priority: Priority,
): PageSource {
  return {
    search: listing.paging === 'search-all',
    pages: () => pagesOf<Reading>(client, listing, { priority, prepare: pageOf(stream, listing.listKey) }),
  };
}

/**
 * The pages of a window: objects updated since `startMs`, newest first (a search sorted by `updated_at`
 * descending, or a list that is sorted so). The walk stops once past the window (DescendingWalk).
 */
export function windowSource(
  client: IntercomReader,
  def: StreamDef,
  startMs: number,
  priority: Priority,
): PageSource {
  const search = def.search;
  if (!search) return listingSource(client, def.name, def.listings[0]!, priority);
  const query = { field: 'updated_at', operator: '>', value: searchFilterValue(startMs, search.dayGranular) };
  return {
    search: true,
    pages: () =>
      client.searchPages<Reading>(search.path, search.listKey, query, {
        sort: NEWEST_FIRST,
        priority,
        prepare: pageOf(def.name, search.listKey),
      }),
  };
}

/** The pages of one slice of a searchable stream (see slices.ts). */
export function sliceSource(
  client: IntercomReader,
  stream: StreamName,
  search: SearchDef,
  slice: Slice,
  priority: Priority,
): PageSource {
  return {
    search: true,
    pages: () =>
      client.searchPages<Reading>(search.path, search.listKey, sliceQuery(slice, sliceUnit(search)), {
        priority,
        prepare: pageOf(stream, search.listKey),
      }),
  };
}

/** The slice unit of a searchable stream: whole days where its search matches by day. */
export function sliceUnit(search: SearchDef): SliceUnit {
  return search.dayGranular ? 'day' : 'second';
}

/**
 * The newest object before a snapshot starts: the first item of a search sorted newest first
 * (searchable streams) or of the newest-first list.
 */
export async function newestObject(
  client: IntercomReader,
  def: StreamDef,
  priority: Priority,
): Promise<Obj | undefined> {
  const pages = def.search
    ? client.searchPages<Obj>(def.search.path, def.search.listKey, EVERYTHING, {
        perPage: 1,
        sort: NEWEST_FIRST,
        priority,
      })
    : listingPages(client, def.listings[0]!, priority);
  // The first item that is an object: a page may carry junk (null) first, which the walks dead-letter.
  for await (const page of pages) return page.items.find(isJsonObject);
  return undefined;
}

/** Whether a listing can skip an object while it pages (cursors are not snapshots). */
export function mayMissObjects(listing: Listing): boolean {
  return listing.paging !== 'none';
}

/** Every page of one listing as parsed JSON (`check` reads the first page of each stream this way). */
export function listingPages(
  client: IntercomReader,
  listing: Listing,
  priority?: Priority,
): AsyncIterable<Page<Obj>> {
  return pagesOf<Obj>(client, listing, { priority });
}

/** Every page of one listing, whatever its pagination style, prepared as `read` says. */
async function* pagesOf<T>(client: IntercomReader, listing: Listing, read: Read): AsyncIterable<Page<T>> {
  switch (listing.paging) {
    case 'cursor':
      yield* client.cursorListPages<T>(listing.path, listing.listKey, read);
      return;
    case 'pages':
      yield* client.pagedListPages<T>(listing.path, listing.listKey, read);
      return;
    case 'scroll':
      yield* client.scrollPages<T>(listing.path, listing.listKey, read);
      return;
    case 'search-all':
      yield* client.searchPages<T>(listing.path, listing.listKey, EVERYTHING, read);
      return;
    case 'none':
      yield { items: await client.unpaginated<T>(listing.path, listing.listKey, listing.query, read) };
      return;
  }
}

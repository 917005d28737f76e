import type { Page } from '../intercom/pagination';
import type { StreamDef } from '../streams/definitions';
import type { StreamName } from '../streams/names';
import type { IntercomReader } from './contracts';
import { listingPages } from './sources';

/**
 * Completeness (README, "Operations"): what Intercom says it holds against what the state holds. Per
 * stream, the `total_count` of its search or listing against the objects in the state; per
 * conversation, the parts Intercom counts (`statistics.count_conversation_parts`) against the parts its
 * GET carried (at most the latest 500: every conversation over that cap is named).
 */

/** A parent whose GET carried fewer children than Intercom counts. */
export interface PartsGap {
  id: string;
  counted: number;
  captured: number;
}

/** One stream's completeness. */
export interface Completeness {
  stream: StreamName;
  /** What Intercom reports (`total_count`); null where the stream's reads report none. */
  reported: number | null;
  /** Objects the committed state holds. */
  held: number;
  /** reported − held; null without a report. */
  gap: number | null;
  /** Parents (conversations) with parts Intercom counts and no read carried, by id. */
  partsGaps: PartsGap[];
  /** Parts counted and not carried, all those parents together. */
  partsMissing: number;
}

/**
 * The parents of one stream whose last GET carried fewer children than Intercom counted. Only gaps are
 * kept (a parent whose next read carries them all is dropped), so it stays small.
 */
export class PartsLedger {
  private readonly gaps = new Map<string, PartsGap>();

  /** A parent was fetched: the children Intercom counts (undefined: it says not) and those carried. */
  seen(id: string, counted: number | undefined, captured: number): void {
    if (counted === undefined || counted <= captured) this.gaps.delete(id);
    else this.gaps.set(id, { id, counted, captured });
  }

  /** The gaps of the parents `live` still holds, by id. */
  list(live: (id: string) => boolean): PartsGap[] {
    return [...this.gaps.values()].filter((g) => live(g.id)).sort((a, b) => (a.id < b.id ? -1 : 1));
  }
}

const COUNT_FIELD = Buffer.from('"count_conversation_parts":');

/**
 * `statistics.count_conversation_parts` of a conversation, from its canonical JSON (keys sorted, no
 * spaces: the field is one run of bytes); undefined when absent or not a count.
 */
export function countedParts(json: Uint8Array): number | undefined {
  const bytes = Buffer.from(json.buffer, json.byteOffset, json.byteLength);
  const at = bytes.indexOf(COUNT_FIELD);
  if (at < 0) return undefined;
  let i = at + COUNT_FIELD.length;
  let value = 0;
  const start = i;
  for (; i < bytes.length && bytes[i]! >= 0x30 && bytes[i]! <= 0x39; i++)
    value = value * 10 + bytes[i]! - 0x30;
  return i === start ? undefined : value;
}

/**
 * How many objects Intercom says the stream holds: the `total_count` of a search for everything
 * (searchable streams), or of the first page of the stream's one paged listing; null where Intercom
 * reports none (unpaginated lists, scrolls, several listings). Throws what the client throws.
 */
export async function reportedCount(client: IntercomReader, def: StreamDef): Promise<number | null> {
  let pages: AsyncIterable<Page<unknown>>;
  if (def.search) {
    const everything = { field: 'updated_at', operator: '>', value: 0 };
    pages = client.searchPages(def.search.path, def.search.listKey, everything, {
      perPage: 1,
      priority: 'background',
    });
  } else {
    if (!countedByListing(def)) return null;
    pages = listingPages(client, def.listings[0]!, 'background');
  }
  for await (const page of pages) return page.totalCount ?? null;
  return 0;
}

/** Whether an unsearchable stream's count is its one paged listing's `total_count`. */
export function countedByListing(def: StreamDef): boolean {
  const paging = def.listings.length === 1 ? def.listings[0]!.paging : undefined;
  return paging === 'pages' || paging === 'cursor';
}

/** One stream's completeness from what Intercom reports, the state's count and the parts' gaps. */
export function completenessOf(
  stream: StreamName,
  reported: number | null,
  held: number,
  partsGaps: PartsGap[],
): Completeness {
  return {
    stream,
    reported,
    held,
    gap: reported === null ? null : reported - held,
    partsGaps,
    partsMissing: partsGaps.reduce((sum, g) => sum + g.counted - g.captured, 0),
  };
}

/** Whether a stream's completeness shows nothing missing (a surplus is no gap: deletes lag). */
export function isComplete(c: Completeness): boolean {
  return (c.gap === null || c.gap <= 0) && c.partsGaps.length === 0;
}

/** Most parents a notification names (the rest are counted). */
export const MAX_NAMED = 1000;

/** A completeness notification's details: counts, and the parents with missing parts (id:counted/captured). */
export function completenessData(c: Completeness): Record<string, string> {
  const named = c.partsGaps.slice(0, MAX_NAMED);
  return {
    stream: c.stream,
    reported: c.reported === null ? 'unknown' : String(c.reported),
    held: String(c.held),
    gap: c.gap === null ? 'unknown' : String(c.gap),
    parents_with_missing_parts: String(c.partsGaps.length),
    parts_missing: String(c.partsMissing),
    ...(named.length > 0
      ? { parents: named.map((g) => `${g.id}:${g.counted}/${g.captured}`).join(',') }
      : {}),
  };
}

/** The most parts `GET /conversations/{id}` carries: the latest 500. */
export const PARTS_CAP = 500;

/**
 * The parents of a searchable stream with children (conversations) whose count of children is over what
 * their GET carries (`cap`), from one walk of the stream's search (every page, at background priority):
 * for each, the count and the `cap` parts a GET gives. Throws what the client throws.
 */
export async function partsOverCap(
  client: IntercomReader,
  def: StreamDef,
  cap: number = PARTS_CAP,
): Promise<PartsGap[]> {
  if (!def.search || !def.children) return [];
  const everything = { field: 'updated_at', operator: '>', value: 0 };
  const gaps: PartsGap[] = [];
  for await (const page of client.searchPages<Record<string, unknown>>(
    def.search.path,
    def.search.listKey,
    everything,
    { priority: 'background' },
  )) {
    for (const item of page.items) {
      const stats = (item as { statistics?: { count_conversation_parts?: unknown } } | null)?.statistics;
      const counted = stats?.count_conversation_parts;
      if (typeof counted === 'number' && counted > cap)
        gaps.push({ id: String((item as { id: unknown }).id), counted, captured: cap });
    }
  }
  return gaps.sort((a, b) => (a.id < b.id ? -1 : 1));
}

/** One line for a stream's completeness (check --completeness). */
export function completenessLine(c: Completeness): string {
  const counts =
    c.reported === null
      ? `Intercom reports no count; the state holds ${c.held}`
      : `Intercom reports ${c.reported}, the state holds ${c.held}` +
        (c.gap !== null && c.gap > 0 ? `: ${c.gap} missing` : '');
  if (c.partsGaps.length === 0) return counts;
  const named = c.partsGaps.map((g) => `${g.id} (${g.counted} parts, ${g.captured} read)`).join(', ');
  return `${counts}; ${c.partsGaps.length} with parts missing (${c.partsMissing} parts): ${named}`;
}

import { badRequest } from '../api-error';
import type { Workspace } from '../workspace';
import { type Predicate, type RowAccess, compileQuery } from './compile';
import { type SearchStream, fieldDef, readPath } from './fields';
import type { SearchRequest } from './query';

export interface SearchContext {
  nowMs: number;
  /** Records changed less than this long ago (sim ms) are not in the index yet. */
  lagMs: number;
  dayTimezone: string;
}

/** Rows that match, in result order; `total` is what `total_count` reports. */
export interface SearchResult {
  rows: ArrayLike<number>;
  total: number;
}

/**
 * Runs a search over the live, indexed rows of a stream. Without `sort` the order is creation order
 * (ids ascending); with `sort` it is that field, ties by creation order.
 */
export function runSearch(
  ws: Workspace,
  stream: SearchStream,
  request: SearchRequest,
  ctx: SearchContext,
): SearchResult {
  const predicate = compileQuery(stream, request.query, { dayTimezone: ctx.dayTimezone });
  const matched = matchRows(ws, stream, predicate, ctx);
  if (!request.sort) return { rows: matched, total: matched.length };
  return { rows: sortRows(ws, stream, matched, request.sort), total: matched.length };
}

function matchRows(
  ws: Workspace,
  stream: SearchStream,
  predicate: Predicate,
  ctx: SearchContext,
): Uint32Array {
  const table = ws.table(stream);
  const out = new Uint32Array(table.length);
  const indexedBefore = ctx.nowMs - ctx.lagMs;
  const access = new LazyRow(ws, stream);
  let count = 0;
  for (let row = 0; row < table.length; row++) {
    if (table.flags[row] !== 0 || (table.changedAtMs[row] as number) > indexedBefore) continue;
    access.row = row;
    access.cached = undefined;
    if (predicate(access)) out[count++] = row;
  }
  return out.subarray(0, count);
}

class LazyRow implements RowAccess {
  row = 0;
  cached: Record<string, unknown> | undefined;
  constructor(
    private readonly ws: Workspace,
    private readonly stream: SearchStream,
  ) {}
  id(): string {
    return this.ws.id(this.stream, this.row);
  }
  createdAt(): number {
    return this.ws.table(this.stream).createdAt[this.row] as number;
  }
  updatedAt(): number {
    return this.ws.table(this.stream).updatedAt[this.row] as number;
  }
  object(): Record<string, unknown> {
    this.cached ??= this.ws.render(this.stream, this.row);
    return this.cached;
  }
}

const ROW_BITS = 2 ** 22;

function sortRows(
  ws: Workspace,
  stream: SearchStream,
  rows: Uint32Array,
  sort: NonNullable<SearchRequest['sort']>,
): ArrayLike<number> {
  const def = fieldDef(stream, sort.field);
  if (!def) throw badRequest(`${sort.field} is not a sortable field`, 'field_not_found');
  const table = ws.table(stream);
  const column =
    def.column === 'created_at' ? table.createdAt : def.column === 'updated_at' ? table.updatedAt : undefined;
  const sorted = column
    ? sortByColumn(rows, column)
    : sortByValue(rows, (row) => sortKey(ws, stream, row, sort.field));
  if (sort.order === 'descending') sorted.reverse();
  return sorted;
}

/** Packs (value, row) into one double and sorts natively: fast enough for a million rows. */
function sortByColumn(rows: Uint32Array, column: Uint32Array): Uint32Array | number[] {
  if (rows.length > 0 && rows[rows.length - 1]! >= ROW_BITS)
    return sortByValue(rows, (row) => column[row] as number);
  const keys = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++)
    keys[i] = (column[rows[i] as number] as number) * ROW_BITS + (rows[i] as number);
  keys.sort();
  const out = new Uint32Array(rows.length);
  for (let i = 0; i < keys.length; i++) out[i] = (keys[i] as number) % ROW_BITS;
  return out;
}

function sortByValue(rows: Uint32Array, key: (row: number) => number | string): number[] {
  const keyed = Array.from(rows, (row) => ({ row, key: key(row) }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.row - b.row));
  return keyed.map((k) => k.row);
}

function sortKey(ws: Workspace, stream: SearchStream, row: number, field: string): number | string {
  const value = readPath(ws.render(stream, row), field);
  return typeof value === 'number' || typeof value === 'string' ? value : -Infinity;
}

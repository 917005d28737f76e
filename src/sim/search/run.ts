import { badRequest } from '../api-error';
import type { Workspace } from '../workspace';
import { type Predicate, type RowAccess, compileQuery } from './compile';
import { type SearchStream, fieldDef, readPath } from './fields';
import type { FrozenCopy } from './frozen';
import type { QueryNode, SearchRequest } from './query';

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
  /** A result row as the index holds it: its frozen copy, or the object as it is now. */
  render(row: number): Record<string, unknown>;
}

/**
 * Runs a search over the indexed rows of a stream: live rows the index lag has caught up with, and
 * rows whose index copy is frozen (Mutations.freezeSearch), matched, sorted and shown as that copy
 * even when the row changed or is gone. Without `sort` the order is creation order (ids ascending);
 * with `sort` it is that field, ties by creation order.
 */
export function runSearch(
  ws: Workspace,
  stream: SearchStream,
  request: SearchRequest,
  ctx: SearchContext,
): SearchResult {
  const predicate = compileQuery(stream, request.query, { dayTimezone: ctx.dayTimezone });
  const frozen = ws.searchFreezes.active(stream, ctx.nowMs);
  const render = (row: number): Record<string, unknown> => {
    const copy = frozen.get(row);
    return copy ? structuredClone(copy.object) : ws.render(stream, row);
  };
  const matched = matchRows(ws, stream, predicate, ctx, frozen, createdAtBounds(request.query));
  const sorted = request.sort ? sortRows(ws, stream, matched, request.sort, frozen) : matched;
  // Hidden rows (Mutations.hideFromSearch) are counted in total_count and never shown.
  const hidden = ws.searchFreezes.hidden[stream];
  const rows = hidden.size > 0 ? Uint32Array.from(sorted).filter((row) => !hidden.has(row)) : sorted;
  return { rows, total: matched.length, render };
}

function matchRows(
  ws: Workspace,
  stream: SearchStream,
  predicate: Predicate,
  ctx: SearchContext,
  frozen: ReadonlyMap<number, FrozenCopy>,
  bounds: [number, number],
): Uint32Array {
  const table = ws.table(stream);
  const out = new Uint32Array(table.length);
  const indexedBefore = ctx.nowMs - ctx.lagMs;
  const access = new LazyRow(ws, stream);
  let count = 0;
  // A query bounded in created_at only needs the rows created in that range (created_at never changes,
  // frozen copies included); the predicate still decides each of them.
  const [first, end] = table.createdInOrder
    ? [
        firstRowAtLeast(table.createdAt, table.length, bounds[0]),
        firstRowAtLeast(table.createdAt, table.length, bounds[1] + 1),
      ]
    : [0, table.length];
  for (let row = first; row < end; row++) {
    const copy = frozen.size > 0 ? frozen.get(row) : undefined;
    if (!copy && (table.flags[row] !== 0 || (table.changedAtMs[row] as number) > indexedBefore)) continue;
    access.row = row;
    access.frozen = copy;
    access.cached = undefined;
    if (predicate(access)) out[count++] = row;
  }
  return out.subarray(0, count);
}

/** The first row whose created_at is ≥ `value` in a column that never decreases (binary search). */
function firstRowAtLeast(column: Uint32Array, length: number, value: number): number {
  let lo = 0;
  let hi = length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((column[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const SLACK_S = 2 * 86_400;

/**
 * Bounds [lo, hi] (Unix seconds) that every created_at a query can match lies within: from its
 * `created_at` filters under AND, widened by two days (day matching, inclusive operators), or unbounded.
 */
export function createdAtBounds(node: QueryNode): [number, number] {
  const all: [number, number] = [-Infinity, Infinity];
  if (node.kind === 'group') {
    const parts = node.value.map(createdAtBounds);
    if (parts.length === 0) return all;
    return node.operator === 'AND'
      ? [Math.max(...parts.map((p) => p[0])), Math.min(...parts.map((p) => p[1]))]
      : [Math.min(...parts.map((p) => p[0])), Math.max(...parts.map((p) => p[1]))];
  }
  if (node.field !== 'created_at') return all;
  const v = Number(node.value);
  if (!Number.isFinite(v)) return all;
  switch (node.operator) {
    case '>':
    case '>=':
      return [v - SLACK_S, Infinity];
    case '<':
    case '<=':
      return [-Infinity, v + SLACK_S];
    case '=':
      return [v - SLACK_S, v + SLACK_S];
    default:
      return all;
  }
}

class LazyRow implements RowAccess {
  row = 0;
  frozen: FrozenCopy | undefined;
  cached: Record<string, unknown> | undefined;
  constructor(
    private readonly ws: Workspace,
    private readonly stream: SearchStream,
  ) {}
  id(): string {
    return this.ws.id(this.stream, this.row);
  }
  createdAt(): number {
    return this.frozen?.createdAt ?? (this.ws.table(this.stream).createdAt[this.row] as number);
  }
  updatedAt(): number {
    return this.frozen?.updatedAt ?? (this.ws.table(this.stream).updatedAt[this.row] as number);
  }
  object(): Record<string, unknown> {
    this.cached ??= this.frozen
      ? (this.frozen.object as Record<string, unknown>)
      : this.ws.render(this.stream, this.row);
    return this.cached;
  }
}

const ROW_BITS = 2 ** 22;

function sortRows(
  ws: Workspace,
  stream: SearchStream,
  rows: Uint32Array,
  sort: NonNullable<SearchRequest['sort']>,
  frozen: ReadonlyMap<number, FrozenCopy>,
): ArrayLike<number> {
  const def = fieldDef(stream, sort.field);
  if (!def) throw badRequest(`${sort.field} is not a sortable field`, 'field_not_found');
  const table = ws.table(stream);
  const which = def.column === 'created_at' || def.column === 'updated_at' ? def.column : undefined;
  const sorted = which
    ? sortByColumn(rows, indexedColumn(table, which, frozen))
    : sortByValue(rows, (row) => sortKey(frozen.get(row)?.object ?? ws.render(stream, row), sort.field));
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

/** A timestamp column as the index holds it: the frozen copies' values over the rows' own. */
function indexedColumn(
  table: ReturnType<Workspace['table']>,
  which: 'created_at' | 'updated_at',
  frozen: ReadonlyMap<number, FrozenCopy>,
): Uint32Array {
  const column = which === 'created_at' ? table.createdAt : table.updatedAt;
  if (frozen.size === 0) return column;
  const copy = column.slice();
  for (const [row, f] of frozen) copy[row] = which === 'created_at' ? f.createdAt : f.updatedAt;
  return copy;
}

function sortKey(object: Readonly<Record<string, unknown>>, field: string): number | string {
  const value = readPath(object as Record<string, unknown>, field);
  return typeof value === 'number' || typeof value === 'string' ? value : -Infinity;
}

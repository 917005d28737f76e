import { badRequest, notFound } from '../api-error';
import { cursorPages, decodeCursor, numberedPages, pageNumber } from '../paging';
import { type SearchStream } from '../search/fields';
import { MAX_PER_PAGE, parseSearchRequest, perPage } from '../search/query';
import { contactTagRows } from '../render/contacts';
import { articleStatistics } from '../render/content';
import { runSearch } from '../search/run';
import type { TableStream } from '../types';
import type { Workspace } from '../workspace';
import {
  archiveContact,
  createContact,
  findByExternalId,
  unarchiveContact,
  updateContact,
} from './contact-writes';
import type { ApiContext, Route } from './context';
import { SCROLL_PAGE_SIZE } from './scroll';

const COMPANY_LIST_CAP = 10_000;

/** Search endpoints differ only in data: stream and list key. */
const SEARCHES: ReadonlyArray<{ stream: SearchStream; path: string; type: string; key: string }> = [
  { stream: 'contacts', path: '/contacts/search', type: 'list', key: 'data' },
  { stream: 'conversations', path: '/conversations/search', type: 'conversation.list', key: 'conversations' },
  { stream: 'tickets', path: '/tickets/search', type: 'ticket.list', key: 'tickets' },
];

/** Whole-collection endpoints without pagination. */
const COLLECTIONS: ReadonlyArray<{ stream: TableStream; path: string; type: string; key: string }> = [
  { stream: 'admins', path: '/admins', type: 'admin.list', key: 'admins' },
  { stream: 'teams', path: '/teams', type: 'team.list', key: 'teams' },
  { stream: 'tags', path: '/tags', type: 'list', key: 'data' },
];

/** Single objects by id: the noun of their 404, and how GET by id renders them when it differs from lists. */
const BY_ID: ReadonlyArray<{
  stream: TableStream;
  path: string;
  noun: string;
  render?: (ws: Workspace, row: number) => Record<string, unknown>;
}> = [
  { stream: 'contacts', path: '/contacts', noun: 'contact' },
  {
    stream: 'conversations',
    path: '/conversations',
    noun: 'conversation',
    render: (ws, row) => ws.renderConversationWithParts(row),
  },
  { stream: 'tickets', path: '/tickets', noun: 'ticket' },
  { stream: 'companies', path: '/companies', noun: 'company' },
  { stream: 'admins', path: '/admins', noun: 'admin' },
  {
    stream: 'articles',
    path: '/articles',
    noun: 'article',
    render: (ws, row) => ({ ...ws.render('articles', row), statistics: articleStatistics(ws, row) }),
  },
  { stream: 'help_center_collections', path: '/help_center/collections', noun: 'collection' },
];

/** Page-numbered lists, newest `updated_at` first. */
const NEWEST_FIRST: ReadonlyArray<{ stream: TableStream; path: string }> = [
  { stream: 'articles', path: '/articles' },
  { stream: 'help_center_collections', path: '/help_center/collections' },
];

const exact = (path: string): RegExp => new RegExp(`^${path.replace(/\//g, '\\/')}$`);

export const ROUTES: readonly Route[] = [
  { method: 'GET', name: 'GET /me', pattern: /^\/me$/, handle: me },
  ...SEARCHES.map((s): Route => ({
    method: 'POST',
    name: `POST ${s.path}`,
    pattern: exact(s.path),
    handle: (ctx) => search(ctx, s.stream, s.type, s.key),
  })),
  {
    method: 'GET',
    name: 'GET /contacts',
    pattern: /^\/contacts$/,
    handle: (ctx) => cursorList(ctx, 'contacts', ctx.ws.table('contacts').liveRows(), 50, 'list', 'data'),
  },
  {
    method: 'GET',
    name: 'GET /conversations',
    pattern: /^\/conversations$/,
    handle: (ctx) =>
      cursorList(
        ctx,
        'conversations',
        newestFirst(ctx.ws, 'conversations'),
        20,
        'conversation.list',
        'conversations',
      ),
  },
  { method: 'POST', name: 'POST /contacts', pattern: /^\/contacts$/, handle: createContact },
  { method: 'PUT', name: 'PUT /contacts/{id}', pattern: /^\/contacts\/([^/]+)$/, handle: updateContact },
  {
    method: 'POST',
    name: 'POST /contacts/{id}/archive',
    pattern: /^\/contacts\/([^/]+)\/archive$/,
    handle: archiveContact,
  },
  {
    method: 'POST',
    name: 'POST /contacts/{id}/unarchive',
    pattern: /^\/contacts\/([^/]+)\/unarchive$/,
    handle: unarchiveContact,
  },
  {
    method: 'GET',
    name: 'GET /contacts/find_by_external_id/{external_id}',
    pattern: /^\/contacts\/find_by_external_id\/([^/]+)$/,
    handle: findByExternalId,
  },
  {
    method: 'GET',
    name: 'GET /contacts/{id}/tags',
    pattern: /^\/contacts\/([^/]+)\/tags$/,
    handle: contactTags,
  },
  ...BY_ID.map((b): Route => ({
    method: 'GET',
    name: `GET ${b.path}/{id}`,
    pattern: new RegExp(`^${b.path.replace(/\//g, '\\/')}\\/([^/]+)$`),
    handle: (ctx) => byId(ctx, b, decodeURIComponent(ctx.params[0] as string)),
  })),
  ...NEWEST_FIRST.map((n): Route => ({
    method: 'GET',
    name: `GET ${n.path}`,
    pattern: exact(n.path),
    handle: (ctx) => numberedList(ctx, n.stream, newestFirst(ctx.ws, n.stream), 25),
  })),
  {
    method: 'GET',
    name: 'GET /companies',
    pattern: /^\/companies$/,
    handle: (ctx) => numberedList(ctx, 'companies', ctx.ws.table('companies').liveRows(), 15),
  },
  {
    method: 'POST',
    name: 'POST /companies/list',
    pattern: /^\/companies\/list$/,
    handle: companiesByLastRequest,
  },
  { method: 'GET', name: 'GET /companies/scroll', pattern: /^\/companies\/scroll$/, handle: companiesScroll },
  ...COLLECTIONS.map((c): Route => ({
    method: 'GET',
    name: `GET ${c.path}`,
    pattern: exact(c.path),
    handle: (ctx) => ({ type: c.type, [c.key]: renderAll(ctx, c.stream) }),
  })),
  { method: 'GET', name: 'GET /segments', pattern: /^\/segments$/, handle: segments },
  { method: 'GET', name: 'GET /data_attributes', pattern: /^\/data_attributes$/, handle: dataAttributes },
];

/** The route for a request; a fixed path (`/companies/scroll`) wins over an `{id}` pattern that also matches. */
export function matchRoute(method: string, path: string): { route: Route; params: string[] } | undefined {
  for (const route of ROUTES) {
    const m = route.pattern.exec(path);
    if (m && route.method === method && !(route.name.endsWith('{id}') && isFixedPath(method, path))) {
      return { route, params: m.slice(1) };
    }
  }
  return undefined;
}

function isFixedPath(method: string, path: string): boolean {
  return ROUTES.some((r) => r.method === method && !r.name.endsWith('{id}') && r.pattern.test(path));
}

function me(ctx: ApiContext): Record<string, unknown> {
  const { ws } = ctx;
  const admin =
    ws.table('admins').length > 0
      ? ws.render('admins', 0)
      : { type: 'admin', id: '0', name: 'Sim', email: 'sim@example.com' };
  return {
    ...admin,
    avatar: { type: 'avatar', image_url: null },
    email_verified: true,
    app: {
      type: 'app',
      id_code: ws.workspaceId,
      name: `Simulated workspace ${ws.seed}`,
      created_at: ws.createdAtSec,
      secure: false,
      identity_verification: false,
      timezone: ws.timezone,
      region: 'US',
    },
  };
}

function search(ctx: ApiContext, stream: SearchStream, type: string, key: string): Record<string, unknown> {
  const request = parseSearchRequest(ctx.body);
  const result = runSearch(ctx.ws, stream, request, {
    nowMs: ctx.nowMs,
    lagMs: ctx.searchLagMs,
    dayTimezone: ctx.dayTimezone,
  });
  const offset = decodeCursor(request.startingAfter);
  const page = Array.from(sliceOf(result.rows, offset, request.perPage), result.render);
  return {
    type,
    total_count: result.total,
    [key]: page,
    pages: cursorPages(offset, request.perPage, result.rows.length),
  };
}

function cursorList(
  ctx: ApiContext,
  stream: TableStream,
  rows: ArrayLike<number>,
  defaultPerPage: number,
  type: string,
  key: string,
): Record<string, unknown> {
  const size = perPage(ctx.query.get('per_page'), defaultPerPage);
  const offset = decodeCursor(ctx.query.get('starting_after') ?? undefined);
  const page = Array.from(sliceOf(rows, offset, size), (row) => ctx.ws.render(stream, row));
  return { type, total_count: rows.length, [key]: page, pages: cursorPages(offset, size, rows.length) };
}

function numberedList(
  ctx: ApiContext,
  stream: TableStream,
  rows: ArrayLike<number>,
  defaultPerPage: number,
  cap = Infinity,
): Record<string, unknown> {
  const size = perPage(ctx.query.get('per_page'), defaultPerPage);
  const page = pageNumber(ctx.query.get('page'));
  const offset = (page - 1) * size;
  const end = Math.min(offset + size, rows.length, cap);
  const data = Array.from(sliceOf(rows, offset, Math.max(0, end - offset)), (row) =>
    ctx.ws.render(stream, row),
  );
  return {
    type: 'list',
    data,
    total_count: rows.length,
    pages: numberedPages(page, size, Math.min(rows.length, cap)),
  };
}

function byId(ctx: ApiContext, by: (typeof BY_ID)[number], id: string): Record<string, unknown> {
  const row = ctx.ws.liveRow(by.stream, id);
  if (row === undefined) throw notFound(`${by.noun} ${id} not found`);
  return by.render ? by.render(ctx.ws, row) : ctx.ws.render(by.stream, row);
}

/**
 * The tags of a contact (the URL its embedded `tags` list names) as Intercom's tag list: every tag,
 * also past the ten the embedded list shows. A contact created through the API has none.
 */
function contactTags(ctx: ApiContext): Record<string, unknown> {
  const id = decodeURIComponent(ctx.params[0] as string);
  const row = ctx.ws.liveRow('contacts', id);
  if (row === undefined) throw notFound('User Not Found');
  const embedded = ctx.ws.render('contacts', row).tags as { data: Array<{ id: string }>; has_more?: boolean };
  const tagRows = embedded.has_more
    ? contactTagRows(ctx.ws, row)
    : embedded.data.map((tag) => ctx.ws.rowOf('tags', tag.id) as number);
  return { type: 'list', data: tagRows.map((tagRow) => ctx.ws.render('tags', tagRow)) };
}

function companiesByLastRequest(ctx: ApiContext): Record<string, unknown> {
  const order = ctx.query.get('order') ?? 'desc';
  if (order !== 'asc' && order !== 'desc') throw badRequest('order must be asc or desc');
  const keyed = ctx.ws
    .table('companies')
    .liveRows()
    .map((row) => ({ row, at: ctx.ws.render('companies', row).last_request_at as number }));
  keyed.sort((a, b) => (order === 'desc' ? b.at - a.at || b.row - a.row : a.at - b.at || a.row - b.row));
  return numberedList(
    ctx,
    'companies',
    keyed.map((k) => k.row),
    15,
    COMPANY_LIST_CAP,
  );
}

function companiesScroll(ctx: ApiContext): Record<string, unknown> {
  const { offset, param } = ctx.scroll.next(ctx.query.get('scroll_param'));
  const rows = ctx.ws.table('companies').liveRows();
  const data = Array.from(sliceOf(rows, offset, SCROLL_PAGE_SIZE), (row) => ctx.ws.render('companies', row));
  if (data.length === 0) ctx.scroll.finish();
  return { type: 'list', data, pages: null, total_count: null, scroll_param: param };
}

function segments(ctx: ApiContext): Record<string, unknown> {
  const withCount = ctx.query.get('include_count') === 'true';
  const list = renderAll(ctx, 'segments').map((s, i) => (withCount ? { ...s, count: (i * 37) % 1000 } : s));
  return { type: 'segment.list', segments: list, pages: {} };
}

function dataAttributes(ctx: ApiContext): Record<string, unknown> {
  const model = ctx.query.get('model');
  if (model !== null && !['contact', 'company', 'conversation'].includes(model)) {
    throw badRequest('model must be contact, company or conversation');
  }
  const all = renderAll(ctx, 'data_attributes');
  return { type: 'list', data: model === null ? all : all.filter((a) => a.model === model) };
}

function renderAll(ctx: ApiContext, stream: TableStream): Record<string, unknown>[] {
  return ctx.ws
    .table(stream)
    .liveRows()
    .map((row) => ctx.ws.render(stream, row));
}

/** Live rows by `updated_at` descending, newest created first among equals. */
function newestFirst(ws: Workspace, stream: TableStream): number[] {
  const table = ws.table(stream);
  return table
    .liveRows()
    .sort((a, b) => (table.updatedAt[b] as number) - (table.updatedAt[a] as number) || b - a);
}

function sliceOf(rows: ArrayLike<number>, offset: number, count: number): ArrayLike<number> {
  const end = Math.min(rows.length, offset + Math.min(count, MAX_PER_PAGE));
  return Array.prototype.slice.call(rows, offset, Math.max(offset, end)) as number[];
}

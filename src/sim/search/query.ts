import { badRequest } from '../api-error';

/** The search query language: filters `{field, operator, value}` nested in AND/OR groups. */
export const OPERATORS = ['=', '!=', 'IN', 'NIN', '<', '<=', '>', '>=', '~', '!~', '^', '$'] as const;
export type Operator = (typeof OPERATORS)[number];

export interface Filter {
  kind: 'filter';
  field: string;
  operator: Operator;
  value: unknown;
}
export interface Group {
  kind: 'group';
  operator: 'AND' | 'OR';
  value: QueryNode[];
}
export type QueryNode = Filter | Group;

export interface SearchRequest {
  query: QueryNode;
  perPage: number;
  startingAfter?: string;
  sort?: { field: string; order: 'ascending' | 'descending' };
}

export const MAX_PER_PAGE = 150;
export const DEFAULT_SEARCH_PER_PAGE = 50;
/** At most this many levels of groups, and this many items in one group (documented limits). */
export const MAX_GROUP_DEPTH = 2;
export const MAX_GROUP_ITEMS = 15;

/** Parses a search body; anything malformed or over the limits is a 400 `error.list`. */
export function parseSearchRequest(body: unknown): SearchRequest {
  if (!isObject(body)) throw badRequest('The request body must be a JSON object');
  if (body.query === undefined) throw badRequest('query is required', 'parameter_not_found');
  const request: SearchRequest = { query: parseNode(body.query, 0), perPage: DEFAULT_SEARCH_PER_PAGE };
  const pagination = body.pagination;
  if (pagination !== undefined && pagination !== null) {
    if (!isObject(pagination)) throw badRequest('pagination must be an object');
    if (pagination.per_page !== undefined)
      request.perPage = perPage(pagination.per_page, DEFAULT_SEARCH_PER_PAGE);
    if (pagination.starting_after !== undefined && pagination.starting_after !== null) {
      if (typeof pagination.starting_after !== 'string') throw badRequest('starting_after must be a string');
      request.startingAfter = pagination.starting_after;
    }
  }
  if (body.sort !== undefined && body.sort !== null) request.sort = parseSort(body.sort);
  return request;
}

/** A page size: integer ≥ 1, capped at 150. */
export function perPage(value: unknown, fallback: number): number {
  if (value === undefined || value === null || value === '') return fallback;
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1)
    throw badRequest('per_page must be a positive integer');
  return Math.min(n, MAX_PER_PAGE);
}

function parseNode(node: unknown, depth: number): QueryNode {
  if (!isObject(node)) throw badRequest('Each query element must be an object');
  if (node.operator === 'AND' || node.operator === 'OR') {
    if (depth >= MAX_GROUP_DEPTH)
      throw badRequest(`Nesting is limited to ${MAX_GROUP_DEPTH} levels of AND/OR groups`);
    if (!Array.isArray(node.value) || node.value.length === 0)
      throw badRequest(`${node.operator} needs a non-empty array`);
    if (node.value.length > MAX_GROUP_ITEMS)
      throw badRequest(`A group may hold at most ${MAX_GROUP_ITEMS} filters`);
    return {
      kind: 'group',
      operator: node.operator,
      value: node.value.map((child) => parseNode(child, depth + 1)),
    };
  }
  if (typeof node.field !== 'string' || node.field === '') throw badRequest('A filter needs a field');
  if (!OPERATORS.includes(node.operator as Operator)) {
    throw badRequest(`Unsupported operator ${JSON.stringify(node.operator)} for field ${node.field}`);
  }
  if (!('value' in node)) throw badRequest(`A filter on ${node.field} needs a value`);
  return { kind: 'filter', field: node.field, operator: node.operator as Operator, value: node.value };
}

function parseSort(sort: unknown): { field: string; order: 'ascending' | 'descending' } {
  if (!isObject(sort) || typeof sort.field !== 'string') throw badRequest('sort needs a field');
  const order = sort.order ?? 'descending';
  if (order !== 'ascending' && order !== 'descending')
    throw badRequest('sort order must be ascending or descending');
  return { field: sort.field, order };
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

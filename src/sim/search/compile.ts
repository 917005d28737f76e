import { badRequest } from '../api-error';
import { dayRange } from '../timezone';
import {
  type FieldDef,
  type FieldType,
  type SearchStream,
  SEARCH_FIELDS,
  fieldDef,
  readPath,
} from './fields';
import type { Filter, Operator, QueryNode } from './query';

/** What a predicate reads: the compact columns of a row, and the rendered object only when needed. */
export interface RowAccess {
  id(): string;
  createdAt(): number;
  updatedAt(): number;
  object(): Record<string, unknown>;
}

export type Predicate = (row: RowAccess) => boolean;

export interface CompileOptions {
  /** Timezone whose calendar days contact timestamps are matched by. */
  dayTimezone: string;
}

const OPERATORS_BY_TYPE: Record<FieldType | 'day', readonly Operator[]> = {
  string: ['=', '!=', 'IN', 'NIN', '~', '!~', '^', '$'],
  id: ['=', '!=', 'IN', 'NIN', '~', '!~', '^', '$', '<', '<=', '>', '>='],
  integer: ['=', '!=', 'IN', 'NIN', '<', '<=', '>', '>='],
  float: ['=', '!=', 'IN', 'NIN', '<', '<=', '>', '>='],
  date: ['=', '!=', 'IN', 'NIN', '<', '<=', '>', '>='],
  day: ['=', '<', '>'],
  boolean: ['=', '!=', 'IN', 'NIN'],
  any: ['=', '!=', 'IN', 'NIN', '<', '<=', '>', '>=', '~', '!~', '^', '$'],
};
const NEGATIVE: readonly Operator[] = ['!=', 'NIN', '!~'];

/**
 * Compiles a parsed query into a predicate over rows. Unknown fields, operators a field's type does
 * not allow (`>=`, `<=`, `!=`, `IN`, `NIN` on contact dates) and values of the wrong type are 400s.
 */
export function compileQuery(stream: SearchStream, node: QueryNode, options: CompileOptions): Predicate {
  if (node.kind === 'group') {
    const children = node.value.map((child) => compileQuery(stream, child, options));
    return node.operator === 'AND'
      ? (row) => children.every((child) => child(row))
      : (row) => children.some((child) => child(row));
  }
  return compileFilter(stream, node, options);
}

function compileFilter(stream: SearchStream, filter: Filter, options: CompileOptions): Predicate {
  const def = fieldDef(stream, filter.field);
  if (!def) throw badRequest(`${filter.field} is not a searchable field`, 'field_not_found');
  const dayMatching = def.type === 'date' && SEARCH_FIELDS[stream].dateMode === 'day';
  const allowed = OPERATORS_BY_TYPE[dayMatching ? 'day' : def.type];
  if (!allowed.includes(filter.operator)) {
    throw badRequest(`The operator ${filter.operator} is not supported on ${def.type} field ${filter.field}`);
  }
  const read = reader(def, filter.field);
  const test = dayMatching
    ? dayTest(filter, options.dayTimezone)
    : valueTest(filter, def.type, SEARCH_FIELDS[stream].dateMode === 'inclusive');
  const negative = NEGATIVE.includes(filter.operator);
  return (row) => {
    const value = read(row);
    if (!Array.isArray(value)) return test(value);
    // Multi-valued fields (contact_ids, tag_ids…): a positive operator needs one match, a negative one all.
    return negative ? value.every(test) : value.some(test);
  };
}

function reader(def: FieldDef, field: string): (row: RowAccess) => unknown {
  if (def.column === 'id') return (row) => row.id();
  if (def.column === 'created_at') return (row) => row.createdAt();
  if (def.column === 'updated_at') return (row) => row.updatedAt();
  const read = def.read ?? ((o: Record<string, unknown>) => readPath(o, field));
  return (row) => read(row.object());
}

/** Contacts: `=` the whole day of X, `>` from the start of the next day, `<` before the start of X's day. */
function dayTest(filter: Filter, timezone: string): (value: unknown) => boolean {
  const x = timestamp(filter.value, filter.field);
  const [start, end] = dayRange(x, timezone);
  const inDay = {
    '=': (v: number) => v >= start && v < end,
    '>': (v: number) => v >= end,
    '<': (v: number) => v < start,
  }[filter.operator as '=' | '>' | '<'];
  return (value) => typeof value === 'number' && inDay(value);
}

function valueTest(filter: Filter, type: FieldType, inclusive: boolean): (value: unknown) => boolean {
  const { operator, field } = filter;
  if (operator === 'IN' || operator === 'NIN') {
    if (!Array.isArray(filter.value)) throw badRequest(`${operator} on ${field} needs an array value`);
    const set = filter.value.map((v) => coerce(v, type, field));
    const hit = (value: unknown): boolean => set.some((candidate) => same(value, candidate));
    return operator === 'IN' ? hit : (value) => !hit(value);
  }
  const x = coerce(filter.value, type, field);
  if (x === null) {
    if (operator !== '=' && operator !== '!=') throw badRequest(`${operator} on ${field} needs a value`);
    return operator === '='
      ? (value) => value === null || value === undefined
      : (value) => value !== null && value !== undefined;
  }
  if (type === 'id' && ['>', '<', '>=', '<='].includes(operator))
    return idOrder(operator, x as string, inclusive);
  switch (operator) {
    case '=':
      return (value) => same(value, x);
    case '!=':
      return (value) => !same(value, x);
    case '>':
      return (value) =>
        typeof value === 'number' && (inclusive ? value >= (x as number) : value > (x as number));
    case '<':
      return (value) =>
        typeof value === 'number' && (inclusive ? value <= (x as number) : value < (x as number));
    case '>=':
      return (value) => typeof value === 'number' && value >= (x as number);
    case '<=':
      return (value) => typeof value === 'number' && value <= (x as number);
    default:
      return stringTest(operator, String(x).toLowerCase());
  }
}

/**
 * `id` compared as Intercom's public connectors use it to page (`id > ""` matches every object): plain
 * string comparison (UTF-16 code units, case-sensitive), so "9" > "10"; `>` and `<` include the bound
 * where the stream's `>`/`<` are inclusive (conversations, tickets), as for its other fields.
 */
function idOrder(operator: Operator, x: string, inclusive: boolean): (value: unknown) => boolean {
  const orEqual = inclusive || operator === '>=' || operator === '<=';
  const above = operator === '>' || operator === '>=';
  return (value) => {
    if (typeof value !== 'string') return false;
    if (orEqual && value === x) return true;
    return above ? value > x : value < x;
  };
}

function stringTest(operator: Operator, needle: string): (value: unknown) => boolean {
  const text = (value: unknown): string | undefined =>
    typeof value === 'string' ? value.toLowerCase() : undefined;
  const tests: Partial<Record<Operator, (value: unknown) => boolean>> = {
    '~': (v) => text(v)?.includes(needle) ?? false,
    '!~': (v) => !(text(v)?.includes(needle) ?? false),
    '^': (v) => text(v)?.startsWith(needle) ?? false,
    $: (v) => text(v)?.endsWith(needle) ?? false,
  };
  return tests[operator] as (value: unknown) => boolean;
}

function same(value: unknown, x: unknown): boolean {
  if (typeof value === 'string' && typeof x === 'string') return value.toLowerCase() === x.toLowerCase();
  return value === x || (value !== null && value !== undefined && x !== null && String(value) === String(x));
}

/** The filter value in the field's type; a value of the wrong type is a 400, as in the real API. */
function coerce(value: unknown, type: FieldType, field: string): unknown {
  if (value === null) return null;
  switch (type) {
    case 'date':
      return timestamp(value, field);
    case 'integer':
    case 'float': {
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isFinite(n))
        throw badRequest(`${field} expects a number, got ${JSON.stringify(value)}`);
      return n;
    }
    case 'boolean':
      if (value === true || value === 'true') return true;
      if (value === false || value === 'false') return false;
      throw badRequest(`${field} expects a boolean, got ${JSON.stringify(value)}`);
    case 'string':
    case 'id':
      if (typeof value === 'string' || typeof value === 'number') return String(value);
      throw badRequest(`${field} expects a string, got ${JSON.stringify(value)}`);
    default:
      return value;
  }
}

/** A date value: Unix seconds as an integer or a numeric string. */
function timestamp(value: unknown, field: string): number {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n)) {
    throw badRequest(`${field} expects a Unix timestamp, got ${JSON.stringify(value)}`);
  }
  return n;
}

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { readOpenApi } from '../../helpers/openapi';
import { loadStreamSchemas, toEpochMillis } from '../../../src/normalize';
import { mapRecord } from '../../helpers/mapping';
import { STREAMS, type StreamName } from '../../../src/streams';

type Json = Record<string, unknown>;
interface Field {
  name: string;
  type: unknown;
}

const FIXTURES = path.resolve(__dirname, '../../fixtures/intercom');
const TIMESTAMP_NAME = /(_at|_until)$|^waiting_since$/;

/** The OpenAPI component that describes each stream's object. */
const OPENAPI_OBJECT: Record<StreamName, string> = {
  contacts: 'contact',
  conversations: 'conversation',
  conversation_parts: 'conversation_part',
  tickets: 'ticket',
  companies: 'company',
  admins: 'admin',
  teams: 'team',
  tags: 'tag',
  segments: 'segment',
  articles: 'article',
  help_center_collections: 'collection',
  data_attributes: 'data_attribute',
};
/** Fields the connector adds, which the API object does not carry. */
const CONNECTOR_FIELDS = new Set(['conversation_parts.conversation_id', 'conversations.parts_not_returned']);

const spec = readOpenApi<{ components: { schemas: Record<string, Json> } }>(
  'the OpenAPI conformance tests of the schemas',
);
const specPresent = spec !== undefined;
const components = spec?.components.schemas ?? {};

/** An OpenAPI schema with $ref followed and allOf merged, reduced to what the checks need. */
function resolve(schema: unknown): { properties: Record<string, unknown>; items?: unknown } {
  let node = (schema ?? {}) as Json;
  if (typeof node.$ref === 'string')
    node = { ...components[node.$ref.split('/').pop() as string], ...omit(node, '$ref') };
  const properties: Record<string, unknown> = {};
  for (const part of (node.allOf as unknown[] | undefined) ?? [])
    Object.assign(properties, resolve(part).properties);
  Object.assign(properties, (node.properties as Record<string, unknown> | undefined) ?? {});
  return { properties, items: node.items };
}

function omit(node: Json, key: string): Json {
  const { [key]: _omitted, ...rest } = node;
  return rest;
}

/** The record inside an Avro field type (through ["null", X] and arrays), or null. */
function avroRecord(type: unknown): { fields: Field[] } | null {
  const branch = Array.isArray(type) ? type.find((t) => t !== 'null') : type;
  const node = branch as Json | undefined;
  if (node?.type === 'record') return node as unknown as { fields: Field[] };
  if (node?.type === 'array') return avroRecord(node.items);
  return null;
}

/** The OpenAPI object a property holds (through arrays). */
function openapiObject(property: unknown): ReturnType<typeof resolve> {
  const resolved = resolve(property);
  return resolved.items !== undefined && Object.keys(resolved.properties).length === 0
    ? resolve(resolved.items)
    : resolved;
}

function isTimestampMillis(type: unknown): boolean {
  const branch = Array.isArray(type) ? type.find((t) => t !== 'null') : type;
  return (branch as Json | undefined)?.logicalType === 'timestamp-millis';
}

/** Named types appear once in a composed schema; later uses are names. Index them to follow references. */
function namedRecords(schema: unknown, out = new Map<string, { fields: Field[] }>()) {
  if (Array.isArray(schema)) schema.forEach((branch) => namedRecords(branch, out));
  else if (schema !== null && typeof schema === 'object') {
    const node = schema as Json;
    if (node.type === 'record') {
      out.set(String(node.name), node as unknown as { fields: Field[] });
      (node.fields as Field[]).forEach((f) => namedRecords(f.type, out));
    } else if (node.type === 'array') namedRecords(node.items, out);
  }
  return out;
}

function recordOf(type: unknown, named: Map<string, { fields: Field[] }>): { fields: Field[] } | null {
  const branch = Array.isArray(type) ? type.find((t) => t !== 'null') : type;
  if (typeof branch === 'string') return named.get(branch) ?? null;
  const node = branch as Json | undefined;
  if (node?.type === 'array') return recordOf(node.items, named);
  return avroRecord(branch);
}

/** Walks an Avro record and its OpenAPI object side by side, calling `visit` on every Avro field. */
function walk(
  record: { fields: Field[] },
  openapi: ReturnType<typeof resolve>,
  at: string,
  named: Map<string, { fields: Field[] }>,
  visit: (at: string, field: Field | undefined, name: string, documented: boolean) => void,
  seen: Set<string> = new Set(),
): void {
  const byName = new Map(record.fields.map((field) => [field.name, field]));
  for (const name of new Set([...byName.keys(), ...Object.keys(openapi.properties)])) {
    const field = byName.get(name);
    const documented = name in openapi.properties;
    visit(`${at}.${name}`, field, name, documented);
    const nested = field === undefined ? null : recordOf(field.type, named);
    if (nested !== null && documented && !seen.has(`${at}.${name}`)) {
      walk(
        nested,
        openapiObject(openapi.properties[name]),
        `${at}.${name}`,
        named,
        visit,
        new Set(seen).add(`${at}.${name}`),
      );
    }
  }
}

(specPresent ? describe : describe.skip).each(STREAMS.map((stream) => [stream]))(
  '%s against the OpenAPI object',
  (stream) => {
    const record = loadStreamSchemas(stream).record as { fields: Field[] };
    const named = namedRecords(record);
    const openapi = resolve({ $ref: `#/components/schemas/${OPENAPI_OBJECT[stream]}` });

    it('captures every documented timestamp as a timestamp-millis field, at every level it maps', () => {
      const missing: string[] = [];
      walk(record, openapi, stream, named, (at, field, name, documented) => {
        if (
          documented &&
          TIMESTAMP_NAME.test(name) &&
          (field === undefined || !isTimestampMillis(field.type))
        )
          missing.push(at);
      });
      expect(missing).toEqual([]);
    });

    it('has only fields the OpenAPI object documents (plus the connector-added ones)', () => {
      const invented: string[] = [];
      walk(record, openapi, stream, named, (at, field, _name, documented) => {
        if (field !== undefined && !documented && !CONNECTOR_FIELDS.has(at)) invented.push(at);
      });
      expect(invented).toEqual([]);
    });

    it('maps each documented timestamp of the fixture to its exact milliseconds', () => {
      const raw = JSON.parse(readFileSync(path.join(FIXTURES, `${stream}.json`), 'utf8')) as Json;
      const after = mapRecord(loadStreamSchemas(stream).record, { ...raw, conversation_id: '507' }, stream);
      const documented = Object.keys(raw).filter(
        (key) => TIMESTAMP_NAME.test(key) && key in openapi.properties,
      );
      const expected = Object.fromEntries(documented.map((key) => [key, toEpochMillis(raw[key], key)]));
      const actual = Object.fromEntries(documented.map((key) => [key, after[key]]));
      expect(actual).toEqual(expected);
      if (stream !== 'admins' && stream !== 'teams' && stream !== 'tags')
        expect(documented.length).toBeGreaterThan(0);
    });
  },
);

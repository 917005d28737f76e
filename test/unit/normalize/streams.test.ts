import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as avro from 'avsc';
import { EventCodec } from '../../../src/kafka/wire';
import { encodeRecord, EventWriter, loadStreamSchemas, toEpochMillis } from '../../../src/normalize';
import { mapRecord } from '../../helpers/mapping';
import { STREAMS, type StreamName } from '../../../src/streams';

type Json = Record<string, unknown>;
const FIXTURES = path.resolve(__dirname, '../../fixtures/intercom');

function fixture(stream: StreamName): Json {
  return JSON.parse(readFileSync(path.join(FIXTURES, `${stream}.json`), 'utf8')) as Json;
}

/** What the streams module hands to the record writer: the API object, plus the parent id for parts. */
function input(stream: StreamName): Json {
  return stream === 'conversation_parts' ? { ...fixture(stream), conversation_id: '507' } : fixture(stream);
}

function isTimestamp(type: unknown): boolean {
  const branch = Array.isArray(type) ? type.find((t) => t !== 'null') : type;
  return (branch as Json | undefined)?.logicalType === 'timestamp-millis';
}

describe.each(STREAMS.map((stream) => [stream]))('stream %s', (stream) => {
  const schemas = loadStreamSchemas(stream);
  const raw = input(stream);
  const after = mapRecord(schemas.record, raw, stream);

  it('maps the official-shaped fixture to a valid record', () => {
    const recordType = avro.Type.forSchema(schemas.record as avro.Schema);
    const problems: string[] = [];
    recordType.isValid(after, { errorHook: (p) => problems.push(p.join('.')) });
    expect(problems).toEqual([]);
    expect(after.id).toBe(raw.id ?? null);
  });

  it('turns every top-level timestamp into exact epoch milliseconds', () => {
    const fields = (schemas.record as { fields: Array<{ name: string; type: unknown }> }).fields;
    const timestamps = fields.filter((field) => isTimestamp(field.type));
    for (const { name } of timestamps) {
      const value = raw[name];
      expect([name, after[name]]).toEqual([
        name,
        value === undefined || value === null ? null : Number(value) * 1000,
      ]);
    }
  });

  it('writes the event as avsc reads and writes it back, byte for byte', () => {
    const updatedAt = typeof after.updated_at === 'number' ? after.updated_at : null;
    const source = {
      connector: 'intercom-cdc',
      workspace_id: 'ecahpwf5',
      stream,
      api_version: '2.14',
      snapshot: false,
      updated_at: updatedAt,
      prev_updated_at: null,
      version: '0.1.0',
      ts_ms: updatedAt ?? 1734700000123,
      snapshot_debezium: 'false' as const,
    };
    const codec = new EventCodec(schemas, { key: 1, value: 2 });
    const value = codec.event({
      op: 'c',
      tsMs: 1734700000123,
      source,
      after: encodeRecord(new EventWriter(schemas.value).record, raw, stream),
      raw: Buffer.from(JSON.stringify(raw)),
    });
    const valueType = avro.Type.forSchema(schemas.value as avro.Schema);
    const keyType = avro.Type.forSchema(schemas.key as avro.Schema);
    const decoded = valueType.fromBuffer(value.subarray(5)) as { raw: string };
    const expected = {
      op: 'c',
      ts_ms: 1734700000123,
      source,
      before: null,
      after,
      raw: JSON.stringify(raw),
    };
    expect(decoded).toEqual(expected);
    expect(valueType.toBuffer(decoded).equals(value.subarray(5))).toBe(true);
    expect(JSON.parse(decoded.raw)).toEqual(raw);
    const key = codec.key(String(raw.id ?? raw.name));
    expect(keyType.fromBuffer(key.subarray(5))).toEqual({ id: String(raw.id ?? raw.name) });
  });
});

describe('values that need care', () => {
  const mapped = (stream: StreamName) =>
    mapRecord(loadStreamSchemas(stream).record, input(stream), stream) as Json;

  it('keeps custom attribute values as sent: ISO dates stay strings, numbers stay numbers', () => {
    const contact = mapped('contacts');
    expect(contact.custom_attributes).toEqual({
      paid_subscriber: true,
      monthly_spend: 155.5,
      team_mates: 9,
      plan: 'growth',
      trial_ends_iso: '2025-01-15T09:30:00Z',
      renewal_date: 1737019800,
    });
    expect((mapped('companies').custom_attributes as Json).contract_start).toBe('2024-03-01T00:00:00Z');
  });

  it('keeps relationship attributes and list-valued ticket attributes as JSON text', () => {
    const related = (mapped('conversations').custom_attributes as Json).related_orders as string;
    expect(JSON.parse(related)).toEqual((fixture('conversations').custom_attributes as Json).related_orders);
    const screenshots = (mapped('tickets').ticket_attributes as Json).screenshots as string;
    expect(JSON.parse(screenshots)[0].name).toBe('vat.png');
  });

  it('maps nested timestamps and nested lists', () => {
    const conversation = mapped('conversations');
    const statistics = conversation.statistics as Json;
    expect(statistics.first_contact_reply_at).toBe(1734537521000);
    expect(statistics.first_close_at).toBeNull();
    expect(statistics.assigned_team_first_response_time).toEqual([
      { team_id: 5017691, team_name: 'Billing', response_time: 1210 },
    ]);
    const tags = (conversation.tags as { tags: Json[] }).tags;
    expect(tags[0]).toEqual({
      type: 'tag',
      id: '123456',
      name: 'billing',
      applied_at: 1734538000000,
      applied_by: { type: 'admin', id: '991267715' },
    });
    expect((mapped('tickets').ticket_type as Json).created_at).toBe(1730000000000);
    expect((mapped('contacts').notes as Json).has_more).toBe(true);
  });

  it('keeps the documented id types: integer ids as long, string ids as strings', () => {
    expect(mapped('conversations').admin_assignee_id).toBe(991267715);
    expect(mapped('tickets').admin_assignee_id).toBe('0');
    expect(mapped('admins').team_ids).toEqual([5017691, 814865]);
    expect(mapped('data_attributes').id).toBe(12878);
  });

  it('stores the parent conversation of a part, which the streams module must supply', () => {
    expect(mapped('conversation_parts').conversation_id).toBe('507');
    const schema = loadStreamSchemas('conversation_parts').record;
    expect(() => mapRecord(schema, fixture('conversation_parts'), 'conversation_parts')).toThrow(
      /^conversation_parts\.conversation_id: required/,
    );
  });

  it('gives the same millis for a fixture timestamp as toEpochMillis', () => {
    expect(mapped('segments').updated_at).toBe(
      toEpochMillis(fixture('segments').updated_at, 'segments.updated_at'),
    );
  });
});

import * as avro from 'avsc';
import { CdcError } from '../../../src/errors';
import {
  AvroWriter,
  encodeRecord,
  EventWriter,
  KeyWriter,
  loadStreamSchemas,
  MappingError,
  SchemaError,
  type EventArgs,
  type SourceInfo,
} from '../../../src/normalize';
import { mapRecord } from '../../helpers/mapping';
import tag from '../../fixtures/intercom/tags.json';

const source: SourceInfo = {
  connector: 'intercom-cdc',
  workspace_id: 'ecahpwf5',
  stream: 'tags',
  api_version: '2.14',
  snapshot: true,
  updated_at: null,
  prev_updated_at: null,
  version: '0.1.0',
  ts_ms: 1734700000000,
  snapshot_debezium: 'true',
};
const schemas = loadStreamSchemas('tags');
const valueType = avro.Type.forSchema(schemas.value as avro.Schema);
const writer = new EventWriter(schemas.value);
/** The tag as the stream's record, in Avro binary: what a reading carries as `after`. */
const after = encodeRecord(writer.record, tag, 'tags');

/** The value the writer writes, and what avsc reads back from it. */
function roundTrip(args: EventArgs) {
  const w = new AvroWriter(16);
  w.start();
  writer.write(w, args);
  const bytes = w.finish();
  const decoded = valueType.fromBuffer(bytes) as Record<string, unknown>;
  return { bytes, decoded };
}

describe('EventWriter', () => {
  it('writes the documented envelope with the record written before, as avsc encodes it', () => {
    const raw = JSON.stringify(tag);
    const { bytes, decoded } = roundTrip({
      op: 'r',
      tsMs: 1734700000123,
      source,
      after,
      raw: Buffer.from(raw),
    });
    const expected = {
      op: 'r',
      ts_ms: 1734700000123,
      source,
      before: null,
      after: mapRecord(schemas.record, tag, 'tags'),
      raw,
    };
    expect(decoded).toEqual(expected);
    expect(bytes.equals(valueType.toBuffer(expected))).toBe(true);
  });

  it('writes a delete: op d without after and without raw', () => {
    const args: EventArgs = {
      op: 'd',
      tsMs: 1734700000123,
      source: {
        ...source,
        snapshot: false,
        updated_at: 1734537424000,
        prev_updated_at: 1734537000000,
        snapshot_debezium: 'false',
      },
      after: null,
      raw: null,
      before: { id: '17', updatedAtMs: 1734537000000 },
    };
    const { bytes, decoded } = roundTrip(args);
    const before = { ...mapRecord(schemas.record, { id: '17' }, 'tags') };
    const expected = { op: 'd', ts_ms: args.tsMs, source: args.source, before, after: null, raw: null };
    expect(decoded).toEqual(expected);
    expect(bytes.equals(valueType.toBuffer(expected))).toBe(true);
  });

  it('writes only the documented source fields', () => {
    const noisy = { ...source, token: 'must-not-leak' } as SourceInfo;
    const { bytes, decoded } = roundTrip({ op: 'c', tsMs: 1, source: noisy, after, raw: null });
    expect(decoded.source).toEqual(source);
    expect(bytes.includes('must-not-leak')).toBe(false);
  });

  it('names the field of an object that does not fit the record, under the stream', () => {
    const bad = { ...tag, applied_at: 'someday' };
    const run = () => encodeRecord(writer.record, bad, 'tags');
    expect(run).toThrow(MappingError);
    expect(run).toThrow(/^tags\.applied_at: /);
  });

  it.each<[string, EventArgs]>([
    ['a delete with an object', { op: 'd', tsMs: 1, source, after, raw: null }],
    ['a create without an object', { op: 'c', tsMs: 1, source, after: null, raw: null }],
    ['an update without an object', { op: 'u', tsMs: 1, source, after: null, raw: null }],
    ['a read without an object', { op: 'r', tsMs: 1, source, after: null, raw: null }],
    ['seconds with a fraction as ts_ms', { op: 'c', tsMs: 1734700000.5, source, after, raw: null }],
    [
      'NaN as updated_at',
      { op: 'c', tsMs: 1, source: { ...source, updated_at: Number.NaN }, after, raw: null },
    ],
  ])('refuses %s', (_label, args) => {
    expect(() => roundTrip(args)).toThrow(CdcError);
    expect(() => roundTrip(args)).toThrow(/^event writer: /);
  });

  it.each<[string, EventArgs]>([
    ['a delete without before', { op: 'd', tsMs: 1, source, after: null, raw: null }],
    [
      'an update with before',
      { op: 'u', tsMs: 1, source, after, raw: null, before: { id: '17', updatedAtMs: null } },
    ],
    ['NaN as source.ts_ms', { op: 'c', tsMs: 1, source: { ...source, ts_ms: Number.NaN }, after, raw: null }],
  ])('refuses %s (before and source.ts_ms)', (_label, args) => {
    expect(() => roundTrip(args)).toThrow(CdcError);
    expect(() => roundTrip(args)).toThrow(/^event writer: /);
  });

  it('writes the key image of a deleted contact as before: id and updated_at, the required created_at zero', () => {
    const contacts = loadStreamSchemas('contacts');
    const w = new AvroWriter(16);
    w.start();
    new EventWriter(contacts.value).write(w, {
      op: 'd',
      tsMs: 1734700000123,
      source: { ...source, stream: 'contacts', snapshot: false, snapshot_debezium: 'false' },
      after: null,
      raw: null,
      before: { id: '6657a1b2c3', updatedAtMs: 1734537000000 },
    });
    const decoded = avro.Type.forSchema(contacts.value as avro.Schema).fromBuffer(w.finish()) as {
      before: Record<string, unknown>;
      after: unknown;
    };
    expect(decoded.after).toBeNull();
    expect(decoded.before).toMatchObject({ id: '6657a1b2c3', created_at: 0 });
    expect(decoded.before.updated_at).toBe(1734537000000);
    const others = Object.entries(decoded.before).filter(
      ([name, value]) => !['id', 'created_at', 'updated_at'].includes(name) && value !== null,
    );
    expect(others).toEqual([]);
  });

  it('refuses an envelope schema other than the one it writes', () => {
    const value = schemas.value as { fields: unknown[] };
    expect(() => new EventWriter({ ...value, fields: value.fields.slice(0, 4) })).toThrow(SchemaError);
    const swapped = [value.fields[1], value.fields[0], ...value.fields.slice(2)];
    expect(() => new EventWriter({ ...value, fields: swapped })).toThrow(SchemaError);
  });
});

describe('KeyWriter', () => {
  it('writes the record Key {id} as avsc does', () => {
    const keyType = avro.Type.forSchema(schemas.key as avro.Schema);
    const w = new AvroWriter(4);
    w.start();
    new KeyWriter(schemas.key).write(w, 'ü-123456');
    expect(w.finish().equals(keyType.toBuffer({ id: 'ü-123456' }))).toBe(true);
  });

  it('refuses a key schema other than Key {id: string}', () => {
    expect(
      () => new KeyWriter({ type: 'record', name: 'Key', fields: [{ name: 'id', type: 'long' }] }),
    ).toThrow(SchemaError);
  });
});

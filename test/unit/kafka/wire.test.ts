import avro from 'avsc';
import { EventCodec } from '../../../src/kafka/wire';
import { encodeRecord, EventWriter, loadStreamSchemas, type EventArgs } from '../../../src/normalize';
import tag from '../../fixtures/intercom/tags.json';

const schemas = loadStreamSchemas('tags');
const valueType = avro.Type.forSchema(schemas.value as avro.Schema);
const keyType = avro.Type.forSchema(schemas.key as avro.Schema);
const source = {
  connector: 'cdc',
  workspace_id: 'ws',
  stream: 'tags' as const,
  api_version: '2.14',
  snapshot: false,
  updated_at: null,
  prev_updated_at: null,
  version: '0.1.0',
  ts_ms: 1,
  snapshot_debezium: 'false' as const,
};
const after = encodeRecord(new EventWriter(schemas.value).record, tag, 'tags');
const event = (raw: string | null): EventArgs => ({
  op: 'c',
  tsMs: 1,
  source,
  after,
  raw: raw === null ? null : Buffer.from(raw),
});

describe('EventCodec', () => {
  it.each([
    ['a small value', 'small'],
    ['a value larger than the scratch buffer', 'x'.repeat(100_000)],
    ['a small value after a large one', 'é'],
  ])('writes %s as magic byte 0, the big-endian schema id, then the Avro body', (name, raw) => {
    const codec = new EventCodec(schemas, { key: 0x0a0b0c0d, value: 0x01020304 });
    if (name.includes('after')) codec.event(event('y'.repeat(50_000)));
    const value = codec.event(event(raw));
    expect(value.subarray(0, 5)).toEqual(Buffer.from([0, 1, 2, 3, 4]));
    expect((valueType.fromBuffer(value.subarray(5)) as { raw: string }).raw).toBe(raw);
    const key = codec.key('123456');
    expect(key.subarray(0, 5)).toEqual(Buffer.from([0, 0x0a, 0x0b, 0x0c, 0x0d]));
    expect(keyType.fromBuffer(key.subarray(5))).toEqual({ id: '123456' });
  });

  it('writes the UTF-8 bytes of raw as the value’s last bytes, or null without raw', () => {
    const codec = new EventCodec(schemas, { key: 1, value: 2 });
    const raw = '{"name":"café ☕"}';
    const written = codec.event(event(raw));
    expect(written.subarray(written.length - Buffer.byteLength(raw))).toEqual(Buffer.from(raw, 'utf8'));
    expect((valueType.fromBuffer(codec.event(event(null)).subarray(5)) as { raw: unknown }).raw).toBeNull();
  });

  it('returns buffers that later encodings do not overwrite', () => {
    const codec = new EventCodec(schemas, { key: 1, value: 7 });
    const first = codec.event(event('one'));
    const copy = Buffer.from(first);
    codec.event(event('two'));
    codec.key('other');
    expect(first).toEqual(copy);
  });
});

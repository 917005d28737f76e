import avro from 'avsc';
import { AvroCodec } from '../../../src/kafka/wire';

const SCHEMA = {
  type: 'record',
  name: 'Row',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'note', type: ['null', 'string'] },
  ],
};

describe('AvroCodec', () => {
  const type = avro.Type.forSchema(SCHEMA as avro.Schema);

  it.each([
    ['a small value', { id: 'a', note: null }],
    ['a value larger than the scratch buffer', { id: 'b', note: 'x'.repeat(100_000) }],
    ['a small value after a large one', { id: 'c', note: 'é' }],
  ])('writes %s as magic byte 0, the big-endian schema id, then the Avro body', (_name, value) => {
    const codec = new AvroCodec(SCHEMA, 0x01020304);
    if (value.id === 'c') codec.encode({ id: 'big', note: 'y'.repeat(50_000) });
    const encoded = codec.encode(value);
    expect(encoded.subarray(0, 5)).toEqual(Buffer.from([0, 1, 2, 3, 4]));
    expect(encoded.subarray(5)).toEqual(type.toBuffer(value));
    expect(type.fromBuffer(encoded.subarray(5))).toEqual(value);
  });

  it('returns buffers that later encodings do not overwrite', () => {
    const codec = new AvroCodec(SCHEMA, 7);
    const first = codec.encode({ id: 'first', note: 'one' });
    const copy = Buffer.from(first);
    codec.encode({ id: 'second', note: 'two' });
    expect(first).toEqual(copy);
  });

  it('throws for a value that does not fit the schema', () => {
    expect(() => new AvroCodec(SCHEMA, 1).encode({ id: 5 })).toThrow();
  });
});

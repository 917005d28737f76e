import * as avro from 'avsc';
import { AvroWriter, writeRecord } from '../../src/normalize';

const types = new WeakMap<object, avro.Type>();

/**
 * The typed record the connector writes for `raw` (writeRecord), read back by avsc: what a consumer
 * decodes. Also checks that the bytes are exactly those avsc writes for that record, so that a test of
 * the mapping is a test of the encoding too. Throws what writeRecord throws (MappingError, SchemaError).
 */
export function mapRecord(recordSchema: object, raw: unknown, path: string): Record<string, unknown> {
  const w = new AvroWriter(64);
  w.start();
  writeRecord(w, recordSchema, raw, path);
  const bytes = w.finish();
  let type = types.get(recordSchema);
  if (type === undefined) types.set(recordSchema, (type = avro.Type.forSchema(recordSchema as avro.Schema)));
  const decoded = type.fromBuffer(bytes) as Record<string, unknown>;
  const again = type.toBuffer(decoded);
  if (!again.equals(bytes))
    throw new Error(`the writer's bytes differ from avsc's for the same record: ${bytes.toString('hex')}`);
  return decoded;
}

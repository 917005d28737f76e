/** The pure core of capture: timestamps, hashing, schemas, typed mapping and envelopes, written as
 * Avro. No I/O besides reading the schema files once. */
export { MappingError, SchemaError } from './errors';
export { MILLIS_THRESHOLD, toEpochMillis } from './timestamp';
export { canonicalJson, contentHash, hashOfCanonical } from './hash';
export { defaultSchemasDir, loadConnectorSchemas, loadStreamSchemas, schemaNamespace } from './schemas';
export type { ConnectorSchemas, StreamName, StreamSchemas } from './schemas';
export { AvroWriter } from './avro-writer';
export { encodeRecord, recordWriter, writeRecord } from './record-writer';
export { EventWriter, KeyWriter } from './envelope';
export type { EventArgs, Op, SourceInfo } from './envelope';
export { MAX_DEPTH, UnsafeObjectError, assertSafeJson, safeCanonicalJson, stringifyDeep } from './inspect';
export {
  failed,
  isJsonObject,
  problemOf,
  read,
  untimed,
  updatedAtOf,
  type FailedReading,
  type GoodReading,
  type Problem,
  type Reading,
  type ReadingRules,
} from './reading';

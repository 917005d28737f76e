/** The pure core of capture: timestamps, hashing, schemas, typed mapping and envelopes. No I/O besides
 * reading the schema files once. */
export { MappingError, SchemaError } from './errors';
export { MILLIS_THRESHOLD, toEpochMillis } from './timestamp';
export { canonicalJson, contentHash, hashOfCanonical } from './hash';
export { defaultSchemasDir, loadStreamSchemas, schemaNamespace } from './schemas';
export type { StreamName, StreamSchemas } from './schemas';
export { mapRecord } from './mapper';
export { buildEnvelope } from './envelope';
export type { EnvelopeArgs, EnvelopeValue, Op, SourceInfo } from './envelope';
export { MAX_DEPTH, UnsafeObjectError, assertSafeJson, stringifyDeep } from './inspect';

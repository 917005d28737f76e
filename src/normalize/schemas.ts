import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { STREAMS, type StreamName } from '../streams/names';
import { SchemaError } from './errors';

/** The stream names are src/streams'; the type is repeated here for the modules of this layer. */
export type { StreamName };

/** The Avro namespace of a stream's key, envelope and record: `io.intercomcdc.<stream>`. */
export function schemaNamespace(stream: StreamName): string {
  return `io.intercomcdc.${stream}`;
}

/** The three self-contained Avro schemas of a stream, deeply frozen. `record` is what the record writer compiles;
 * `value` (record Envelope) and `key` (record Key {id}) are what the registry and the topic carry. */
export interface StreamSchemas {
  readonly key: object;
  readonly value: object;
  readonly record: object;
}

/** Placeholder in envelope.avsc for the stream's record (`before` and `after: ["null", "$record"]`): the
 * first use defines the record, the second refers to it by name. */
const RECORD_PLACEHOLDER = '$record';
const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);
const NAMED_KINDS = new Set(['record', 'enum', 'fixed']);

type Json = Record<string, unknown>;
type Pool = ReadonlyMap<string, Json>;
interface SchemaFiles {
  /** Every top-level record of `types/*.avsc` and of the stream files, by name. */
  readonly named: Pool;
  readonly streams: ReadonlyMap<StreamName, Json>;
}

const cache = new Map<string, StreamSchemas>();
const filesByDir = new Map<string, SchemaFiles>();

/**
 * Loads and composes the schemas of one stream from `dir` (default: the repository's `schemas/`).
 * Files: `envelope.avsc` (Envelope with Op and Source), `key.avsc` (Key), `<stream>.avsc` (the
 * stream's record) and `types/*.avsc` (shared records). A stream file refers to a shared record, or to
 * another stream's record, by its name; composition inlines each named type at its first use, so every
 * result is self-contained. Results are cached per directory and stream. Throws SchemaError when a file
 * is missing or malformed, a name is unknown, or a name is defined twice.
 */
export function loadStreamSchemas(stream: StreamName, dir: string = defaultSchemasDir()): StreamSchemas {
  const cacheKey = `${dir}\0${stream}`;
  const cached = cache.get(cacheKey);
  if (cached !== undefined) return cached;
  const { named: pool, streams } = readSchemaFiles(dir);
  const streamRecord = streams.get(stream) as Json;
  const namespace = schemaNamespace(stream);
  const record = { ...(inline(streamRecord, pool, new Set()) as Json), namespace };
  const withRecord = new Map(pool).set(RECORD_PLACEHOLDER, streamRecord);
  const value = { ...(inline(readSchema(dir, 'envelope.avsc'), withRecord, new Set()) as Json), namespace };
  const key = { ...(inline(readSchema(dir, 'key.avsc'), pool, new Set()) as Json), namespace };
  const schemas = deepFreeze({ key, value, record });
  cache.set(cacheKey, schemas);
  return schemas;
}

/** The repository's `schemas/` folder: the nearest ancestor of this file's folder that holds
 * `schemas/envelope.avsc` (src/normalize under ts-jest or tsx, dist/src/normalize after tsc). */
export function defaultSchemasDir(start: string = __dirname): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'schemas');
    if (existsSync(path.join(candidate, 'envelope.avsc'))) return candidate;
    if (path.dirname(dir) === dir) throw new SchemaError(`schemas: no schemas/envelope.avsc above ${start}`);
  }
}

function readSchemaFiles(dir: string): SchemaFiles {
  const cached = filesByDir.get(dir);
  if (cached !== undefined) return cached;
  const typesDir = path.join(dir, 'types');
  const typeFiles = existsSync(typesDir) ? readdirSync(typesDir).filter((f) => f.endsWith('.avsc')) : [];
  const named = new Map<string, Json>();
  const add = (file: string): Json => {
    const schema = readSchema(dir, file);
    if (schema.type !== 'record' || typeof schema.name !== 'string' || schema.name.includes('.')) {
      throw new SchemaError(`schemas: ${file} must be a record with a simple name (no namespace)`);
    }
    if (named.has(schema.name))
      throw new SchemaError(`schemas: record ${schema.name} is defined twice (${file})`);
    named.set(schema.name, schema);
    return schema;
  };
  typeFiles.sort().forEach((file) => add(path.join('types', file)));
  const streams = new Map(STREAMS.map((stream) => [stream, add(`${stream}.avsc`)] as const));
  const files = { named, streams };
  filesByDir.set(dir, files);
  return files;
}

function readSchema(dir: string, file: string): Json {
  const full = path.join(dir, file);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(full, 'utf8'));
  } catch (error) {
    throw new SchemaError(`schemas: cannot read ${full}`, error);
  }
  if (!isObject(parsed)) throw new SchemaError(`schemas: ${full} is not a JSON object`);
  return parsed;
}

/** A copy of `schema` where each name from `pool` is replaced by its definition at its first use;
 * `defined` collects the names defined so far, in document order (Avro's rule for references). */
function inline(schema: unknown, pool: Pool, defined: Set<string>): unknown {
  if (typeof schema === 'string') {
    if (PRIMITIVES.has(schema) || defined.has(schema)) return schema;
    const definition = pool.get(schema);
    if (definition === undefined) throw new SchemaError(`schemas: unknown type ${schema}`);
    // A second use of the same pool entry (the envelope's "$record", in `before` and `after`) is a
    // reference by name to the definition its first use inlined. `\0` keeps these marks apart from names.
    if (defined.has(`\0${schema}`)) return String(definition.name);
    defined.add(`\0${schema}`);
    return inline(definition, pool, defined);
  }
  if (Array.isArray(schema)) return schema.map((branch) => inline(branch, pool, defined));
  if (!isObject(schema)) throw new SchemaError(`schemas: invalid type ${JSON.stringify(schema)}`);
  const copy: Json = { ...schema };
  if (NAMED_KINDS.has(String(copy.type))) {
    const name = String(copy.name);
    if (defined.has(name)) throw new SchemaError(`schemas: type ${name} is defined twice`);
    defined.add(name);
  }
  if (copy.type === 'record') {
    copy.fields = (copy.fields as Json[]).map((field) => ({
      ...field,
      type: inline(field.type, pool, defined),
    }));
  } else if (copy.type === 'array') {
    copy.items = inline(copy.items, pool, defined);
  } else if (copy.type === 'map') {
    copy.values = inline(copy.values, pool, defined);
  }
  return copy;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** The schemas of the connector's own topics (`schemas/connector/`): their key, heartbeat and notification. */
export interface ConnectorSchemas {
  readonly key: object;
  readonly heartbeat: object;
  readonly notification: object;
}

/**
 * Loads `connector/key.avsc`, `connector/heartbeat.avsc` and `connector/notification.avsc` from `dir`
 * (default: the repository's `schemas/`), deeply frozen. Throws SchemaError when a file is missing or
 * is not a JSON object.
 */
export function loadConnectorSchemas(dir: string = defaultSchemasDir()): ConnectorSchemas {
  return deepFreeze({
    key: readSchema(dir, path.join('connector', 'key.avsc')),
    heartbeat: readSchema(dir, path.join('connector', 'heartbeat.avsc')),
    notification: readSchema(dir, path.join('connector', 'notification.avsc')),
  });
}

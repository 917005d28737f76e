import { MappingError, SchemaError } from './errors';
import { toEpochMillis } from './timestamp';

/**
 * Maps one JSON value to the value its Avro type expects, or throws MappingError with the path of the
 * bad field relative to this value ('' for the value itself, `.city`, `[2].id`). The path is spelled
 * out only when a field fails: each record, array and map adds its step while the error passes out.
 */
type FieldMapper = (value: unknown) => unknown;
type RecordMapper = (raw: unknown) => Record<string, unknown>;
type Json = Record<string, unknown>;

const compiled = new WeakMap<object, RecordMapper>();

/**
 * Builds the typed record of `recordSchema` (an Avro record schema, self-contained, as loadStreamSchemas
 * returns it) from the JSON object `raw`, by field name. The result is valid for avsc
 * (`Type.forSchema(recordSchema).isValid(result)`), or MappingError names the field path, starting with
 * `path` (e.g. `contacts` → `contacts.location.city`, `conversations.tags.tags[0].id`).
 *
 * Rules: JSON fields the schema lacks are ignored (the envelope's raw keeps them); a nullable field
 * (`["null", X]`) that is absent or null becomes null; a non-null field that is absent or null is an
 * error. `timestamp-millis` takes every form toEpochMillis accepts. Coercions only where lossless and
 * unambiguous: numeric string → long/int/double, safe integer → string, "true"/"false" → boolean.
 * A scalar union such as custom attributes' `["null","boolean","double","string"]` keeps the JSON type
 * (strings are not parsed) and stores a list or object as its JSON text.
 *
 * The schema is compiled once into a mapping function, cached per schema object: pass the same object
 * (loadStreamSchemas caches it) on every call. A schema the mapper cannot handle throws SchemaError.
 */
export function mapRecord(recordSchema: object, raw: unknown, path: string): Record<string, unknown> {
  let mapper = compiled.get(recordSchema);
  if (mapper === undefined) {
    if ((recordSchema as Json).type !== 'record')
      throw new SchemaError('mapRecord: the schema is not a record');
    mapper = compileType(recordSchema, '', new Map()) as RecordMapper;
    compiled.set(recordSchema, mapper);
  }
  try {
    return mapper(raw);
  } catch (error) {
    throw error instanceof MappingError ? error.under(path) : error;
  }
}

/** The error of a field one step inside: `step` (`.name`, `[3]`) goes before its path. */
function inside(error: unknown, step: string): unknown {
  return error instanceof MappingError ? error.under(step) : error;
}

/** Named types compiled so far, by full name: later references by name reuse them. */
type Named = Map<string, FieldMapper>;

function compileType(schema: unknown, namespace: string, named: Named): FieldMapper {
  if (Array.isArray(schema)) return compileUnion(schema, namespace, named);
  return required(compileBase(schema, namespace, named));
}

/** A mapper for a non-null type; the caller decides what null or absent means. */
function compileBase(schema: unknown, namespace: string, named: Named): FieldMapper {
  if (typeof schema === 'string') {
    const primitive = PRIMITIVE_MAPPERS[schema];
    if (primitive !== undefined) return primitive;
    const reference = named.get(fullName(schema, namespace));
    if (reference === undefined) throw new SchemaError(`mapRecord: unknown type ${schema}`);
    return reference;
  }
  const type = (schema as Json | null)?.type;
  const node = schema as Json;
  if (type === 'record') return compileRecord(node, namespace, named);
  if (type === 'array') return compileArray(compileType(node.items, namespace, named));
  if (type === 'map') return compileMap(compileType(node.values, namespace, named));
  if (type === 'long' && node.logicalType === 'timestamp-millis') return (value) => toEpochMillis(value, '');
  if (typeof type === 'string' && PRIMITIVE_MAPPERS[type] !== undefined) return PRIMITIVE_MAPPERS[type];
  throw new SchemaError(`mapRecord: unsupported schema ${JSON.stringify(schema)}`);
}

function compileRecord(schema: Json, namespace: string, named: Named): FieldMapper {
  const name = fullName(
    String(schema.name),
    typeof schema.namespace === 'string' ? schema.namespace : namespace,
  );
  const ownNamespace = name.includes('.') ? name.slice(0, name.lastIndexOf('.')) : '';
  // Registered before the fields are compiled, so that the fields may refer to this record by name.
  named.set(name, (value) => mapFields(value));
  const fields = (schema.fields as Json[]).map((field) => ({
    name: String(field.name),
    map: compileType(field.type, ownNamespace, named),
  }));
  const mapFields = (value: unknown): Record<string, unknown> => {
    if (!isJsonObject(value)) throw new MappingError('', 'expected an object', value);
    const out: Record<string, unknown> = {};
    let i = 0;
    try {
      for (; i < fields.length; i++) {
        const field = fields[i]!;
        out[field.name] = field.map(value[field.name]);
      }
    } catch (error) {
      throw inside(error, `.${fields[i]!.name}`);
    }
    return out;
  };
  return mapFields;
}

function compileArray(items: FieldMapper): FieldMapper {
  return (value) => {
    if (!Array.isArray(value)) throw new MappingError('', 'expected an array', value);
    const out = new Array<unknown>(value.length);
    let i = 0;
    try {
      for (; i < value.length; i++) out[i] = items(value[i]);
    } catch (error) {
      throw inside(error, `[${i}]`);
    }
    return out;
  };
}

function compileMap(values: FieldMapper): FieldMapper {
  return (value) => {
    if (!isJsonObject(value)) throw new MappingError('', 'expected an object', value);
    const out: Record<string, unknown> = {};
    let current = '';
    try {
      for (const key of Object.keys(value)) {
        current = key;
        out[key] = values(value[key]);
      }
    } catch (error) {
      throw inside(error, `.${current}`);
    }
    return out;
  };
}

/** `["null", X]` (or `[X]`) maps like X, null when absent; a union of several scalar types maps each
 * JSON scalar to the branch of its own type. No other union is allowed. */
function compileUnion(branches: unknown[], namespace: string, named: Named): FieldMapper {
  const nullable = branches.includes('null');
  const others = branches.filter((branch) => branch !== 'null');
  let base: FieldMapper;
  if (others.length === 1) base = compileBase(others[0], namespace, named);
  else if (others.every((branch) => typeof branch === 'string' && branch in SCALAR_BRANCH))
    base = scalarUnion(others as string[]);
  else throw new SchemaError(`mapRecord: unsupported union ${JSON.stringify(branches)}`);
  return nullable ? (value) => (value === null || value === undefined ? null : base(value)) : required(base);
}

/** Which JSON type each scalar Avro branch takes. */
const SCALAR_BRANCH: Record<string, 'boolean' | 'number' | 'string'> = {
  boolean: 'boolean',
  int: 'number',
  long: 'number',
  float: 'number',
  double: 'number',
  string: 'string',
};

function scalarUnion(branches: string[]): FieldMapper {
  const byJsonType = new Map(
    branches.map((branch) => [SCALAR_BRANCH[branch], PRIMITIVE_MAPPERS[branch]] as const),
  );
  const expected = `expected one of ${branches.join(', ')}`;
  return (value) => {
    const jsonType = typeof value;
    const mapper = byJsonType.get(jsonType as 'boolean' | 'number' | 'string');
    if (mapper !== undefined) return mapper(value);
    if (jsonType === 'object' && byJsonType.has('string')) return JSON.stringify(value);
    throw new MappingError('', expected, value);
  };
}

function required(base: FieldMapper): FieldMapper {
  return (value) => {
    if (value === null || value === undefined) throw new MappingError('', 'required value is missing', value);
    return base(value);
  };
}

const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const INT32 = 2 ** 31;

function toLong(value: unknown): number {
  const n = typeof value === 'string' && INTEGER.test(value) ? Number(value) : value;
  if (typeof n === 'number' && Number.isSafeInteger(n)) return n;
  throw new MappingError('', 'expected an integer (long)', value);
}

function toInt(value: unknown): number {
  const n = toLong(value);
  if (n < -INT32 || n >= INT32) throw new MappingError('', 'expected a 32-bit integer (int)', value);
  return n;
}

function toDouble(value: unknown): number {
  const n = typeof value === 'string' && DECIMAL.test(value) ? Number(value) : value;
  if (typeof n === 'number' && Number.isFinite(n)) return n;
  throw new MappingError('', 'expected a number (double)', value);
}

function toBoolean(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new MappingError('', 'expected a boolean', value);
}

function toAvroString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  throw new MappingError('', 'expected a string', value);
}

const PRIMITIVE_MAPPERS: Record<string, FieldMapper> = {
  boolean: toBoolean,
  int: toInt,
  long: toLong,
  float: toDouble,
  double: toDouble,
  string: toAvroString,
};

function fullName(name: string, namespace: string): string {
  return name.includes('.') || namespace === '' ? name : `${namespace}.${name}`;
}

function isJsonObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

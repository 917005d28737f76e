/**
 * The `before` of a delete event: the deleted object's key image, as an object in Intercom's JSON shape
 * that the stream's record writer maps like any other. The connector keeps no copy of the objects it
 * has published (its state holds an object's updated_at and hash), so a delete can tell only the key and
 * the updated_at it last saw; Debezium's tools read the key of a delete from `before`.
 */
import { SchemaError } from './errors';
import type { StreamName } from './schemas';

/** What a delete knows of the object it removes. */
export interface KeyImage {
  /** The object's id, as the event's key carries it. */
  id: string;
  /** The updated_at the connector last saw (epoch ms), or null. */
  updatedAtMs: number | null;
}

type Json = Record<string, unknown>;

const zeros = new WeakMap<object, Json>();

/**
 * The JSON object whose mapping to `recordSchema` (the stream's record, as loadStreamSchemas gives it)
 * is the key image: the key fields (`id`; for a data attribute without a numeric id, `model` and `name`
 * from its key `model.name`), `updated_at` when the record has it and it is known, every other field
 * absent (null), or the zero value of its type (0, "", false, empty list or map) where the record
 * requires a value. Throws SchemaError when a required field is of a kind without a zero value here
 * (a record or an enum): a schema change that this function must learn.
 */
export function keyImageObject(recordSchema: object, stream: StreamName, image: KeyImage): Json {
  const object: Json = { ...zeroFields(recordSchema), ...keyFields(stream, image.id) };
  const hasUpdatedAt = ((recordSchema as Json).fields as Json[]).some((f) => f.name === 'updated_at');
  if (hasUpdatedAt && image.updatedAtMs !== null)
    object.updated_at = new Date(image.updatedAtMs).toISOString();
  return object;
}

/** The fields of the key `id` of a stream's object (src/streams' idOf, read backwards). */
function keyFields(stream: StreamName, id: string): Json {
  if (stream !== 'data_attributes' || /^\d+$/.test(id)) return { id };
  const dot = id.indexOf('.');
  return dot < 0 ? { name: id } : { model: id.slice(0, dot), name: id.slice(dot + 1) };
}

/** The zero value of each required (non-nullable) field of the record, computed once per schema. */
function zeroFields(recordSchema: object): Json {
  let fields = zeros.get(recordSchema);
  if (fields === undefined) {
    fields = {};
    for (const field of (recordSchema as Json).fields as Json[]) {
      const type = field.type;
      if (Array.isArray(type) && type[0] === 'null') continue;
      fields[String(field.name)] = zeroOf(type, String(field.name));
    }
    zeros.set(recordSchema, fields);
  }
  return fields;
}

function zeroOf(type: unknown, name: string): unknown {
  const kind = typeof type === 'string' ? type : String((type as Json)?.type);
  switch (kind) {
    case 'string':
      return '';
    case 'int':
    case 'long':
    case 'float':
    case 'double':
      return 0;
    case 'boolean':
      return false;
    case 'array':
      return [];
    case 'map':
      return {};
    default:
      throw new SchemaError(`key image: the required field ${name} (${kind}) has no zero value`);
  }
}

import { AvroWriter, MAX_LONG } from './avro-writer';
import { MappingError, SchemaError } from './errors';
import { toEpochMillis } from './timestamp';

/**
 * The typed mapping of an Intercom object, written as Avro binary in the same pass: no typed record is
 * built in between. Writes `raw` (a JSON object) as the Avro record `recordSchema` (self-contained, as
 * loadStreamSchemas returns it), field by field by name, or throws MappingError with the path of the bad
 * field under `path` (e.g. `contacts` → `contacts.location.city`, `conversations.tags.tags[0].id`). What
 * was written before the error is to be discarded (start the writer again).
 *
 * Rules: JSON fields the schema lacks are ignored (the envelope's raw keeps them); a nullable field
 * (`["null", X]`) that is absent or null is null; a non-null field that is absent or null is an error.
 * `timestamp-millis` takes every form toEpochMillis accepts. Coercions only where lossless and
 * unambiguous: numeric string → long/int/double, safe integer → string, "true"/"false" → boolean. A
 * scalar union such as custom attributes' `["null","boolean","double","string"]` keeps the JSON type
 * (strings are not parsed) and stores a list or object as its JSON text.
 *
 * The bytes are those avsc writes for the typed record these rules give (the tests decode them with
 * avsc). The schema is compiled once into JavaScript (one function per record, array and map type,
 * with each field read by name, so that objects of one shape are read at the speed of plain property
 * access), cached per schema object: pass the same object (loadStreamSchemas caches it) on every call.
 * A schema the mapping cannot handle throws SchemaError.
 */
export function writeRecord(w: AvroWriter, recordSchema: object, raw: unknown, path: string): void {
  try {
    recordWriter(recordSchema)(w, raw);
  } catch (error) {
    throw error instanceof MappingError ? error.under(path) : error;
  }
}

const scratch = new AvroWriter();

/**
 * The Avro binary of `raw` as the record `recordSchema` (see writeRecord), as a view of a slab of this
 * module's writer that no later value writes over; throws MappingError under `path`.
 */
export function encodeRecord(recordSchema: object, raw: unknown, path: string): Buffer {
  scratch.start();
  writeRecord(scratch, recordSchema, raw, path);
  return scratch.finish();
}

/** Writes one value of a compiled type; throws MappingError with the path relative to the value. */
export type ValueWriter = (w: AvroWriter, value: unknown) => void;

const compiled = new WeakMap<object, ValueWriter>();

/** The compiled writer of a record schema (see writeRecord), cached per schema object. */
export function recordWriter(recordSchema: object): ValueWriter {
  let writer = compiled.get(recordSchema);
  if (writer === undefined) {
    if ((recordSchema as Json).type !== 'record')
      throw new SchemaError('record writer: the schema is not a record');
    writer = new Compiler().compile(recordSchema as Json);
    compiled.set(recordSchema, writer);
  }
  return writer;
}

type Json = Record<string, unknown>;

const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const INT32 = 2 ** 31;

/** Integers within ±2^52 (the bound of AvroWriter.long), from numbers or numeric strings. */
function toLong(value: unknown): number {
  const n = typeof value === 'string' && INTEGER.test(value) ? Number(value) : value;
  if (typeof n === 'number' && Number.isSafeInteger(n) && Math.abs(n) <= MAX_LONG) return n;
  throw new MappingError('', 'expected an integer (long, within ±2^52)', value);
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

function toStr(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  throw new MappingError('', 'expected a string', value);
}

function toTimestamp(value: unknown): number {
  const ms = toEpochMillis(value, '') as number; // never null: callers write null themselves
  if (Math.abs(ms) > MAX_LONG)
    throw new MappingError('', 'timestamp out of the range of an Avro long', value);
  return ms;
}

/** What the generated code calls: the coercions and the errors. */
const RUNTIME = {
  toLong,
  toInt,
  toDouble,
  toBoolean,
  toStr,
  toTimestamp,
  stringify: JSON.stringify,
  fail: (problem: string, value: unknown) => new MappingError('', problem, value),
  missing: (value: unknown) => new MappingError('', 'required value is missing', value),
  /** The error of a value one step inside (`.name`, `[3]`): the step goes before its path. */
  inside: (error: unknown, step: string) => (error instanceof MappingError ? error.under(step) : error),
};

/** The statement that writes each primitive, coerced, from the variable `x`. */
const PRIMITIVES: Record<string, string> = {
  boolean: 'w.boolean(toBoolean(x));',
  int: 'w.long(toInt(x));',
  long: 'w.long(toLong(x));',
  float: 'w.float(toDouble(x));',
  double: 'w.double(toDouble(x));',
  string: 'w.string(toStr(x));',
};

/** Which JSON type each scalar branch of a union takes. */
const SCALAR_BRANCH: Record<string, 'boolean' | 'number' | 'string'> = {
  boolean: 'boolean',
  int: 'number',
  long: 'number',
  float: 'number',
  double: 'number',
  string: 'string',
};

/**
 * Compiles a record schema into JavaScript source: a function per record (named records once, so that
 * they may refer to themselves), per array and per map; each writes the variable it is given. Field
 * names come from the project's schemas and are quoted as JSON string literals.
 */
class Compiler {
  private readonly functions: string[] = [];
  /** Constants the code refers to as `K[i]` (field steps of error paths). */
  private readonly constants: unknown[] = [];
  /** Function names of the named records compiled so far, by full name. */
  private readonly named = new Map<string, string>();

  compile(schema: Json): ValueWriter {
    const root = this.record(schema, '');
    const source = [
      '"use strict";',
      'const { toLong, toInt, toDouble, toBoolean, toStr, toTimestamp, stringify, fail, missing, inside } = rt;',
      ...this.functions,
      `return ${root};`,
    ].join('\n');
    return new Function('rt', 'K', source)(RUNTIME, this.constants) as ValueWriter;
  }

  /** Statements writing `x`, of type `schema` (a union, or a required value). */
  private value(schema: unknown, namespace: string): string {
    if (Array.isArray(schema)) return this.union(schema, namespace);
    return `if (x === null || x === undefined) throw missing(x); ${this.base(schema, namespace)}`;
  }

  /** Statements writing `x`, not null, of a type that is not a union. */
  private base(schema: unknown, namespace: string): string {
    if (typeof schema === 'string') {
      if (PRIMITIVES[schema] !== undefined) return PRIMITIVES[schema];
      const reference = this.named.get(fullName(schema, namespace));
      if (reference === undefined) throw new SchemaError(`record writer: unknown type ${schema}`);
      return `${reference}(w, x);`;
    }
    const node = schema as Json | null;
    const type = node?.type;
    if (type === 'record') return `${this.record(node as Json, namespace)}(w, x);`;
    if (type === 'array') return `${this.array(node as Json, namespace)}(w, x);`;
    if (type === 'map') return `${this.map(node as Json, namespace)}(w, x);`;
    if (type === 'long' && node?.logicalType === 'timestamp-millis') return 'w.long(toTimestamp(x));';
    if (typeof type === 'string' && PRIMITIVES[type] !== undefined) return PRIMITIVES[type];
    throw new SchemaError(`record writer: unsupported schema ${JSON.stringify(schema)}`);
  }

  /** `["null", X]` (or `[X]`) writes like X, null when absent; a union of several scalar types writes
   * each JSON scalar as the branch of its own type. No other union is allowed. */
  private union(branches: unknown[], namespace: string): string {
    const nullIndex = branches.indexOf('null');
    const others = branches.filter((branch) => branch !== 'null');
    let base: string;
    if (others.length === 1) {
      base = `w.byte(${2 * branches.indexOf(others[0])}); ${this.base(others[0], namespace)}`;
    } else if (others.every((branch) => typeof branch === 'string' && branch in SCALAR_BRANCH)) {
      base = `${this.scalarUnion(branches as string[])}(w, x);`;
    } else {
      throw new SchemaError(`record writer: unsupported union ${JSON.stringify(branches)}`);
    }
    return nullIndex < 0
      ? `if (x === null || x === undefined) throw missing(x); ${base}`
      : `if (x === null || x === undefined) w.byte(${2 * nullIndex}); else { ${base} }`;
  }

  private scalarUnion(branches: string[]): string {
    const cases: string[] = [];
    let stringIndex = -1;
    branches.forEach((branch, index) => {
      if (branch === 'null') return;
      if (branch === 'string') stringIndex = index;
      cases.push(`case '${SCALAR_BRANCH[branch]}': w.byte(${2 * index}); ${PRIMITIVES[branch]} return;`);
    });
    const expected = this.constant(`expected one of ${branches.filter((b) => b !== 'null').join(', ')}`);
    const objectAsText =
      stringIndex < 0 ? '' : `case 'object': w.byte(${2 * stringIndex}); w.string(stringify(x)); return;`;
    return this.fn(
      `(w, x) { switch (typeof x) { ${cases.join(' ')} ${objectAsText} } throw fail(${expected}, x); }`,
    );
  }

  private record(schema: Json, namespace: string): string {
    const name = fullName(
      String(schema.name),
      typeof schema.namespace === 'string' ? schema.namespace : namespace,
    );
    const own = name.includes('.') ? name.slice(0, name.lastIndexOf('.')) : '';
    const fnName = this.reserve();
    // Named before its fields are compiled, so that a field may refer to this record by name.
    this.named.set(name, fnName);
    const fields = schema.fields as Json[];
    const steps = this.constant(fields.map((field) => `.${String(field.name)}`));
    const body = fields
      .map(
        (field, i) =>
          `f = ${i}; { const x = v[${JSON.stringify(String(field.name))}]; ${this.value(field.type, own)} }`,
      )
      .join('\n');
    this.define(
      fnName,
      `(w, v) {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw fail('expected an object', v);
  let f = 0;
  try {
${body}
  } catch (error) { throw inside(error, ${steps}[f]); }
}`,
    );
    return fnName;
  }

  private array(schema: Json, namespace: string): string {
    const item = this.value(schema.items, namespace);
    return this.fn(`(w, v) {
  if (!Array.isArray(v)) throw fail('expected an array', v);
  const n = v.length;
  if (n > 0) {
    w.long(n);
    let i = 0;
    try { for (; i < n; i++) { const x = v[i]; ${item} } } catch (error) { throw inside(error, '[' + i + ']'); }
  }
  w.byte(0);
}`);
  }

  private map(schema: Json, namespace: string): string {
    const item = this.value(schema.values, namespace);
    return this.fn(`(w, v) {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw fail('expected an object', v);
  const keys = Object.keys(v);
  const n = keys.length;
  if (n > 0) {
    w.long(n);
    let k = '';
    try { for (let i = 0; i < n; i++) { k = keys[i]; w.string(k); const x = v[k]; ${item} } } catch (error) { throw inside(error, '.' + k); }
  }
  w.byte(0);
}`);
  }

  private reserve(): string {
    this.functions.push('');
    return `f${this.functions.length - 1}`;
  }

  private define(name: string, rest: string): void {
    this.functions[Number(name.slice(1))] = `function ${name}${rest}`;
  }

  private fn(rest: string): string {
    const name = this.reserve();
    this.define(name, rest);
    return name;
  }

  private constant(value: unknown): string {
    this.constants.push(value);
    return `K[${this.constants.length - 1}]`;
  }
}

function fullName(name: string, namespace: string): string {
  return name.includes('.') || namespace === '' ? name : `${namespace}.${name}`;
}

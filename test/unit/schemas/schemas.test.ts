import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as avro from 'avsc';
import { defaultSchemasDir, loadStreamSchemas, SchemaError } from '../../../src/normalize';
import { STREAMS } from '../../../src/streams';

type Json = Record<string, unknown>;
interface Field {
  name: string;
  type: unknown;
  doc?: string;
  default?: unknown;
}
const REPO = path.resolve(__dirname, '../../..');
const SCHEMAS = path.join(REPO, 'schemas');
const TIMESTAMP_NAME = /(_at|_until)$|^waiting_since$/;
const CUSTOM_VALUES = ['null', 'boolean', 'double', 'string'];

/** Every record field of a composed schema, with its path, in document order. */
function fieldsOf(schema: unknown, at: string, out: Array<{ path: string; field: Field }> = []) {
  if (Array.isArray(schema)) schema.forEach((branch) => fieldsOf(branch, at, out));
  else if (schema !== null && typeof schema === 'object') {
    const node = schema as Json;
    if (node.type === 'record') {
      for (const field of node.fields as Field[]) {
        out.push({ path: `${at}.${field.name}`, field });
        fieldsOf(field.type, `${at}.${field.name}`, out);
      }
    } else if (node.type === 'array') fieldsOf(node.items, `${at}[]`, out);
    else if (node.type === 'map') fieldsOf(node.values, `${at}{}`, out);
  }
  return out;
}

/** Every union of a composed schema, with its path. */
function unionsOf(schema: unknown, at: string, out: Array<{ path: string; union: unknown[] }> = []) {
  if (Array.isArray(schema)) {
    out.push({ path: at, union: schema });
    schema.forEach((branch) => unionsOf(branch, at, out));
  } else if (schema !== null && typeof schema === 'object') {
    const node = schema as Json;
    if (node.type === 'record')
      (node.fields as Field[]).forEach((f) => unionsOf(f.type, `${at}.${f.name}`, out));
    else if (node.type === 'array') unionsOf(node.items, `${at}[]`, out);
    else if (node.type === 'map') unionsOf(node.values, `${at}{}`, out);
  }
  return out;
}

function isTimestampMillis(type: unknown): boolean {
  const branch = Array.isArray(type) && type.length === 2 && type[0] === 'null' ? type[1] : type;
  return (branch as Json | null)?.type === 'long' && (branch as Json).logicalType === 'timestamp-millis';
}

describe.each(STREAMS.map((stream) => [stream]))('schemas of %s', (stream) => {
  const { key, value, record } = loadStreamSchemas(stream);

  it('are self-contained Avro schemas in the namespace io.intercomcdc.<stream>', () => {
    const namespace = `io.intercomcdc.${stream}`;
    expect(avro.Type.forSchema(key as avro.Schema).name).toBe(`${namespace}.Key`);
    expect(avro.Type.forSchema(value as avro.Schema).name).toBe(`${namespace}.Envelope`);
    expect(avro.Type.forSchema(record as avro.Schema).name).toBe(`${namespace}.${(record as Json).name}`);
  });

  it('have the documented envelope and key', () => {
    const fields = (value as { fields: Field[] }).fields;
    expect(fields.map((f) => f.name)).toEqual(['op', 'ts_ms', 'source', 'before', 'after', 'raw']);
    expect(fields[0].type).toMatchObject({ type: 'enum', name: 'Op', symbols: ['c', 'u', 'd', 'r'] });
    expect(isTimestampMillis(fields[1].type)).toBe(true);
    const sourceFields = (fields[2].type as { fields: Field[] }).fields;
    expect(sourceFields.map((f) => [f.name, isTimestampMillis(f.type) ? 'ts' : f.type])).toEqual([
      ['connector', 'string'],
      ['workspace_id', 'string'],
      ['stream', 'string'],
      ['api_version', 'string'],
      ['snapshot', 'boolean'],
      ['updated_at', 'ts'],
      ['prev_updated_at', 'ts'],
      ['version', ['null', 'string']],
      ['ts_ms', 'ts'],
      ['snapshot_debezium', ['null', 'string']],
    ]);
    expect(sourceFields.slice(5).every((f) => Array.isArray(f.type) && f.type[0] === 'null')).toBe(true);
    expect((fields[3].type as unknown[])[0]).toBe('null');
    expect((fields[3].type as Json[])[1].name).toBe((record as Json).name);
    expect(fields[4].type).toEqual(['null', (record as Json).name]);
    expect(fields[5].type).toEqual(['null', 'string']);
    expect((key as { fields: Field[] }).fields.map((f) => [f.name, f.type])).toEqual([['id', 'string']]);
  });

  it('document every field', () => {
    const undocumented = [...fieldsOf(value, 'value'), ...fieldsOf(key, 'key')]
      .filter(({ field }) => typeof field.doc !== 'string' || field.doc.trim().length < 3)
      .map(({ path: p }) => p);
    expect(undocumented).toEqual([]);
  });

  it('type every timestamp-like field as timestamp-millis', () => {
    const wrong = fieldsOf(record, stream)
      .filter(({ field }) => TIMESTAMP_NAME.test(field.name) && !isTimestampMillis(field.type))
      .map(({ path: p }) => p);
    expect(wrong).toEqual([]);
  });

  it('use only ["null", X] unions with default null, except the custom attribute values', () => {
    const bad = unionsOf(value, 'value')
      .filter(({ path: p, union }) => {
        if (p.endsWith('{}')) return JSON.stringify(union) !== JSON.stringify(CUSTOM_VALUES);
        return union.length !== 2 || union[0] !== 'null' || union[1] === 'null';
      })
      .map(({ path: p }) => p);
    expect(bad).toEqual([]);
    const withoutDefault = fieldsOf(value, 'value')
      .filter(({ field }) => Array.isArray(field.type) && field.default !== null)
      .map(({ path: p }) => p);
    expect(withoutDefault).toEqual([]);
  });

  it('are cached and frozen', () => {
    expect(loadStreamSchemas(stream)).toBe(loadStreamSchemas(stream));
    expect(Object.isFrozen(record)).toBe(true);
    expect(Object.isFrozen((value as { fields: Field[] }).fields[2])).toBe(true);
  });
});

describe('the schemas folder', () => {
  it('has no unused shared type', () => {
    const used = new Set(
      STREAMS.flatMap((stream) => {
        const names: string[] = [];
        JSON.stringify(loadStreamSchemas(stream).value, (k, v) => (k === 'name' && names.push(v), v));
        return names;
      }),
    );
    const shared = readdirSync(path.join(SCHEMAS, 'types')).map((file) => file.replace(/\.avsc$/, ''));
    expect(shared.filter((name) => !used.has(name))).toEqual([]);
  });

  it('is found from the source tree and from the compiled tree', () => {
    expect(defaultSchemasDir()).toBe(SCHEMAS);
    expect(defaultSchemasDir(path.join(REPO, 'dist', 'src', 'normalize'))).toBe(SCHEMAS);
  });

  describe('in another directory', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'schemas-'));
      cpSync(SCHEMAS, dir, { recursive: true });
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    const edit = (file: string, change: (schema: Json) => void) => {
      const schema = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Json;
      change(schema);
      writeFileSync(path.join(dir, file), JSON.stringify(schema));
    };

    it('loads from the given directory, independently of the default one', () => {
      edit('tags.avsc', (schema) => (schema.doc = 'changed'));
      expect((loadStreamSchemas('tags', dir).record as Json).doc).toBe('changed');
      expect((loadStreamSchemas('tags').record as Json).doc).not.toBe('changed');
    });

    it('refuses an unknown type name', () => {
      edit('teams.avsc', (schema) => ((schema.fields as Field[])[0].type = 'Nowhere'));
      expect(() => loadStreamSchemas('teams', dir)).toThrow(SchemaError);
    });

    it('refuses a record name defined twice', () => {
      edit('segments.avsc', (schema) => (schema.name = 'Tag'));
      expect(() => loadStreamSchemas('segments', dir)).toThrow(/defined twice/);
    });

    it('refuses a stream record that reuses an envelope name', () => {
      edit('admins.avsc', (schema) => (schema.name = 'Source'));
      expect(() => loadStreamSchemas('admins', dir)).toThrow(/defined twice/);
    });

    it('refuses a missing file', () => {
      rmSync(path.join(dir, 'envelope.avsc'));
      expect(() => loadStreamSchemas('admins', dir)).toThrow(SchemaError);
    });
  });
});

import * as avro from 'avsc';
import { loadStreamSchemas, MappingError, SchemaError } from '../../../src/normalize';
import { mapRecord } from '../../helpers/mapping';
import contact from '../../fixtures/intercom/contacts.json';
import conversation from '../../fixtures/intercom/conversations.json';

const TS = { type: 'long', logicalType: 'timestamp-millis' };
const widget = {
  type: 'record',
  name: 'Widget',
  namespace: 'test.widgets',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'count', type: ['null', 'long'], default: null },
    { name: 'small', type: ['null', 'int'], default: null },
    { name: 'ratio', type: ['null', 'double'], default: null },
    { name: 'enabled', type: ['null', 'boolean'], default: null },
    { name: 'label', type: ['null', 'string'], default: null },
    { name: 'seen_at', type: ['null', TS], default: null },
    { name: 'made_at', type: TS },
    {
      name: 'owner',
      type: [
        'null',
        { type: 'record', name: 'Ref', fields: [{ name: 'id', type: ['null', 'string'], default: null }] },
      ],
      default: null,
    },
    { name: 'reviewer', type: ['null', 'Ref'], default: null },
    { name: 'ids', type: ['null', { type: 'array', items: 'long' }], default: null },
    {
      name: 'attrs',
      type: ['null', { type: 'map', values: ['null', 'boolean', 'double', 'string'] }],
      default: null,
    },
  ],
};
const widgetType = avro.Type.forSchema(widget as avro.Schema);
const minimal = { id: 'w1', made_at: 1734537424 };

function mapWidget(raw: unknown): Record<string, unknown> {
  return mapRecord(widget, raw, 'widgets');
}

function errorOf(run: () => unknown): MappingError {
  try {
    run();
  } catch (error) {
    if (error instanceof MappingError) return error;
    throw error;
  }
  throw new Error('expected a MappingError');
}

describe('the record writer (typed mapping written as Avro)', () => {
  it('fills absent nullable fields with null, ignores unknown fields, and is valid for avsc', () => {
    const result = mapWidget({ ...minimal, unknown_field: { deep: 1 } });
    expect(result).toEqual({
      id: 'w1',
      count: null,
      small: null,
      ratio: null,
      enabled: null,
      label: null,
      seen_at: null,
      made_at: 1734537424000,
      owner: null,
      reviewer: null,
      ids: null,
      attrs: null,
    });
    expect(widgetType.isValid(result)).toBe(true);
  });

  it('maps every field kind, nested records, named references, arrays and maps', () => {
    const result = mapWidget({
      id: 'w1',
      count: 42,
      small: 7,
      ratio: 0.25,
      enabled: true,
      label: 'blue',
      seen_at: '2024-05-01T10:20:30Z',
      made_at: 1734537424123,
      owner: { id: 'a1', name: 'ignored' },
      reviewer: { id: 'a2' },
      ids: [1, 2, 3],
      attrs: {
        vip: true,
        spend: 155.5,
        seats: 9,
        since: '2024-03-01T00:00:00Z',
        gone: null,
        list: [1, 'a'],
        obj: { a: 1 },
      },
    });
    expect(result).toEqual({
      id: 'w1',
      count: 42,
      small: 7,
      ratio: 0.25,
      enabled: true,
      label: 'blue',
      seen_at: Date.UTC(2024, 4, 1, 10, 20, 30),
      made_at: 1734537424123,
      owner: { id: 'a1' },
      reviewer: { id: 'a2' },
      ids: [1, 2, 3],
      attrs: {
        vip: true,
        spend: 155.5,
        seats: 9,
        since: '2024-03-01T00:00:00Z',
        gone: null,
        list: '[1,"a"]',
        obj: '{"a":1}',
      },
    });
    expect(widgetType.isValid(result)).toBe(true);
  });

  it.each<[string, Record<string, unknown>, Record<string, unknown>]>([
    ['numeric string → long', { count: '42' }, { count: 42 }],
    ['negative numeric string → long', { count: '-42' }, { count: -42 }],
    ['numeric string → int', { small: '7' }, { small: 7 }],
    ['numeric string → double', { ratio: '0.25' }, { ratio: 0.25 }],
    ['integer → double', { ratio: 3 }, { ratio: 3 }],
    ['safe integer → string', { label: 991267715 }, { label: '991267715' }],
    ['"true" → boolean', { enabled: 'true' }, { enabled: true }],
    ['"false" → boolean', { enabled: 'false' }, { enabled: false }],
    ['null → null', { count: null, owner: null, ids: null }, { count: null, owner: null, ids: null }],
    ['numeric strings in arrays', { ids: ['1', 2] }, { ids: [1, 2] }],
  ])('coerces %s', (_label, input, expected) => {
    const result = mapWidget({ ...minimal, ...input });
    expect(result).toMatchObject(expected);
    expect(widgetType.isValid(result)).toBe(true);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a word for a long', { count: 'abc' }, 'widgets.count'],
    ['a decimal for a long', { count: 12.5 }, 'widgets.count'],
    ['a decimal string for a long', { count: '12.5' }, 'widgets.count'],
    ['an unsafe integer for a long', { count: 2 ** 60 }, 'widgets.count'],
    ['a long past ±2^52 (not exact as avsc reads it)', { count: 2 ** 52 + 2 }, 'widgets.count'],
    ['a timestamp past ±2^52 ms', { seen_at: 5e15 }, 'widgets.seen_at'],
    ['a boolean for a long', { count: true }, 'widgets.count'],
    ['an int out of 32-bit range', { small: 2 ** 31 }, 'widgets.small'],
    ['a word for a double', { ratio: 'half' }, 'widgets.ratio'],
    ['NaN for a double', { ratio: Number.NaN }, 'widgets.ratio'],
    ['"yes" for a boolean', { enabled: 'yes' }, 'widgets.enabled'],
    ['1 for a boolean', { enabled: 1 }, 'widgets.enabled'],
    ['a boolean for a string', { label: false }, 'widgets.label'],
    ['a decimal for a string', { label: 1.5 }, 'widgets.label'],
    ['an object for a string', { label: { en: 'blue' } }, 'widgets.label'],
    ['garbage for a timestamp', { seen_at: 'soon' }, 'widgets.seen_at'],
    ['a string for a record', { owner: 'a1' }, 'widgets.owner'],
    ['a wrong type inside a record', { owner: { id: true } }, 'widgets.owner.id'],
    ['a wrong type inside a named reference', { reviewer: { id: [] } }, 'widgets.reviewer.id'],
    ['an object for an array', { ids: { 0: 1 } }, 'widgets.ids'],
    ['a wrong array item', { ids: [1, 'two'] }, 'widgets.ids[1]'],
    ['a null array item', { ids: [1, 2, null] }, 'widgets.ids[2]'],
    ['an array for a map', { attrs: [1] }, 'widgets.attrs'],
  ])('rejects %s, naming %s', (_label, input, path) => {
    const error = errorOf(() => mapWidget({ ...minimal, ...input }));
    expect(error.path).toBe(path);
    expect(error.message.startsWith(`${path}: `)).toBe(true);
    expect(error.code).toBe('mapping_failed');
  });

  it('rejects a required field that is absent or null', () => {
    expect(errorOf(() => mapWidget({ made_at: 1 })).path).toBe('widgets.id');
    expect(errorOf(() => mapWidget({ id: 'w1', made_at: null })).message).toMatch(
      /^widgets\.made_at: required/,
    );
  });

  it('rejects a root that is not an object', () => {
    expect(errorOf(() => mapWidget(null)).path).toBe('widgets');
    expect(errorOf(() => mapWidget([minimal])).path).toBe('widgets');
    expect(errorOf(() => mapWidget('{}')).path).toBe('widgets');
  });

  it('names the exact path inside the real stream schemas', () => {
    const contacts = loadStreamSchemas('contacts').record;
    const conversations = loadStreamSchemas('conversations').record;
    const badCity = { ...contact, location: { ...contact.location, city: 42.5 } };
    expect(errorOf(() => mapRecord(contacts, badCity, 'contacts')).path).toBe('contacts.location.city');
    const badStat = {
      ...conversation,
      statistics: { ...conversation.statistics, first_contact_reply_at: 'later' },
    };
    expect(errorOf(() => mapRecord(conversations, badStat, 'conversations')).path).toBe(
      'conversations.statistics.first_contact_reply_at',
    );
    const badTag = { ...conversation, tags: { type: 'tag.list', tags: [{ id: '1', applied_at: true }] } };
    expect(errorOf(() => mapRecord(conversations, badTag, 'conversations')).path).toBe(
      'conversations.tags.tags[0].applied_at',
    );
    const noUpdatedAt: Record<string, unknown> = { ...contact };
    delete noUpdatedAt.updated_at;
    expect(errorOf(() => mapRecord(contacts, noUpdatedAt, 'contacts')).path).toBe('contacts.updated_at');
  });

  it('gives the same result on repeated calls with the same schema object', () => {
    const contacts = loadStreamSchemas('contacts').record;
    expect(mapRecord(contacts, contact, 'contacts')).toEqual(mapRecord(contacts, contact, 'contacts'));
  });

  it.each<[string, unknown]>([
    ['an enum field', { type: 'enum', name: 'E', symbols: ['a'] }],
    ['a bytes field', 'bytes'],
    [
      'a union of two records',
      ['null', { type: 'record', name: 'A', fields: [] }, { type: 'record', name: 'B', fields: [] }],
    ],
    ['an unknown named type', 'Nowhere'],
  ])('refuses a schema with %s', (_label, type) => {
    const schema = { type: 'record', name: 'Bad', fields: [{ name: 'f', type }] };
    expect(() => mapRecord(schema, { f: 1 }, 'bad')).toThrow(SchemaError);
  });

  it('refuses a schema that is not a record', () => {
    expect(() => mapRecord({ type: 'map', values: 'string' }, {}, 'bad')).toThrow(SchemaError);
  });
});

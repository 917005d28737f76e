import { loadStreamSchemas } from '../../../src/normalize';
import { keyImageObject } from '../../../src/normalize/key-image';
import { mapRecord } from '../../helpers/mapping';

describe('keyImageObject (the before of a delete)', () => {
  it('gives the id, the last updated_at, and zero values only where the record requires a value', () => {
    const { record } = loadStreamSchemas('tickets');
    const image = keyImageObject(record, 'tickets', { id: '42', updatedAtMs: 1734537000000 });
    expect(image).toEqual({ id: '42', created_at: 0, updated_at: '2024-12-18T15:50:00.000Z' });
    expect(mapRecord(record, image, 'tickets')).toMatchObject({
      id: '42',
      created_at: 0,
      updated_at: 1734537000000,
    });
  });

  it('leaves updated_at zero when the connector never saw one', () => {
    const { record } = loadStreamSchemas('contacts');
    expect(keyImageObject(record, 'contacts', { id: 'c1', updatedAtMs: null })).toMatchObject({
      id: 'c1',
      updated_at: 0,
    });
  });

  it('reads the key of a data attribute back into its fields: a numeric id, or model and name', () => {
    const { record } = loadStreamSchemas('data_attributes');
    expect(keyImageObject(record, 'data_attributes', { id: '17', updatedAtMs: null })).toMatchObject({
      id: '17',
    });
    const image = keyImageObject(record, 'data_attributes', { id: 'contact.custom.plan', updatedAtMs: null });
    expect(image).toMatchObject({ model: 'contact', name: 'custom.plan' });
    expect(mapRecord(record, image, 'data_attributes')).toMatchObject({
      model: 'contact',
      name: 'custom.plan',
    });
  });

  it('maps for every stream (the record writer accepts every key image)', () => {
    for (const stream of [
      'admins',
      'articles',
      'companies',
      'conversation_parts',
      'conversations',
      'segments',
      'tags',
      'teams',
      'help_center_collections',
    ] as const) {
      const { record } = loadStreamSchemas(stream);
      expect(
        mapRecord(
          record,
          keyImageObject(record, stream, { id: '1', updatedAtMs: 5_000_000_000_000 }),
          stream,
        ),
      ).toMatchObject({ id: '1' });
    }
  });

  it('refuses a required field without a zero value', () => {
    const record = {
      type: 'record',
      name: 'X',
      fields: [
        { name: 'id', type: 'string' },
        { name: 'kind', type: { type: 'enum', name: 'Kind', symbols: ['a'] } },
      ],
    };
    expect(() => keyImageObject(record, 'tags', { id: '1', updatedAtMs: null })).toThrow(/kind/);
  });
});

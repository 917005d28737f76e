import { apicurioConverter, flatProjection } from '../../../src/devstack/connect';
import { loadStreamSchemas } from '../../../src/normalize';

describe('flatProjection (how a stream lands in a table through unwrap, ReplaceField and Flatten)', () => {
  it('drops the top-level fields that hold lists, maps or unions, and flattens nested records', () => {
    const contacts = flatProjection(loadStreamSchemas('contacts').record);
    expect(contacts.excluded).toEqual(['custom_attributes', 'tags', 'notes', 'companies', 'social_profiles']);
    expect(contacts.columns).toEqual(
      expect.arrayContaining(['id', 'email', 'location_city', 'avatar_image_url']),
    );
    const companies = flatProjection(loadStreamSchemas('companies').record);
    expect(companies.excluded).toEqual(['custom_attributes', 'tags', 'segments']);
    expect(companies.columns).toEqual(expect.arrayContaining(['id', 'name', 'plan_name']));
  });

  it('keeps a record of scalars whole', () => {
    expect(flatProjection(loadStreamSchemas('tags').record)).toEqual({
      columns: ['type', 'id', 'name', 'applied_at', 'applied_by_type', 'applied_by_id'],
      excluded: [],
    });
  });
});

describe('apicurioConverter', () => {
  it('reads the Confluent wire format through Apicurio’s own API of the registry behind a ccompat URL', () => {
    expect(apicurioConverter('value.converter', 'http://127.0.0.1:8080/apis/ccompat/v7')).toEqual({
      'value.converter': 'io.apicurio.registry.utils.converter.AvroConverter',
      'value.converter.apicurio.registry.url': 'http://127.0.0.1:8080/apis/registry/v2',
      'value.converter.apicurio.registry.as-confluent': 'true',
      'value.converter.apicurio.registry.use-id': 'contentId',
      'value.converter.apicurio.registry.headers.enabled': 'false',
      'value.converter.apicurio.registry.auto-register': 'false',
    });
  });
});

import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as avro from 'avsc';
import {
  INPUT_FIELDS,
  attributeMapping,
  isChangeEvent,
  parseUpsert,
  type ContactUpsert,
} from '../../../src/sink/contacts/input';
import { conflictOf, createBody, updateBody } from '../../../src/sink/contacts/plan';
import { RejectedRecord } from '../../../src/sink/rejected';

const options = { attributes: attributeMapping(['plan', 'seats=team_size']), unmapped: 'reject' as const };
const parse = (value: unknown) => parseUpsert(value, options);

function rejected(value: unknown, opts = options): RejectedRecord {
  try {
    parseUpsert(value, opts);
  } catch (error) {
    if (error instanceof RejectedRecord) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('contact sink input', () => {
  it('reads a full record: timestamps to Unix seconds, attributes to their Intercom names', () => {
    const upsert = parse({
      external_id: 'u-1',
      email: 'Ada@Example.com',
      role: 'lead',
      name: 'Ada',
      owner_id: '7',
      signed_up_at: '2024-05-01T10:00:00.900Z',
      last_seen_at: 1_714_557_600_000,
      unsubscribed_from_emails: false,
      custom_attributes: { plan: 'pro', seats: { long: 5 }, ignoredNull: null },
      archived: null,
    });
    expect(upsert).toEqual<ContactUpsert>({
      externalId: 'u-1',
      email: 'Ada@Example.com',
      role: 'lead',
      fields: {
        name: 'Ada',
        owner_id: 7,
        signed_up_at: 1_714_557_600,
        last_seen_at: 1_714_557_600,
        unsubscribed_from_emails: false,
      },
      customAttributes: { plan: 'pro', team_size: 5 },
      archived: undefined,
    });
  });

  it('accepts Unix seconds and Dates as timestamps', () => {
    expect(parse({ email: 'a@b.co', signed_up_at: 1_714_557_600 }).fields.signed_up_at).toBe(1_714_557_600);
    expect(parse({ email: 'a@b.co', signed_up_at: new Date(1_714_557_600_123) }).fields.signed_up_at).toBe(
      1_714_557_600,
    );
  });

  it.each([
    [{ name: 'x' }, 'no_identity', /neither external_id nor email/],
    [{ email: 'not-an-email' }, 'invalid_field', /email: not an email/],
    [{ email: 'a@b.co', role: 'admin' }, 'invalid_field', /role: expected user or lead/],
    [{ email: 'a@b.co', signed_up_at: 'yesterday' }, 'invalid_field', /signed_up_at/],
    [{ email: 'a@b.co', owner_id: 'bob' }, 'invalid_field', /owner_id/],
    [{ email: 'a@b.co', unsubscribed_from_emails: 'yes' }, 'invalid_field', /unsubscribed_from_emails/],
    [{ email: 'a@b.co', nickname: 'x' }, 'unknown_field', /unknown field\(s\) nickname/],
    [
      { email: 'a@b.co', custom_attributes: { color: 'red' } },
      'unmapped_attribute',
      /color not in SINK_CONTACTS_ATTRIBUTES/,
    ],
    [
      { email: 'a@b.co', custom_attributes: { plan: { nested: 1 } } },
      'invalid_field',
      /custom_attributes.plan/,
    ],
    [
      { email: 'a@b.co', custom_attributes: 'plan' },
      'invalid_field',
      /custom_attributes: expected an object/,
    ],
    [{ external_id: '' }, 'invalid_field', /external_id: expected a non-empty string/],
    [[1, 2], 'invalid_record', /not an object/],
  ])('rejects %j with %s', (value, code, message) => {
    const error = rejected(value);
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
  });

  it('ignores unmapped attributes when told to', () => {
    const upsert = parseUpsert(
      { email: 'a@b.co', custom_attributes: { color: 'red', plan: 'pro' } },
      { ...options, unmapped: 'ignore' },
    );
    expect(upsert.customAttributes).toEqual({ plan: 'pro' });
  });

  it("recognizes the connector's own change events (never written back)", () => {
    expect(isChangeEvent({ op: 'u', source: { connector: 'c' }, after: null, ts_ms: 1 })).toBe(true);
    expect(isChangeEvent({ email: 'a@b.co', source: 'crm' })).toBe(false);
  });

  it('has exactly the fields of the published input schema', () => {
    const schema = JSON.parse(
      readFileSync(path.join(__dirname, '../../../schemas/sink/contact_upsert.avsc'), 'utf8'),
    ) as { fields: { name: string }[] };
    avro.Type.forSchema(schema as avro.Schema); // valid Avro
    expect(schema.fields.map((f) => f.name).sort()).toEqual([...INPUT_FIELDS].sort());
  });
});

describe('contact sink plan', () => {
  const current = {
    id: 'c1',
    role: 'user',
    external_id: 'u-1',
    email: 'ada@example.com',
    name: 'Ada',
    avatar: { type: 'avatar', image_url: 'https://x/a.png' },
    signed_up_at: 1_714_557_600,
    custom_attributes: { plan: 'pro', team_size: 5 },
  };

  it('sends nothing when Intercom holds every value (replays and echoes write nothing)', () => {
    const upsert = parse({
      external_id: 'u-1',
      email: 'ADA@example.com',
      name: 'Ada',
      avatar: 'https://x/a.png',
      signed_up_at: 1_714_557_600_000,
      custom_attributes: { plan: 'pro', seats: 5.0 },
    });
    expect(updateBody(current, upsert)).toBeNull();
  });

  it('sends only what differs', () => {
    const upsert = parse({
      external_id: 'u-1',
      name: 'Ada L.',
      role: 'lead',
      custom_attributes: { plan: 'pro', seats: 6 },
    });
    expect(updateBody(current, upsert)).toEqual({
      name: 'Ada L.',
      role: 'lead',
      custom_attributes: { team_size: 6 },
    });
  });

  it('creates with the default role and every given field', () => {
    expect(createBody(parse({ email: 'a@b.co', name: 'A' }), 'user')).toEqual({
      role: 'user',
      email: 'a@b.co',
      name: 'A',
    });
    expect(
      createBody(parse({ external_id: 'x', role: 'lead', custom_attributes: { plan: 'free' } }), 'user'),
    ).toEqual({ role: 'lead', external_id: 'x', custom_attributes: { plan: 'free' } });
  });

  it('reads the contact a 409 names, live or archived', () => {
    expect(
      conflictOf(
        'Intercom POST /contacts answered 409 conflict: A contact matching those details already exists with id=abc123.',
      ),
    ).toEqual({ id: 'abc123', archived: false });
    expect(
      conflictOf('conflict: An archived contact matching those details already exists with id=f00'),
    ).toEqual({ id: 'f00', archived: true });
    expect(conflictOf('conflict: something else')).toBeUndefined();
  });
});

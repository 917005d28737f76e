import { ApiError } from '../../../src/sim/api-error';
import { type ContactRules, fitsAttribute, parseContactInput } from '../../../src/sim/contact-input';

const rules: ContactRules = {
  attributes: new Map([
    ['plan', 'string'],
    ['seats', 'integer'],
    ['nps', 'float'],
    ['vip', 'boolean'],
    ['trial_ends_at', 'date'],
  ]),
  isAdmin: (id) => id === 991200000,
};

/** The error a body gets: status, code, field, message. */
function rejection(body: unknown, mode: 'create' | 'update' = 'create'): Record<string, unknown> {
  try {
    parseContactInput(body, mode, rules);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    const [first] = (error.body() as { errors: Record<string, unknown>[] }).errors;
    return { status: error.status, ...first };
  }
  throw new Error(`accepted ${JSON.stringify(body)}`);
}

describe('contact write bodies', () => {
  it('returns exactly the fields given, with custom attributes', () => {
    expect(
      parseContactInput(
        {
          role: 'lead',
          email: 'a@b.co',
          name: 'A',
          owner_id: 991200000,
          signed_up_at: 0,
          unsubscribed_from_emails: false,
          custom_attributes: { seats: 3 },
          ignored: 'unknown top-level keys are ignored',
        },
        'create',
        rules,
      ),
    ).toEqual({
      fields: {
        role: 'lead',
        email: 'a@b.co',
        name: 'A',
        owner_id: 991200000,
        signed_up_at: 0,
        unsubscribed_from_emails: false,
      },
      customAttributes: { seats: 3 },
    });
  });

  it('null is absent in a create and clears in an update', () => {
    expect(
      parseContactInput({ external_id: 'x', name: null, custom_attributes: null }, 'create', rules),
    ).toEqual({
      fields: { external_id: 'x' },
    });
    expect(parseContactInput({ name: null, custom_attributes: null }, 'update', rules)).toEqual({
      fields: { name: null },
      customAttributes: null,
    });
    expect(parseContactInput({}, 'update', rules)).toEqual({ fields: {} });
    expect(parseContactInput({ email: 'a@b.co', role: null }, 'create', rules)).toEqual({
      fields: { email: 'a@b.co' },
    });
  });

  it('a create needs an email or an external_id; an update does not', () => {
    expect(rejection({ role: 'user' })).toMatchObject({
      status: 400,
      code: 'parameter_invalid',
      field: 'email',
    });
    expect(rejection({ email: null, external_id: null })).toMatchObject({ code: 'parameter_invalid' });
    expect(parseContactInput({ name: 'x' }, 'update', rules).fields).toEqual({ name: 'x' });
  });

  it.each([
    [{ email: 'a@b.co', role: 'admin' }, 'role'],
    [{ email: 'a@', external_id: 'x' }, 'email'],
    [{ email: 'a b@c.de' }, 'email'],
    [{ email: 'a@b' }, 'email'],
    [{ email: 7 }, 'email'],
    [{ external_id: '' }, 'external_id'],
    [{ external_id: 12 }, 'external_id'],
    [{ external_id: 'x', name: 5 }, 'name'],
    [{ external_id: 'x', phone: true }, 'phone'],
    [{ external_id: 'x', avatar: 'ftp://x' }, 'avatar'],
    [{ external_id: 'x', signed_up_at: '1700000000' }, 'signed_up_at'],
    [{ external_id: 'x', signed_up_at: -1 }, 'signed_up_at'],
    [{ external_id: 'x', last_seen_at: 1.5 }, 'last_seen_at'],
    [{ external_id: 'x', owner_id: '991200000' }, 'owner_id'],
    [{ external_id: 'x', owner_id: 5 }, 'owner_id'],
    [{ external_id: 'x', unsubscribed_from_emails: 'true' }, 'unsubscribed_from_emails'],
    [{ external_id: 'x', custom_attributes: 'plan=pro' }, 'custom_attributes'],
    [{ external_id: 'x', custom_attributes: { seats: '3' } }, 'custom_attributes.seats'],
  ] as [Record<string, unknown>, string][])('%j → parameter_invalid on %s', (body, field) => {
    expect(rejection(body)).toMatchObject({ status: 400, code: 'parameter_invalid', field });
  });

  it('an unknown custom attribute is parameter_not_found', () => {
    expect(rejection({ custom_attributes: { foo: 1 } }, 'update')).toEqual({
      status: 400,
      code: 'parameter_not_found',
      field: 'custom_attributes.foo',
      message: "Custom attribute 'foo' does not exist",
    });
  });

  it('update: role cannot be cleared, body must be an object', () => {
    expect(rejection({ role: null }, 'update')).toMatchObject({ field: 'role' });
    expect(rejection([], 'update')).toMatchObject({ code: 'parameter_invalid' });
    expect(rejection(undefined, 'update')).toMatchObject({ code: 'parameter_invalid' });
  });

  it('custom attribute values by data type', () => {
    const table: [Parameters<typeof fitsAttribute>[0], unknown, boolean][] = [
      ['string', 'pro', true],
      ['string', 3, false],
      ['integer', 3, true],
      ['integer', 3.5, false],
      ['integer', '3', false],
      ['float', 3, true],
      ['float', 3.25, true],
      ['float', Number.NaN, false],
      ['boolean', false, true],
      ['boolean', 0, false],
      ['date', 1_700_000_000, true],
      ['date', '2026-01-05', true],
      ['date', '2026-01-05T10:00:00Z', true],
      ['date', '2026-01-05T10:00:00.123+02:00', true],
      ['date', '2026-13-45', false],
      ['date', 'tomorrow', false],
      ['date', -5, false],
      ['date', true, false],
    ];
    for (const type of ['string', 'integer', 'float', 'boolean', 'date'] as const)
      expect(fitsAttribute(type, null)).toBe(true);
    expect(table.map(([type, value]) => [type, value, fitsAttribute(type, value)])).toEqual(table);
  });
});

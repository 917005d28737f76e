import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as avro from 'avsc';
import { compilePolicies, prepare, type Preparation } from '../../../src/capture/prepare';
import { copyOfJson } from '../../../src/normalize/bounded-json';
import { defaultSchemasDir, loadStreamSchemas, type GoodReading, type Reading } from '../../../src/normalize';
import {
  SCHEMA_PROPERTY,
  STRING_MASK,
  annotateSchemas,
  applyPolicy,
  compilePolicy,
  fieldPolicyProblems,
  hmac,
  type StreamPolicy,
} from '../../../src/normalize/policy';
import { STREAMS, type StreamName } from '../../../src/streams/names';

const SECRET = 'a-secret-of-32-characters-length';
const record = (stream: StreamName) => loadStreamSchemas(stream).record;
const contactsPolicy: StreamPolicy = {
  drop: ['phone', 'custom_attributes.ssn'],
  mask: ['name', 'owner_id', 'has_hard_bounced', 'custom_attributes.plan'],
  hash: ['email'],
};

function contact(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'contact',
    id: 'c1',
    role: 'user',
    email: 'ada@example.com',
    phone: '+44 20 7946 0000',
    name: 'Ada Lovelace',
    owner_id: 42,
    has_hard_bounced: true,
    created_at: 1_700_000_000,
    updated_at: 1_700_000_100,
    custom_attributes: { ssn: '078-05-1120', plan: 3, tier: 'gold' },
    ...extra,
  };
}

describe('applyPolicy', () => {
  const policy = compilePolicy(contactsPolicy, SECRET, record('contacts'))!;

  it('drops, masks by the field type in the record, and hashes with the keyed HMAC', () => {
    const original = contact();
    const policed = applyPolicy(policy, original);
    expect(policed).not.toHaveProperty('phone');
    expect(policed.custom_attributes).toEqual({ plan: STRING_MASK, tier: 'gold' });
    expect(policed.name).toBe(STRING_MASK);
    expect(policed.owner_id).toBe(0);
    expect(policed.has_hard_bounced).toBe(false);
    expect(policed.email).toBe(hmac(SECRET, 'ada@example.com'));
    expect(policed.email).toMatch(/^[0-9a-f]{64}$/);
    expect(policed.id).toBe('c1');
    // The object given is left as it was.
    expect(original).toEqual(contact());
  });

  it('hashes alike under the same secret (another process, a restart), differently under another', () => {
    const again = compilePolicy(contactsPolicy, SECRET, record('contacts'))!;
    expect(applyPolicy(again, contact()).email).toBe(applyPolicy(policy, contact()).email);
    const other = compilePolicy(contactsPolicy, `${SECRET}-rotated`, record('contacts'))!;
    expect(applyPolicy(other, contact()).email).not.toBe(applyPolicy(policy, contact()).email);
    // A known value: HMAC-SHA256 hex, as `openssl dgst -sha256 -hmac key` writes it.
    expect(hmac('key', 'The quick brown fox jumps over the lazy dog')).toBe(
      'f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8',
    );
  });

  it('leaves null as null, a missing field missing, and an object without the path as it is', () => {
    const policed = applyPolicy(policy, contact({ email: null, name: undefined, custom_attributes: null }));
    expect(policed.email).toBeNull();
    expect(policed.name).toBeUndefined();
    expect(policed.custom_attributes).toBeNull();
    const bare = { id: 'c2', updated_at: 1 };
    expect(applyPolicy(policy, bare)).toBe(bare);
  });

  it('enters lists on the way and polices a list at the end element by element', () => {
    const p = compilePolicy(
      { hash: ['social_profiles.data.url'], mask: ['aliases'] },
      SECRET,
      record('contacts'),
    )!;
    const policed = applyPolicy(p, {
      id: 'c1',
      social_profiles: { data: [{ url: 'https://a' }, { url: 'https://b', name: 'x' }] },
      aliases: ['one', null, 'two'],
    });
    expect(policed.social_profiles).toEqual({
      data: [{ url: hmac(SECRET, 'https://a') }, { url: hmac(SECRET, 'https://b'), name: 'x' }],
    });
    expect(policed.aliases).toEqual([STRING_MASK, null, STRING_MASK]);
  });
});

describe('fieldPolicyProblems', () => {
  const check = (streams: unknown, secret = SECRET) =>
    fieldPolicyProblems(streams, secret, STREAMS, record, (n) => (n === 'contact' ? 'contacts' : undefined));

  it('accepts a policy the records can hold', () => {
    expect(check({ contacts: contactsPolicy, tags: { drop: ['applied_by'] } })).toEqual([]);
  });

  it('names the key of every problem', () => {
    expect(
      check({
        contact: {},
        tags: { masks: ['name'], drop: 'name' },
        contacts: {
          drop: ['created_at', 'a..b', 'id', 'updated_at', 'custom_attributes.__proto__'],
          hash: ['owner_id', 'email'],
          mask: ['location', 'email'],
        },
        data_attributes: { mask: ['name'] },
        admins: 'nope',
      }),
    ).toEqual([
      expect.stringMatching(/^fieldPolicy\.streams\.contact: unknown stream; did you mean contacts\?/),
      'fieldPolicy.streams.tags.masks: not an action (drop, mask, hash)',
      expect.stringMatching(/^fieldPolicy\.streams\.tags\.drop: must be a list of paths/),
      'fieldPolicy.streams.contacts.drop[0]: "created_at" is required in the record: it cannot be dropped (mask it)',
      expect.stringMatching(/^fieldPolicy\.streams\.contacts\.drop\[1\]: "a\.\.b" is not a path/),
      expect.stringMatching(/^fieldPolicy\.streams\.contacts\.drop\[2\]: "id" is what keys or orders/),
      expect.stringMatching(
        /^fieldPolicy\.streams\.contacts\.drop\[3\]: "updated_at" is what keys or orders/,
      ),
      expect.stringMatching(
        /^fieldPolicy\.streams\.contacts\.drop\[4\]: "custom_attributes\.__proto__" is not a path/,
      ),
      expect.stringMatching(/^fieldPolicy\.streams\.contacts\.hash\[0\]: "owner_id" is not a string/),
      expect.stringMatching(/^fieldPolicy\.streams\.contacts\.mask\[0\]: "location" is a record/),
      'fieldPolicy.streams.contacts.mask[1]: "email" overlaps fieldPolicy.streams.contacts.hash[1] (email)',
      expect.stringMatching(/^fieldPolicy\.streams\.data_attributes\.mask\[0\]: "name" is what keys/),
      expect.stringMatching(/^fieldPolicy\.streams\.admins: must be an object/),
    ]);
  });

  it('asks for a secret of 16 characters or more when a stream hashes, and never shows it', () => {
    expect(check({ contacts: { hash: ['email'] } }, '')).toEqual([
      expect.stringMatching(/^fieldPolicy\.secret: .*FIELD_POLICY_SECRET/),
    ]);
    const short = check({ contacts: { hash: ['email'] } }, 'short-secret');
    expect(short).toEqual([expect.stringMatching(/^fieldPolicy\.secret: must be at least 16/)]);
    expect(short.join()).not.toContain('short-secret');
    expect(check({ contacts: { drop: ['phone'] } }, '')).toEqual([]);
  });
});

describe('annotateSchemas', () => {
  const schemas = loadStreamSchemas('contacts');
  const annotated = annotateSchemas(schemas, contactsPolicy);
  type Field = { name: string; doc?: string; [SCHEMA_PROPERTY]?: unknown; type: unknown };
  const recordOf = (value: object) =>
    ((value as { fields: Field[] }).fields.find((f) => f.name === 'before')!.type as object[])[1] as {
      fields: Field[];
      [SCHEMA_PROPERTY]?: unknown;
    };

  it('says on the record and on each field what the policy does', () => {
    const r = recordOf(annotated.value);
    expect(r[SCHEMA_PROPERTY]).toEqual({
      drop: ['phone', 'custom_attributes.ssn'],
      mask: ['name', 'owner_id', 'has_hard_bounced', 'custom_attributes.plan'],
      hash: ['email'],
      hash_function: expect.stringMatching(/^HMAC-SHA256/),
    });
    const field = (name: string) => r.fields.find((f) => f.name === name)!;
    expect(field('email')[SCHEMA_PROPERTY]).toEqual({ hash: ['email'] });
    expect(field('email').doc).toMatch(/Field policy: hashed: email\.$/);
    expect(field('custom_attributes')[SCHEMA_PROPERTY]).toEqual({
      drop: ['custom_attributes.ssn'],
      mask: ['custom_attributes.plan'],
    });
    expect(field('role')[SCHEMA_PROPERTY]).toBeUndefined();
    // The schemas loaded are not changed, and no policy changes nothing.
    expect(recordOf(schemas.value)[SCHEMA_PROPERTY]).toBeUndefined();
    expect(annotateSchemas(schemas, undefined)).toBe(schemas);
    expect(annotateSchemas(schemas, { drop: [] })).toBe(schemas);
  });

  it('stays BACKWARD compatible with every released schema, and writes the same bytes', () => {
    const released = path.join(defaultSchemasDir(), 'released', '0.1.0', 'contacts.json');
    const old = (JSON.parse(readFileSync(released, 'utf8')) as { value: avro.Schema }).value;
    const type = avro.Type.forSchema(annotated.value as avro.Schema);
    expect(() => type.createResolver(avro.Type.forSchema(old))).not.toThrow();
    const plain = avro.Type.forSchema(schemas.value as avro.Schema);
    expect(type.fingerprint('sha256').equals(plain.fingerprint('sha256'))).toBe(true);
  });
});

describe('prepare under a field policy', () => {
  const policies = compilePolicies({ streams: { contacts: contactsPolicy }, secret: SECRET });
  const how: Preparation = { kind: 'page', stream: 'contacts', listKey: 'data' };
  const after = avro.Type.forSchema(loadStreamSchemas('contacts').record as avro.Schema);
  const text = (r: GoodReading) => Buffer.from(r.json).toString('utf8');

  function page(items: unknown[], withPolicies = policies): Reading[] {
    return (prepare(JSON.stringify({ data: items }), how, undefined, withPolicies) as { data: Reading[] })
      .data;
  }

  it('builds raw, after and the content hash from the policed object', () => {
    const [reading] = page([contact()]) as [GoodReading];
    const [plain] = page([contact()], new Map()) as [GoodReading];
    const raw = JSON.parse(text(reading)) as Record<string, unknown>;
    expect(raw).not.toHaveProperty('phone');
    expect(raw.custom_attributes).toEqual({ plan: STRING_MASK, tier: 'gold' });
    expect(raw.email).toBe(hmac(SECRET, 'ada@example.com'));
    expect(text(reading)).not.toContain('ada@example.com');
    expect(text(reading)).not.toContain('078-05-1120');
    const decoded = after.fromBuffer(Buffer.from(reading.after!)) as Record<string, unknown>;
    expect(decoded.phone).toBeNull();
    expect(decoded.email).toBe(hmac(SECRET, 'ada@example.com'));
    expect(decoded.name).toBe(STRING_MASK);
    expect(decoded.owner_id).toBe(0);
    expect(decoded.custom_attributes).toEqual({ plan: STRING_MASK, tier: 'gold' });
    expect(reading.hash).not.toBe(plain.hash);
  });

  it('publishes no change that only a dropped or masked field makes (the hash is of the policed object)', () => {
    const [a] = page([contact()]) as [GoodReading];
    const [b] = page([contact({ phone: '+1 555 0100', name: 'Ada King' })]) as [GoodReading];
    expect(b.hash).toBe(a.hash);
  });

  it('gives the dead letters of unreadable items the policed copy', () => {
    const [badTime, noId] = page([
      contact({ updated_at: 'yesterday' }),
      { email: 'grace@example.com', phone: '+1 555 0199', custom_attributes: { ssn: '219-09-9999' } },
    ]);
    for (const r of [badTime, noId]) {
      expect(r!.ok).toBe(false);
      const copy = (r as { copy: { json: string } }).copy.json;
      expect(copy).not.toMatch(/ada@example\.com|grace@example\.com|078-05-1120|219-09-9999|\+44|\+1 555/);
    }
    expect(JSON.parse((noId as { copy: { json: string } }).copy.json)).toEqual({
      email: hmac(SECRET, 'grace@example.com'),
      custom_attributes: {},
    });
    // A good reading's dead letter (an object that does not fit its record) is its policed raw.
    const [unmapped] = page([contact({ created_at: 'not a time' })]) as [GoodReading];
    expect(unmapped.after).toBeNull();
    expect(copyOfJson(unmapped.json).json).not.toContain('ada@example.com');
  });

  it('polices a fetched object and its children, each by its own stream', () => {
    const conv = compilePolicies({
      streams: { conversations: { mask: ['title'] }, conversation_parts: { drop: ['body'] } },
      secret: '',
    });
    const body = {
      type: 'conversation',
      id: '7',
      title: 'Secret title',
      created_at: 1,
      updated_at: 2,
      conversation_parts: {
        conversation_parts: [
          { type: 'conversation_part', id: 'p1', body: 'secret body', created_at: 1, updated_at: 2 },
        ],
      },
    };
    const how2: Preparation = { kind: 'object', stream: 'conversations', id: '7', children: true };
    const prepared = prepare(JSON.stringify(body), how2, undefined, conv) as {
      own: GoodReading;
      children: GoodReading[];
    };
    expect(text(prepared.own)).toContain(STRING_MASK);
    expect(text(prepared.own)).not.toContain('Secret title');
    expect(prepared.children).toHaveLength(1);
    expect(text(prepared.children[0]!)).not.toContain('secret body');
  });
});

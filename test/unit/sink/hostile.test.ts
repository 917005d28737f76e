/**
 * The contact sink against hostile or unlucky input (issue 23): pathological strings rejected by a bound
 * or by the structure of the check, retries per record bounded, deeply nested records and oversized
 * records dead-lettered within a size bound, search results checked against the contact read by id, and
 * the archive budget.
 */
import { CdcError, ConfigError } from '../../../src/errors';
import type { IntercomClient } from '../../../src/intercom';
import { RejectedRecord, SinkRunner, type SinkHandler } from '../../../src/sink';
import { ContactApplier } from '../../../src/sink/contacts/apply';
import {
  MAX_CHARS,
  attributeMapping,
  emailKey,
  looksLikeEmail,
  parseUpsert,
  type ContactUpsert,
} from '../../../src/sink/contacts/input';
import { MemoryKafka, record, runnerOptions } from './memory-kafka';

const options = { attributes: attributeMapping(['plan']), unmapped: 'reject' as const };
const MB = 1024 * 1024;

function rejection(value: unknown): RejectedRecord {
  try {
    parseUpsert(value, options);
  } catch (error) {
    if (error instanceof RejectedRecord) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('contact sink input bounds', () => {
  it.each([
    ['a one-megabyte email', { email: `${'a'.repeat(MB)}@example.com` }, 'email: '],
    ['the backtracking pattern, one megabyte', { email: `a@${'.'.repeat(MB)} ` }, 'email: '],
    ['an email of 255 characters', { email: `${'a'.repeat(243)}@example.com` }, 'longer than the 254'],
    ['a one-megabyte external_id', { external_id: 'x'.repeat(MB) }, 'external_id: '],
    ['a one-megabyte name', { email: 'a@b.co', name: 'n'.repeat(MB) }, 'name: '],
    ['a one-megabyte phone', { email: 'a@b.co', phone: '1'.repeat(MB) }, 'phone: '],
    ['a one-megabyte avatar URL', { email: 'a@b.co', avatar: `https://x/${'a'.repeat(MB)}` }, 'avatar: '],
    ['a one-megabyte timestamp', { email: 'a@b.co', signed_up_at: '9'.repeat(MB) }, 'signed_up_at: '],
    ['a one-megabyte owner id', { email: 'a@b.co', owner_id: '1'.repeat(MB) }, 'owner_id: '],
    [
      'a one-megabyte attribute value',
      { email: 'a@b.co', custom_attributes: { plan: 'p'.repeat(MB) } },
      'custom_attributes.plan: ',
    ],
    [
      'a hundred thousand attributes',
      {
        email: 'a@b.co',
        custom_attributes: Object.fromEntries([...Array(100_000).keys()].map((i) => [`k${i}`, 1])),
      },
      'more than the 1000',
    ],
  ])('rejects %s at once, by its length bound', (_name, value, message) => {
    const error = rejection(value);
    expect(error.code).toBe('invalid_field');
    expect(error.message).toContain(message);
    expect(error.message).toMatch(/longer than the \d+ allowed|more than the \d+/);
    expect(error.message.length).toBeLessThan(300);
  });

  it('rejects the backtracking pattern under the bound by its structure (no whitespace, one @, a dot inside)', () => {
    const worst = `a@${'.'.repeat(MAX_CHARS.email - 3)} `;
    expect(worst).toHaveLength(MAX_CHARS.email);
    expect(rejection({ email: worst }).message).toMatch(/^email: not an email address/);
    // The check makes single passes (indexOf, one character class without a quantifier): no backtracking.
    expect(looksLikeEmail.toString()).not.toMatch(/[+*}]\s*\//);
  });

  it('accepts exactly what the former regex accepted', () => {
    const former = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
    const samples = [
      'a@b.co',
      'a@b.c.',
      'a@.b.c',
      'a@.bc',
      'a@bc.',
      'a@b..',
      'a@..b',
      '@b.co',
      'a@@b.co',
      'a@b@c.co',
      'a b@c.co',
      'a@b.c\t',
      'a@bc',
      'a.b@cd',
      'a.b@c.d',
      'ü@bücher.de',
      '',
      '@',
      'a@.',
    ];
    for (const s of samples) expect([s, looksLikeEmail(s)]).toEqual([s, former.test(s)]);
  });

  it('compares emails NFKC-normalized and case-folded', () => {
    expect(emailKey('Ａｄａ@Example.COM')).toBe('ada@example.com');
    expect(emailKey('ADA@EXAMPLE.COM')).toBe(emailKey('ada@example.com'));
    expect(emailKey('ada@example.com')).not.toBe(emailKey('ada@example.co'));
  });
});

/** Below the broker's default max.message.bytes (1,048,588), with room for the record's overhead. */
const DLQ_BOUND = 1_000_000;

/** A handler of `{id, fail?}` records: `always` fails transiently on every try; `reject` is rejected. */
const handler: SinkHandler<{ id: string; fail?: string }, 'applied'> = {
  parse: (value) => {
    const v = value as { id: string; fail?: string; extra?: unknown };
    if (v.extra !== undefined) throw new RejectedRecord('unknown_field', 'unknown field(s) extra');
    return { item: v };
  },
  key: (item) => item.id,
  async apply(item) {
    if (item.fail === 'always')
      throw new CdcError('the API is away', { code: 'http_5xx', kind: 'transient' });
    return { result: 'applied', writes: 0 };
  },
};

async function run(kafka: MemoryKafka, tolerance: 'all' | 'none' = 'all') {
  const results: string[] = [];
  const runner = new SinkRunner(
    runnerOptions(kafka, handler, {
      tolerance,
      onRecord: (r) => results.push(r),
      maxRetryMs: 30,
      maxRetrySetting: 'THINGS_MAX_RETRY_MS',
    }),
  );
  const outcome = await runner.run(new AbortController().signal).then(
    () => undefined,
    (error: unknown) => error,
  );
  return { results, outcome };
}

describe('the sink runner against hostile records', () => {
  it('gives a record that keeps failing up after maxRetryMs: retries_exhausted in the dead-letter topic', async () => {
    const kafka = new MemoryKafka([record(0, '{"id":"a","fail":"always"}'), record(1, '{"id":"b"}')]);
    const { results, outcome } = await run(kafka);
    expect(outcome).toBeUndefined();
    expect(results).toEqual(['dead_letter', 'applied']);
    const [letter] = kafka.dlq();
    expect(letter!.body).toMatchObject({ offset: '0', code: 'retries_exhausted', record: { id: 'a' } });
    expect(letter!.body.error).toMatch(
      /after 30 ms of retries \(THINGS_MAX_RETRY_MS\).*http_5xx.*the API is away/,
    );
  });

  it('stops with retries_exhausted under tolerance none, skipping nothing', async () => {
    const kafka = new MemoryKafka([record(0, '{"id":"a","fail":"always"}'), record(1, '{"id":"b"}')]);
    const { results, outcome } = await run(kafka, 'none');
    expect(outcome).toBeInstanceOf(RejectedRecord);
    expect((outcome as RejectedRecord).code).toBe('retries_exhausted');
    expect(results).toEqual([]);
    expect(kafka.sent).toEqual([]);
  });

  it('dead-letters a record nested 10,000 levels deep instead of crashing', async () => {
    const deep = `{"id":"a","extra":${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
    const kafka = new MemoryKafka([record(0, deep), record(1, '{"id":"b"}')]);
    const { results, outcome } = await run(kafka);
    expect(outcome).toBeUndefined();
    expect(results).toEqual(['dead_letter', 'applied']);
    const [letter] = kafka.dlq();
    expect(letter!.body.code).toBe('too_deep');
    expect(letter!.body.error).toMatch(/^record\.extra(\[0\])+: nested deeper than 32 levels/);
    expect(letter!.body.record).toMatchObject({ id: 'a' });
    expect(letter!.bytes).toBeLessThan(DLQ_BOUND);
  });

  it('keeps every dead letter under the broker bound: the copy, an undecodable value and a huge key are cut and say so', async () => {
    const big = JSON.stringify({ id: 'a', extra: 'é'.repeat(600_000) }); // 1.2 MB of UTF-8
    const junk = Buffer.alloc(1_040_000, 0xff); // not UTF-8
    const kafka = new MemoryKafka([
      record(0, big),
      record(1, junk),
      record(2, '{"id":"c","extra":1}', 'k'.repeat(900_000)),
    ]);
    const { results } = await run(kafka);
    expect(results).toEqual(['dead_letter', 'dead_letter', 'dead_letter']);
    const [copy, undecodable, keyed] = kafka.dlq();
    for (const letter of [copy, undecodable, keyed]) expect(letter!.bytes).toBeLessThan(DLQ_BOUND);
    expect(copy!.body).toMatchObject({ code: 'unknown_field', record_truncated: true });
    expect(copy!.body.record_bytes).toBe(Buffer.byteLength(big));
    expect(typeof copy!.body.record).toBe('string');
    expect(big.startsWith(copy!.body.record as string)).toBe(true);
    expect(undecodable!.body).toMatchObject({
      code: 'undecodable',
      value_truncated: true,
      value_bytes: junk.length,
    });
    expect(junk.toString('base64').startsWith(undecodable!.body.value_base64 as string)).toBe(true);
    expect(keyed!.key).toBeNull();
    expect(keyed!.body).toMatchObject({
      key_dropped: true,
      key_bytes: 900_000,
      record: { id: 'c', extra: 1 },
    });
  });
});

/** Intercom as the applier sees it: a search index (possibly stale), live contacts by id, the writes. */
class FakeIntercom {
  readonly writes: { method: string; path: string; body: unknown }[] = [];
  readonly reads: string[] = [];

  constructor(
    readonly search: Record<string, unknown>[],
    readonly live: Record<string, Record<string, unknown>>,
  ) {}

  client(): IntercomClient {
    return {
      get: async (path: string) => {
        this.reads.push(path);
        return this.live[decodeURIComponent(path.split('/').pop()!)] ?? null;
      },
      post: async () => ({ data: this.search }),
      write: async (method: string, path: string, body: unknown) => {
        this.writes.push({ method, path, body });
        return { id: 'new' };
      },
    } as unknown as IntercomClient;
  }
}

const upsert = (u: Partial<ContactUpsert>): ContactUpsert => ({ fields: {}, customAttributes: {}, ...u });

describe('the contact applier trusts no search result', () => {
  it("a candidate whose email is not the record's is not a match (a create follows)", async () => {
    const api = new FakeIntercom([{ id: 'c1', email: 'other@example.com', role: 'user' }], {});
    const applied = await new ContactApplier(api.client(), 'user').apply(
      upsert({ email: 'ada@example.com' }),
    );
    expect(applied.outcome).toBe('created');
    expect(api.writes.map((w) => `${w.method} ${w.path}`)).toEqual(['POST /contacts']);
  });

  it('reads the candidate by id and plans against that read, not the lagging search copy', async () => {
    const api = new FakeIntercom([{ id: 'c1', email: 'ada@example.com', role: 'user', name: 'Old' }], {
      c1: { id: 'c1', email: 'ADA@example.com', role: 'user', name: 'New' },
    });
    const applied = await new ContactApplier(api.client(), 'user').apply(
      upsert({ email: 'ａｄａ@example.com', fields: { name: 'New' } }),
    );
    expect(api.reads).toEqual(['/contacts/c1']);
    expect(applied).toMatchObject({ outcome: 'unchanged', id: 'c1', writes: 0 });
  });

  it('a candidate whose live email changed since it was indexed is not a match', async () => {
    const api = new FakeIntercom([{ id: 'c1', email: 'ada@example.com', role: 'user' }], {
      c1: { id: 'c1', email: 'someone.else@example.com', role: 'user' },
    });
    const applied = await new ContactApplier(api.client(), 'user').apply(
      upsert({ email: 'ada@example.com', fields: { name: 'Ada' } }),
    );
    expect(applied.outcome).toBe('created');
    expect(api.writes.some((w) => w.path.startsWith('/contacts/c1'))).toBe(false);
  });
});

describe('the archive budget', () => {
  const contacts = ['c1', 'c2', 'c3'];
  const live = Object.fromEntries(contacts.map((id) => [id, { id, external_id: id, role: 'user' }]));

  function applier(maxPerHour: number, clock: () => number) {
    const api = new FakeIntercom([], live);
    const setting = { key: 'sink.contacts.maxArchivesPerHour', env: 'SINK_CONTACTS_MAX_ARCHIVES_PER_HOUR' };
    return { api, applier: new ContactApplier(api.client(), 'user', { maxPerHour, setting, clock }) };
  }

  it('stops before the archive over the budget, naming the setting, and allows more an hour later', async () => {
    let now = 0;
    const { api, applier: sink } = applier(2, () => now);
    await sink.apply(upsert({ externalId: 'c1', archived: true }));
    now += 1_000;
    await sink.apply(upsert({ externalId: 'c2', archived: true }));
    const error = await sink.apply(upsert({ externalId: 'c3', archived: true })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(
      /2 contacts archived in the last hour, the limit of sink\.contacts\.maxArchivesPerHour \(SINK_CONTACTS_MAX_ARCHIVES_PER_HOUR\)/,
    );
    expect(api.writes.map((w) => w.path)).toEqual(['/contacts/c1/archive', '/contacts/c2/archive']);
    now = 3_600_001;
    await expect(sink.apply(upsert({ externalId: 'c3', archived: true }))).resolves.toMatchObject({
      outcome: 'archived',
    });
  });

  it('0 is no limit', async () => {
    const { api, applier: sink } = applier(0, () => 0);
    for (const id of contacts) await sink.apply(upsert({ externalId: id, archived: true }));
    expect(api.writes).toHaveLength(3);
  });
});

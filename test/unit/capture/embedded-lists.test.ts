/**
 * Embedded lists past ten items (README, "How it captures": Diff): a contact whose tags, companies,
 * notes or segments say `has_more` is published with each list in full, read once per version.
 */
import { Walk } from '../../../src/capture/stream';
import { compilePolicies, completeLists, prepare, type PreparedObject } from '../../../src/capture/prepare';
import { hmac } from '../../../src/normalize/policy';
import type { GoodReading } from '../../../src/normalize';
import contact from '../../fixtures/intercom/contacts.json';
import { CdcError } from '../../../src/errors';
import { FakeIntercom, captureOf, codecOf, eventsOf, readPage } from './fakes';

type Obj = Record<string, unknown>;

const ID = 'c1';
const tagRef = (i: number) => ({ type: 'tag', id: `t${i}`, url: `/tags/t${i}` });
const tagObject = (i: number) => ({ type: 'tag', id: `t${i}`, name: `tag ${i}` });

/** A contact with `tags` tags (the API shows ten, with has_more past ten) and no other list past ten. */
function aContact(tags: number, updatedAt = 1_734_623_824, extra: Obj = {}): Obj {
  const refs = Array.from({ length: tags }, (_, i) => tagRef(i));
  return {
    ...contact,
    id: ID,
    updated_at: updatedAt,
    notes: { type: 'list', data: [], url: `/contacts/${ID}/notes`, total_count: 0, has_more: false },
    tags: {
      type: 'list',
      data: refs.slice(0, 10),
      url: `/contacts/${ID}/tags`,
      total_count: tags,
      has_more: tags > 10,
    },
    ...extra,
  };
}

function tagsOn(client: FakeIntercom, count: number): void {
  client.collections.delete(`/contacts/${ID}/tags`);
  for (let i = 0; i < count; i++) client.put(`/contacts/${ID}/tags`, tagObject(i));
}

const listReads = (client: FakeIntercom) =>
  client.served.filter((s) => s.kind === 'list' && s.path === `/contacts/${ID}/tags`);
const good = (page: ReturnType<typeof readPage>) => page.items[0] as GoodReading;

describe('completeLists', () => {
  it('puts every item of the full list in place of the embedded part, in its order, in the embedded references’ form', () => {
    const object = aContact(12);
    const full = [tagObject(11), ...Array.from({ length: 11 }, (_, i) => tagObject(i))];
    const done = completeLists(object, { tags: full, notes: 'not a list' });
    expect(done.tags).toEqual({
      type: 'list',
      data: [tagRef(11), ...Array.from({ length: 11 }, (_, i) => tagRef(i))],
      url: `/contacts/${ID}/tags`,
      total_count: 12,
      has_more: false,
    });
    expect(done.notes).toBe(object.notes); // not a list: left as it is
    expect(object.tags).toMatchObject({ has_more: true }); // the object itself is not changed
  });

  it('takes the URL form of the embedded references, and keeps an item that names no id as it came', () => {
    const object = {
      companies: {
        type: 'list',
        data: [{ type: 'company', id: 'a', url: '/v2/companies/a' }],
        url: '/x',
        has_more: true,
      },
    };
    const done = completeLists(object, { companies: [{ type: 'company', id: 'a' }, { id: 7 }, 'odd'] });
    expect((done.companies as { data: unknown[] }).data).toEqual([
      { type: 'company', id: 'a', url: '/v2/companies/a' },
      { id: '7', url: '/v2/companies/7' },
      'odd',
    ]);
  });
});

describe('readings of objects with embedded lists', () => {
  it('name the lists that say has_more, and only contacts’ declared lists', () => {
    expect(good(readPage('contacts', [aContact(12)])).incomplete).toEqual(['tags']);
    expect(good(readPage('contacts', [aContact(10)])).incomplete).toBeUndefined();
  });

  it('a completed object keeps the hash of the object as the API returned it, and carries every item', () => {
    const copy = good(readPage('contacts', [aContact(12)]));
    const text = JSON.stringify({
      object: aContact(12),
      lists: { tags: Array.from({ length: 12 }, (_, i) => tagObject(i)) },
    });
    const done = prepare(text, {
      kind: 'complete',
      stream: 'contacts',
      id: ID,
      hash: copy.hash,
    }) as PreparedObject;
    const own = done.own as GoodReading;
    expect(own.hash).toBe(copy.hash);
    expect(own.incomplete).toBeUndefined();
    const raw = JSON.parse(Buffer.from(own.json).toString()) as { tags: { data: unknown[] } };
    expect(raw.tags.data).toHaveLength(12);
    expect(own.after).not.toBeNull();
  });
});

describe('completed lists under a field policy', () => {
  it('polices the references a completed list adds, and the embedded ones (policed with the object) not twice', () => {
    const secret = 'a-secret-of-sixteen-chars';
    const policies = compilePolicies({ streams: { contacts: { hash: ['tags.data.url'] } }, secret });
    const page = prepare(
      JSON.stringify({ data: [aContact(12)] }),
      { kind: 'page', stream: 'contacts', listKey: 'data' },
      undefined,
      policies,
    ) as { data: GoodReading[] };
    const copy = page.data[0]!;
    const text = `{"object":${Buffer.from(copy.json).toString()},"lists":${JSON.stringify({
      tags: Array.from({ length: 12 }, (_, i) => tagObject(i)),
    })}}`;
    const how = { kind: 'complete', stream: 'contacts', id: ID, hash: copy.hash } as const;
    const own = (prepare(text, how, undefined, policies) as PreparedObject).own as GoodReading;
    const raw = JSON.parse(Buffer.from(own.json).toString()) as { tags: { data: { url: string }[] } };
    expect(raw.tags.data.map((t) => t.url)).toEqual(
      Array.from({ length: 12 }, (_, i) => hmac(secret, `/tags/t${i}`)),
    );
  });
});

describe('StreamCapture and embedded lists', () => {
  it('publishes a contact with its list in full: the rest read at child priority, without a GET of the contact', async () => {
    const client = new FakeIntercom();
    tagsOn(client, 25);
    const { capture, committer, store } = captureOf('contacts', client);
    const page = readPage('contacts', [aContact(25)]);
    const walk = new Walk({ snapshot: true });
    await capture.observePage(page, false, walk);
    await walk.tasks.drain();
    await capture.flush();
    expect(listReads(client).map((s) => s.priority)).toEqual(['child']);
    expect(client.served.filter((s) => s.kind === 'get')).toEqual([]);
    expect(eventsOf(committer, 'contacts')).toEqual([{ op: 'r', id: ID }]);
    const raw = rawOf(committer);
    expect(raw.tags.data.map((t) => t.id)).toEqual(Array.from({ length: 25 }, (_, i) => `t${i}`));
    expect(store.object('contacts', ID)!.h).toBe(good(page).hash);
  });

  it('reads no list with COMPLETE_EMBEDDED_LISTS=false: the event carries the items Intercom embeds', async () => {
    const client = new FakeIntercom();
    tagsOn(client, 25);
    const { capture, committer } = captureOf('contacts', client, { completeLists: false });
    const walk = new Walk({ snapshot: true });
    await capture.observePage(readPage('contacts', [aContact(25)]), false, walk);
    await walk.tasks.drain();
    await capture.flush();
    expect(listReads(client)).toEqual([]);
    expect(rawOf(committer).tags.data).toHaveLength(10);
  });

  it('reads the lists once per version: a copy of the published version reads none, a new version reads them again', async () => {
    const client = new FakeIntercom();
    tagsOn(client, 25);
    const { capture, committer } = captureOf('contacts', client);
    const walk = new Walk({ snapshot: false });
    const observe = async (object: Obj, search: boolean) => {
      await capture.observePage(readPage('contacts', [object]), search, walk);
      await walk.tasks.drain();
    };
    await observe(aContact(25), false);
    await capture.flush();
    await observe(aContact(25), true); // the overlap re-reads it from a search: same version
    await observe(aContact(25), false);
    expect(listReads(client)).toHaveLength(1);
    tagsOn(client, 24);
    await observe(aContact(24, 1_734_623_900), true);
    await capture.flush();
    expect(listReads(client)).toHaveLength(2);
    expect(eventsOf(committer, 'contacts').map((e) => e.op)).toEqual(['c', 'u']);
    expect(rawOf(committer).tags.data).toHaveLength(24);
  });

  it('a fetched contact (a search copy it cannot settle) has its lists completed too', async () => {
    const client = new FakeIntercom();
    client.put('/contacts', aContact(12));
    tagsOn(client, 12);
    const { capture, committer } = captureOf('contacts', client);
    const walk = new Walk({ snapshot: false });
    await capture.observePage(readPage('contacts', [aContact(12)]), true, walk); // unknown to the state
    await walk.tasks.drain();
    await capture.flush();
    expect(client.served.filter((s) => s.kind === 'get').map((s) => s.path)).toEqual([`/contacts/${ID}`]);
    expect(listReads(client)).toHaveLength(1);
    expect(rawOf(committer).tags.data).toHaveLength(12);
  });

  it('publishes nothing and deletes nothing when the list answers 404 (the contact went meanwhile)', async () => {
    const client = new FakeIntercom();
    const notFound = new CdcError('User Not Found', { code: 'not_found', kind: 'system' });
    client.failingLists.set(`/contacts/${ID}/tags`, notFound);
    const { capture, committer, store } = captureOf('contacts', client);
    store.setObject('contacts', ID, { u: 1_000, h: 'old' });
    const walk = new Walk({ snapshot: false });
    await capture.observePage(readPage('contacts', [aContact(12)]), false, walk);
    await walk.tasks.drain();
    await capture.flush();
    expect(eventsOf(committer, 'contacts')).toEqual([]);
    expect(capture.lookup(ID)).toEqual({ u: 1_000, h: 'old' });
  });

  it('a list that keeps failing counts as a failed read of the contact: the walk fails, then a dead letter', async () => {
    const client = new FakeIntercom();
    const failure = new CdcError('boom', { code: 'http_500', kind: 'transient' });
    client.failingLists.set(`/contacts/${ID}/tags`, failure);
    const { capture, committer } = captureOf('contacts', client, { maxReadAttempts: 2 });
    for (let attempt = 1; attempt <= 2; attempt++) {
      const walk = new Walk({ snapshot: false });
      await capture.observePage(readPage('contacts', [aContact(12)]), false, walk);
      if (attempt === 1) await expect(walk.tasks.drain()).rejects.toThrow('boom');
      else await walk.tasks.drain();
    }
    await capture.flush();
    expect(eventsOf(committer, 'contacts')).toEqual([]);
    expect(committer.on('cdc._dlq')).toHaveLength(1);
  });
});

/** The `raw` JSON of the last change event of the contacts' topic. */
function rawOf(committer: ReturnType<typeof captureOf>['committer']): { tags: { data: { id: string }[] } } {
  const { value } = codecOf('contacts');
  const last = committer
    .on('cdc.contacts')
    .filter((m) => m.value !== null)
    .at(-1)!;
  const envelope = value.fromBuffer((last.value as Buffer).subarray(5)) as { raw: string };
  return JSON.parse(envelope.raw) as { tags: { data: { id: string }[] } };
}

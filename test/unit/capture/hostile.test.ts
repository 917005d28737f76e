/**
 * What one bad value costs (README, "How it captures": Bad input): an item that is not an object with an
 * id, an `updated_at` in the future, an object whose read keeps failing. Each costs that one object (a
 * dead letter, or a warning), never its page, its walk or its stream's watermark.
 */
import { Walk } from '../../../src/capture/stream';
import { CdcError } from '../../../src/errors';
import { IntercomError } from '../../../src/intercom/errors';
import { readSequence, type Page } from '../../../src/intercom/pagination';
import type { Reading } from '../../../src/normalize';
import { CLOCK_MS, FakeIntercom, aTicket, captureOf, eventsOf, readPage, readsOn } from './fakes';

const NOW_S = CLOCK_MS / 1000;
const pageOf = (...items: unknown[]) => readPage('tickets', items);
const letters = (committer: { on(topic: string): { key: unknown; value: unknown }[] }) =>
  committer
    .on('cdc._dlq')
    .map((m) => ({ key: m.key, ...(JSON.parse(String(m.value)) as { code: string; error: string }) }));

describe('bad values cost one object', () => {
  it('sends items that are not objects with an id to the dead-letter topic, with their place on the page, and publishes the rest', async () => {
    const client = new FakeIntercom();
    const { capture, committer } = captureOf('tickets', client);
    const walk = new Walk({ snapshot: true });
    const seen = await capture.observePage(
      pageOf(
        null,
        aTicket('1', 100, 200),
        ['an', 'array'],
        { ...aTicket('x', 100, 200), id: undefined },
        { ...aTicket('x', 100, 200), id: { nested: true } },
        { ...aTicket('x', 100, 200), id: '' },
        aTicket('2', 100, 200),
        { ...aTicket('x', 100, 200), id: 7 }, // an integer id is an id
      ),
      false,
      walk,
    );
    await capture.flush();
    expect(seen.ids).toEqual(['1', '2', '7']);
    expect(eventsOf(committer, 'tickets').map((e) => e.id)).toEqual(['1', '2', '7']);
    const dead = letters(committer);
    expect(dead).toHaveLength(5);
    expect(dead.every((d) => d.code === 'invalid_item' && d.key === null)).toBe(true);
    expect(dead[0]!.error).toBe('tickets: item 1 of a page of 8 is null, not an object');
    expect(dead[2]!.error).toMatch(/item 4 of a page of 8 is an object without an id/);
    expect(walk.counts).toMatchObject({ read: 8, published: 3, deadLetters: 5 });
  });

  it('sends a page Intercom answered without its list to the dead-letter topic, with its request and body, and diffs the next page', async () => {
    const client = new FakeIntercom();
    const { capture, committer } = captureOf('tickets', client);
    const walk = new Walk({ snapshot: true });
    const body = { type: 'ticket.list', total_count: 3, pages: { next: { starting_after: 'c2' } } };
    const error = new IntercomError('Intercom answered POST /tickets/search without a "tickets" list', {
      code: 'page_without_list',
      kind: 'system',
    });
    const request = { method: 'POST', path: '/tickets/search' };
    const unread: Page<Reading> = {
      items: [],
      sequence: readSequence(),
      unread: { error, copy: { request, body } },
    };
    await capture.observePage(unread, true, walk);
    await capture.observePage(pageOf(aTicket('1', 100, 200)), true, walk);
    await capture.flush();
    expect(eventsOf(committer, 'tickets').map((e) => e.id)).toEqual(['1']);
    const dead = committer.on('cdc._dlq').map((m) => ({ key: m.key, ...JSON.parse(String(m.value)) }));
    expect(dead).toEqual([
      expect.objectContaining({
        key: null,
        stream: 'tickets',
        id: '',
        code: 'page_without_list',
        raw: { request, body },
      }),
    ]);
    expect(walk.counts).toMatchObject({ published: 1, deadLetters: 1 });
  });

  it('sends a conversation part without an id to the dead-letter topic and publishes its conversation and the other parts', async () => {
    const client = new FakeIntercom();
    client.put('/conversations', {
      type: 'conversation',
      id: '9',
      created_at: 100,
      updated_at: 200,
      conversation_parts: {
        type: 'conversation_part.list',
        conversation_parts: [{ id: 'p1', type: 'conversation_part', created_at: 150, updated_at: 150 }, null],
        total_count: 2,
      },
    });
    const { capture, committer } = captureOf('conversations', client);
    await capture.fetch('9', new Walk({ snapshot: false }));
    await capture.flush();
    expect(eventsOf(committer, 'conversations').map((e) => e.id)).toEqual(['9']);
    expect(eventsOf(committer, 'conversation_parts').map((e) => e.id)).toEqual(['p1']);
    expect(letters(committer).map((d) => d.error)).toEqual([
      'conversation_parts: part 2 of conversations 9 is null, not an object',
    ]);
  });

  it('does not let an updated_at in the future move the watermark or make later versions stale', async () => {
    const client = new FakeIntercom();
    const { capture, store, committer } = captureOf('tickets', client);
    const watermark = (NOW_S - 60) * 1000;
    store.setProgress('tickets', { watermark, lastReconcile: null, snapshotDone: true });
    client.put('/tickets', aTicket('1', 100, NOW_S + 86_400 * 365, { category: 'from the future' }));
    client.put('/tickets', aTicket('2', 100, NOW_S - 30));
    await readsOn(client).incremental(capture);
    expect(store.streamProgress('tickets').watermark).toBe((NOW_S - 30) * 1000); // not a year ahead
    expect(store.object('tickets', '1')!.u).toBeNull(); // no updated_at to order the next version by
    // Its real next version, dated now (earlier than the bad date), with other content: published.
    client.put('/tickets', aTicket('1', 100, NOW_S - 10, { category: 'fixed' }));
    await readsOn(client).incremental(capture);
    expect(
      eventsOf(committer, 'tickets')
        .filter((e) => e.id === '1')
        .map((e) => e.op),
    ).toEqual(['c', 'u']);
    expect(store.object('tickets', '1')!.u).toBe((NOW_S - 10) * 1000);
    // Within the skew bound, a timestamp a little ahead is trusted.
    client.put('/tickets', aTicket('3', 100, NOW_S + 60));
    await readsOn(client).incremental(capture);
    expect(store.object('tickets', '3')!.u).toBe((NOW_S + 60) * 1000);
  });

  it('fails the walk while an object cannot be read, after maxReadAttempts reads dead-letters it and goes on, and fetches that version no more', async () => {
    const client = new FakeIntercom();
    const { capture, store, committer } = captureOf('tickets', client, { maxReadAttempts: 3 });
    store.setProgress('tickets', { watermark: (NOW_S - 60) * 1000, lastReconcile: null, snapshotDone: true });
    client.put('/tickets', aTicket('bad', 100, NOW_S - 30)); // unknown to the state: fetched
    client.put('/tickets', aTicket('good', 100, NOW_S - 20));
    const unavailable = new IntercomError('Intercom GET /tickets/{id} answered 503 after 7 attempts', {
      code: 'http_5xx',
      kind: 'transient',
      status: 503,
    });
    client.failingGets.set('/tickets/bad', unavailable);
    for (let attempt = 1; attempt < 3; attempt++)
      await expect(readsOn(client).incremental(capture)).rejects.toThrow('answered 503');
    expect(store.streamProgress('tickets').watermark).toBe((NOW_S - 60) * 1000); // held back meanwhile
    const third = await readsOn(client).incremental(capture);
    expect(third.deadLetters).toBe(1);
    expect(letters(committer).map((d) => [d.key, d.code])).toEqual([['bad', 'read_failed']]);
    expect(store.streamProgress('tickets').watermark).toBe((NOW_S - 20) * 1000);
    expect(store.object('tickets', 'bad')).toBeUndefined(); // read again by a later walk or reconciliation
    // The same version, listed again by the next windows, is not fetched (nor dead-lettered) again.
    const getsOfBad = () => client.served.filter((r) => r.kind === 'get' && r.path === '/tickets/bad').length;
    const before = getsOfBad();
    await readsOn(client).incremental(capture);
    await readsOn(client).incremental(capture);
    expect(getsOfBad()).toBe(before);
    expect(letters(committer)).toHaveLength(1);
    // A reconciliation tries it once: one more failure dead-letters it again, and the walk goes on.
    await readsOn(client).reconcile(capture);
    expect(getsOfBad()).toBe(before + 1);
    expect(letters(committer).map((d) => d.code)).toEqual(['read_failed', 'read_failed']);
    // A later version is tried again, and published once it reads.
    client.failingGets.delete('/tickets/bad');
    client.put('/tickets', aTicket('bad', 100, NOW_S - 5));
    await readsOn(client).incremental(capture);
    expect(getsOfBad()).toBe(before + 2);
    expect(store.object('tickets', 'bad')!.u).toBe((NOW_S - 5) * 1000);
  });

  it('never dead-letters an object for a configuration failure: the walk fails every time', async () => {
    const client = new FakeIntercom();
    const { capture, committer } = captureOf('tickets', client, { maxReadAttempts: 1 });
    client.put('/tickets', aTicket('1', 100, NOW_S - 30));
    client.failingGets.set(
      '/tickets/1',
      new CdcError('Intercom GET /tickets/{id} answered 401', { code: 'unauthorized', kind: 'config' }),
    );
    const walk = new Walk({ snapshot: false });
    await expect(capture.fetch('1', walk)).rejects.toThrow('answered 401');
    await expect(capture.fetch('1', walk)).rejects.toThrow('answered 401');
    expect(committer.on('cdc._dlq')).toHaveLength(0);
  });
});

import { type RunningSimulator } from '../../../src/sim';
import { simulatorsPerTest } from '../../helpers/simulator';
import { call, searchAll } from './helpers';

/** Each quirk of Intercom's API that the simulator models, happening over real HTTP. */
const at = (iso: string): number => Date.parse(iso);
const sec = (iso: string): number => at(iso) / 1000;

describe('simulator quirks (real HTTP)', () => {
  let sim: RunningSimulator;
  const startSimulator = simulatorsPerTest();

  it('a contact updated at 09:00 is not matched by updated_at > 08:00 of the same day, but by = that day', async () => {
    sim = await startSimulator({
      seed: 2,
      size: { contacts: 50 },
      clock: { mode: 'manual', startMs: at('2026-01-05T00:00:00Z') },
    });
    sim.clock.set(at('2026-01-05T09:00:00Z'));
    const id = sim.mutate.create('contacts');
    const search = async (operator: string, iso: string): Promise<string[]> => {
      const body = {
        query: { field: 'updated_at', operator, value: sec(iso) },
        pagination: { per_page: 150 },
      };
      const a = await call(sim, 'POST', '/contacts/search', body);
      expect(a.status).toBe(200);
      return a.body.data.map((c: { id: string }) => c.id);
    };
    expect(await search('>', '2026-01-05T08:00:00Z')).not.toContain(id);
    expect(await search('=', '2026-01-05T08:00:00Z')).toContain(id);
    expect(await search('>', '2026-01-04T23:59:59Z')).toContain(id);
    expect(await search('<', '2026-01-05T23:00:00Z')).not.toContain(id);
  });

  it('the day boundary follows the workspace timezone, or UTC when configured', async () => {
    const boundary = async (dayBoundary: 'workspace' | 'utc'): Promise<boolean> => {
      const s = await startSimulator({
        seed: 2,
        size: { contacts: 5 },
        timezone: 'America/Los_Angeles',
        dayBoundary,
      });
      try {
        s.clock.set(at('2026-01-06T05:00:00Z')); // Jan 5, 21:00 in Los Angeles
        const id = s.mutate.create('contacts');
        const body = { query: { field: 'updated_at', operator: '=', value: sec('2026-01-05T18:00:00Z') } };
        const a = await call(s, 'POST', '/contacts/search', body);
        return a.body.data.some((c: { id: string }) => c.id === id);
      } finally {
        await s.close();
      }
    };
    expect(await boundary('workspace')).toBe(true); // same Los Angeles day (Jan 5)
    expect(await boundary('utc')).toBe(false); // Jan 6 in UTC
  });

  it('conversations and tickets: > and < include the bound, at second precision', async () => {
    sim = await startSimulator({ seed: 3, size: { conversations: 10, tickets: 10 } });
    sim.clock.advance(3_600_000);
    const now = Math.floor(sim.clock.now() / 1000);
    const conversation = sim.mutate.create('conversations');
    const ticket = sim.mutate.create('tickets');
    for (const [path, key, id] of [
      ['/conversations/search', 'conversations', conversation],
      ['/tickets/search', 'tickets', ticket],
    ] as const) {
      const ids = async (operator: string, value: number): Promise<string[]> =>
        (await call(sim, 'POST', path, { query: { field: 'updated_at', operator, value } })).body[key].map(
          (o: { id: string }) => o.id,
        );
      expect(await ids('>', now)).toContain(id);
      expect(await ids('<', now)).toContain(id);
      expect(await ids('>', now + 1)).not.toContain(id);
      expect(await ids('<', now - 1)).not.toContain(id);
    }
  });

  it('conversation search on id > "" walks every conversation once, as public connectors page', async () => {
    sim = await startSimulator({ seed: 3, size: { conversations: 25 } });
    const listed = (await call(sim, 'GET', '/conversations?per_page=150')).body.conversations.map(
      (o: { id: string }) => o.id,
    );
    const pages = await searchAll(
      sim,
      '/conversations/search',
      { field: 'id', operator: '>', value: '' },
      'conversations',
      10,
    );
    expect(pages.flat().sort()).toEqual([...listed].sort());
    const above = (
      await call(sim, 'POST', '/conversations/search', {
        query: { field: 'id', operator: '>', value: listed[0] },
        pagination: { per_page: 150 },
      })
    ).body.conversations.map((o: { id: string }) => o.id);
    expect(above.sort()).toEqual(listed.filter((id: string) => id >= listed[0]).sort());
  });

  it('a new or updated contact is absent from search until the index lag passes, but listed at once', async () => {
    sim = await startSimulator({ seed: 4, size: { contacts: 20 }, searchLagMs: 120_000 });
    const all = { field: 'created_at', operator: '>', value: 0 };
    const searchIds = async (): Promise<string[]> =>
      (await searchAll(sim, '/contacts/search', all, 'data', 150)).flat();
    const before = await searchIds();
    const created = sim.mutate.create('contacts');
    const updated = before[3] as string;
    sim.mutate.update('contacts', updated);
    const listed = (await call(sim, 'GET', '/contacts?per_page=150')).body.data.map(
      (c: { id: string }) => c.id,
    );
    expect(listed).toContain(created);
    expect(await searchIds()).not.toContain(created);
    expect(await searchIds()).not.toContain(updated);
    sim.clock.advance(119_000);
    expect(await searchIds()).not.toContain(created);
    sim.clock.advance(1_000);
    const after = await searchIds();
    expect(after).toContain(created);
    expect(after).toContain(updated);
  });

  it('a cursor walk during updates skips and repeats records, and can miss the updated one', async () => {
    sim = await startSimulator({ seed: 5, size: { contacts: 40 } });
    sim.clock.advance(86_400_000 * 2);
    const query = { field: 'created_at', operator: '>', value: 0 };
    const page = async (order: string, perPage: number, startingAfter?: string) =>
      (
        await call(sim, 'POST', '/contacts/search', {
          query,
          sort: { field: 'updated_at', order },
          pagination: { per_page: perPage, ...(startingAfter ? { starting_after: startingAfter } : {}) },
        })
      ).body;
    /** Walks pages of 10; after the first page, updates the record `pick` chooses from the full ordering. */
    const walk = async (
      order: string,
      pick: (ordered: string[]) => string,
    ): Promise<{ seen: string[]; victim: string }> => {
      const ordered = (await page(order, 150)).data.map((c: { id: string }) => c.id) as string[];
      const victim = pick(ordered);
      const seen: string[] = [];
      let body = await page(order, 10);
      seen.push(...body.data.map((c: { id: string }) => c.id));
      sim.clock.advance(1000);
      sim.mutate.update('contacts', victim);
      while (body.pages.next) {
        body = await page(order, 10, body.pages.next.starting_after);
        seen.push(...body.data.map((c: { id: string }) => c.id));
      }
      return { seen, victim };
    };
    const total = (await page('ascending', 150)).total_count as number;
    const count = (ids: string[], id: string): number => ids.filter((x) => x === id).length;

    // Ascending: a record already seen moves to the end. Everything after it shifts back by one, so the
    // record at the page boundary is skipped, and the updated one comes again.
    const ascending = await walk('ascending', (ordered) => ordered[5] as string);
    expect(new Set(ascending.seen).size).toBe(total - 1);
    expect(count(ascending.seen, ascending.victim)).toBe(2);

    // Descending: a record not seen yet jumps to the front, behind the cursor. The walk repeats the record
    // at the boundary and never sees the updated one: a missed change for a single walk.
    const descending = await walk('descending', (ordered) => ordered[15] as string);
    expect(descending.seen).toHaveLength(total);
    expect(new Set(descending.seen).size).toBe(total - 1);
    expect(descending.seen).not.toContain(descending.victim);
  });

  it('GET /conversations/{id} returns the 500 most recent parts: the 501st most recent is not returned', async () => {
    sim = await startSimulator({ seed: 6, size: { conversations: 3, partsPerConversation: 0 } });
    const conversation = sim.mutate.create('conversations');
    const parts: string[] = [];
    for (let i = 0; i < 501; i++) {
      sim.clock.advance(1000);
      parts.push(sim.mutate.create('conversation_parts', { conversation_id: conversation }));
    }
    const a = await call(sim, 'GET', `/conversations/${conversation}`);
    const returned = a.body.conversation_parts.conversation_parts.map((p: { id: string }) => p.id);
    expect(returned).toHaveLength(500);
    expect(returned).not.toContain(parts[0]);
    expect(returned).toEqual(parts.slice(1));
    expect(a.body.statistics.count_conversation_parts).toBe(501);
  });

  it('a merged contact vanishes from list, search and GET; the target is updated', async () => {
    sim = await startSimulator({ seed: 7, size: { contacts: 30 } });
    const [from, into] = sim.truth.ids('contacts').slice(2, 4) as [string, string];
    sim.clock.advance(5000);
    sim.mutate.merge(from, into);
    const listed = (await call(sim, 'GET', '/contacts?per_page=150')).body.data.map(
      (c: { id: string }) => c.id,
    );
    const searched = (
      await searchAll(sim, '/contacts/search', { field: 'created_at', operator: '>', value: 0 }, 'data', 150)
    ).flat();
    expect(listed).not.toContain(from);
    expect(searched).not.toContain(from);
    expect(listed).toContain(into);
    expect((await call(sim, 'GET', `/contacts/${from}`)).status).toBe(404);
    expect((await call(sim, 'GET', `/contacts/${into}`)).body.updated_at).toBe(
      Math.floor(sim.clock.now() / 1000),
    );
    expect(
      sim.truth
        .log()
        .slice(-2)
        .map((c) => [c.id, c.op]),
    ).toEqual([
      [from, 'd'],
      [into, 'u'],
    ]);
  });

  it('deleted objects disappear everywhere; a deleted conversation answers 404', async () => {
    sim = await startSimulator({ seed: 8, size: { conversations: 12, articles: 6 } });
    const conversation = sim.truth.ids('conversations')[4] as string;
    const article = sim.truth.ids('articles')[1] as string;
    sim.mutate.remove('conversations', conversation);
    sim.mutate.remove('articles', article);
    const gone = await call(sim, 'GET', `/conversations/${conversation}`);
    expect(gone.status).toBe(404);
    expect(gone.body.errors[0].code).toBe('not_found');
    const conversations = (await call(sim, 'GET', '/conversations?per_page=150')).body.conversations.map(
      (c: { id: string }) => c.id,
    );
    const searched = (
      await searchAll(
        sim,
        '/conversations/search',
        { field: 'created_at', operator: '>', value: 0 },
        'conversations',
        150,
      )
    ).flat();
    const articles = (await call(sim, 'GET', '/articles?per_page=150')).body.data.map(
      (c: { id: string }) => c.id,
    );
    expect(conversations).not.toContain(conversation);
    expect(searched).not.toContain(conversation);
    expect(conversations).toHaveLength(11);
    expect(articles).not.toContain(article);
  });

  it('articles come newest updated first, by page number', async () => {
    sim = await startSimulator({ seed: 9, size: { articles: 30 } });
    const target = sim.truth.ids('articles')[0] as string;
    sim.clock.advance(1000);
    sim.mutate.update('articles', target);
    const first = await call(sim, 'GET', '/articles?per_page=10&page=1');
    const third = await call(sim, 'GET', '/articles?per_page=10&page=3');
    expect(first.body.data[0].id).toBe(target);
    const stamps = [...first.body.data, ...third.body.data].map((a: { updated_at: number }) => a.updated_at);
    expect(stamps).toEqual([...stamps].sort((a, b) => b - a));
    expect(first.body.pages).toMatchObject({ page: 1, per_page: 10, total_pages: 3 });
    expect(third.body.data).toHaveLength(10);
  });
});

import { type RunningSimulator } from '../../../src/sim';
import { simulatorsPerTest } from '../../helpers/simulator';
import { type Answer, call } from './helpers';

/** The stale search index on demand (freezeSearch), over real HTTP: the two cases of issue #12. */

const admin = (sim: RunningSimulator, method: string, path: string, body?: unknown): Promise<Answer> =>
  call(sim, method, path, body, {});

async function searchById(
  sim: RunningSimulator,
  stream: 'contacts' | 'conversations',
  id: string,
): Promise<Record<string, unknown>[]> {
  const body = { query: { field: 'id', operator: '=', value: id }, pagination: { per_page: 150 } };
  const answer = await call(sim, 'POST', `/${stream}/search`, body);
  expect(answer.status).toBe(200);
  return answer.body[stream === 'contacts' ? 'data' : 'conversations'];
}

async function listedIds(sim: RunningSimulator, path: string, key: string): Promise<string[]> {
  const answer = await call(sim, 'GET', `${path}?per_page=150`);
  expect(answer.status).toBe(200);
  return answer.body[key].map((o: { id: string }) => o.id);
}

describe('a stale search index on demand (real HTTP)', () => {
  let sim: RunningSimulator;
  const startSimulator = simulatorsPerTest();

  it('(a) two versions of a contact share a second while search returns the older for several polls', async () => {
    sim = await startSimulator({ seed: 6, size: { contacts: 40 } });
    const id = sim.truth.ids('contacts')[10] as string;
    sim.clock.advance(60_000);
    sim.mutate.update('contacts', id, { name: 'First Copy' });
    const v1 = (await call(sim, 'GET', `/contacts/${id}`)).body;
    sim.mutate.freezeSearch('contacts', id, 90_000);
    sim.clock.advance(400); // still the same second
    sim.mutate.update('contacts', id, { name: 'Second Copy' });

    for (let poll = 0; poll < 4; poll++) {
      const v2 = (await call(sim, 'GET', `/contacts/${id}`)).body;
      expect(v2.name).toBe('Second Copy');
      expect(v2.updated_at).toBe(v1.updated_at);
      expect(await searchById(sim, 'contacts', id)).toEqual([v1]);
      expect((await listedIds(sim, '/contacts', 'data')).includes(id)).toBe(true);
      sim.clock.advance(20_000); // polls at +0.4, 20.4, 40.4, 60.4 s
    }
    sim.clock.advance(10_000); // 90.4 s after the freeze
    const now = (await call(sim, 'GET', `/contacts/${id}`)).body;
    expect(await searchById(sim, 'contacts', id)).toEqual([now]);
    expect(now.name).toBe('Second Copy');
  });

  it('(b) a conversation deleted while search keeps listing it, driven through /_sim/', async () => {
    sim = await startSimulator({ seed: 6, size: { conversations: 20 } });
    const id = sim.truth.ids('conversations')[5] as string;
    const [indexed] = await searchById(sim, 'conversations', id);
    expect(indexed).toBeDefined();
    const freeze = { stream: 'conversations', id, forMs: 120_000 };
    expect((await admin(sim, 'POST', '/_sim/search/freeze', freeze)).body).toEqual({ ok: true });
    expect(
      (await admin(sim, 'POST', '/_sim/mutate', { op: 'remove', stream: 'conversations', id })).status,
    ).toBe(200);

    for (let poll = 0; poll < 3; poll++) {
      expect(await searchById(sim, 'conversations', id)).toEqual([indexed]);
      expect((await call(sim, 'GET', `/conversations/${id}`)).status).toBe(404);
      expect(await listedIds(sim, '/conversations', 'conversations')).not.toContain(id);
      await admin(sim, 'POST', '/_sim/clock/advance', { ms: 30_000 });
    }
    await admin(sim, 'POST', '/_sim/clock/advance', { ms: 30_000 }); // 120 s after the freeze
    expect(await searchById(sim, 'conversations', id)).toEqual([]);
  });

  it('the admin route refuses what freezeSearch cannot do', async () => {
    sim = await startSimulator({ seed: 6, size: { contacts: 5, tickets: 5 } });
    const ticket = sim.truth.ids('tickets')[0];
    const refused = async (body: unknown): Promise<string> => {
      const answer = await admin(sim, 'POST', '/_sim/search/freeze', body);
      expect(answer.status).toBe(400);
      return answer.body.error;
    };
    expect(await refused({ stream: 'articles', id: '1', forMs: 1 })).toMatch(
      /stream must be one of contacts/,
    );
    expect(await refused({ stream: 'tickets', id: ticket })).toMatch(/forMs must be a number/);
    expect(await refused({ stream: 'tickets', id: 'nope', forMs: 1 })).toMatch(/no live tickets object/);
    expect(
      (await admin(sim, 'POST', '/_sim/search/freeze', { stream: 'tickets', id: ticket, forMs: 1 })).status,
    ).toBe(200);
  });
});

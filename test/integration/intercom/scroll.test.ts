import axios from 'axios';
import { IntercomClient, StaticTokenProvider, type Page } from '../../../src/intercom';
import { startSimulator } from '../../../src/sim';
import { handClock, sorted } from './helpers';

const TOKEN = 'tok_scroll_test';

/** A client whose waits move the simulator's wall clock instead of real time (scroll expiry is wall time). */
function clientOn(url: string, wall: ReturnType<typeof handClock>, waits: number[]): IntercomClient {
  return new IntercomClient({
    baseUrl: url,
    auth: new StaticTokenProvider(TOKEN),
    scroll: { busyRetries: 3, busyWaitMs: 61_000 },
    sleep: async (ms) => {
      waits.push(ms);
      wall.advance(ms);
    },
  });
}

describe('companies scroll against the simulator (real HTTP)', () => {
  it('restarts from the beginning when a continuation answers 500, and every company is seen', async () => {
    const wall = handClock();
    const sim = await startSimulator({
      seed: 8,
      size: { companies: 120 },
      token: TOKEN,
      wallClock: wall.now,
    });
    try {
      const client = clientOn(sim.url, wall, []);
      const pages: Page<{ id: string }>[] = [];
      for await (const page of client.scrollPages<{ id: string }>('/companies/scroll', 'data')) {
        pages.push(page);
        if (pages.length === 1)
          sim.faults.add({ kind: 'status', status: 500, match: { path: '/companies/scroll' }, times: 1 });
      }
      const ids = pages.flatMap((p) => p.items.map((c) => c.id));
      expect(pages.map((p) => p.restarted ?? false).filter(Boolean)).toHaveLength(1);
      expect(pages[1].restarted).toBe(true);
      expect(sorted([...new Set(ids)])).toEqual(sorted(sim.truth.ids('companies')));
      expect(ids.length).toBe(120 + pages[0].items.length); // the first page twice: nothing deduplicated
    } finally {
      await sim.close();
    }
  });

  it('waits while another scroll of the app is open (400), then walks', async () => {
    const wall = handClock();
    const sim = await startSimulator({ seed: 9, size: { companies: 30 }, token: TOKEN, wallClock: wall.now });
    try {
      const other = await axios.get(`${sim.url}/companies/scroll`, {
        headers: { Authorization: `Bearer ${TOKEN}`, 'Intercom-Version': '2.14' },
      });
      expect(other.status).toBe(200);
      const waits: number[] = [];
      const ids: string[] = [];
      for await (const page of clientOn(sim.url, wall, waits).scrollPages<{ id: string }>(
        '/companies/scroll',
        'data',
      )) {
        ids.push(...page.items.map((c) => c.id));
      }
      expect(waits).toEqual([61_000]);
      expect(sorted(ids)).toEqual(sorted(sim.truth.ids('companies')));
    } finally {
      await sim.close();
    }
  });
});

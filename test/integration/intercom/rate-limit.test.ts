import { IntercomClient, StaticTokenProvider } from '../../../src/intercom';
import { startSimulator } from '../../../src/sim';
import { collectIds, recordingObserver, sorted } from './helpers';

const TOKEN = 'tok_rate_limit_test';
const LIMIT = 50;
const WINDOW_MS = 2000;

describe('IntercomClient under a tight rate limit (simulator, real HTTP)', () => {
  it('completes two concurrent walks with few 429s and most of the allowed rate used', async () => {
    const sim = await startSimulator({
      seed: 1,
      size: { contacts: 500 },
      rateLimit: { limit: LIMIT, windowMs: WINDOW_MS },
      token: TOKEN,
    });
    try {
      const observer = recordingObserver();
      const client = new IntercomClient({
        baseUrl: sim.url,
        auth: new StaticTokenProvider(TOKEN),
        maxConcurrency: 4,
        observer,
      });
      const started = Date.now();
      const [searched, listed] = await Promise.all([
        collectIds(
          client.searchPages(
            '/contacts/search',
            'data',
            { field: 'created_at', operator: '>', value: 0 },
            { perPage: 4 },
          ),
        ),
        collectIds(client.cursorListPages('/contacts', 'data', { perPage: 4 })),
      ]);
      const elapsedMs = Date.now() - started;

      const stats = sim.stats();
      const answered = observer.requests.filter((r) => r.status === 200).length;
      const tooMany = observer.requests.filter((r) => r.status === 429).length;
      // the simulator's windows are aligned to multiples of WINDOW_MS of wall time: count those touched
      const windows = Math.floor(Date.now() / WINDOW_MS) - Math.floor(started / WINDOW_MS) + 1;
      const allowed = LIMIT * windows;
      console.log(
        `tight rate limit (${LIMIT}/${WINDOW_MS} ms): ${answered} answered in ${elapsedMs} ms (${windows} windows), ` +
          `${((100 * answered) / allowed).toFixed(1)} % of the allowed rate, ${tooMany} answered 429 ` +
          `(simulator: ${stats.requests} requests, ${stats.rateLimited} rate limited), ${observer.throttles.length} waits`,
      );

      const truth = sorted(sim.truth.ids('contacts'));
      expect(sorted(searched)).toEqual(truth);
      expect(sorted(listed)).toEqual(truth);
      expect(tooMany).toBeLessThanOrEqual(3);
      expect(stats.rateLimited).toBe(tooMany);
      expect(stats.missingVersion).toBe(0);
    } finally {
      await sim.close();
    }
  });
});

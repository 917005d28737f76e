import { TRIALS } from './helpers';
import { runUnderFaults } from './http-faults';
import { useSimulator } from '../../helpers/simulator';

const sim = useSimulator(() => ({ seed: 31, size: { contacts: 2000, admins: 4 } }));

/** 429 answers in a row per burst: each one holds every request until the window resets (1 s). */
const BURST = 4;

/** 429 storms on top of a tight rate limit: the client waits for the window, nothing is lost. */
describe('429 storms', () => {
  it(`rides out ${4 * TRIALS} bursts of 429 under a limit of 20 requests/s`, async () => {
    sim.setRateLimit({ limit: 20, windowMs: 1000 });
    const before = sim.stats().rateLimited;
    const run = await runUnderFaults(sim, {
      rounds: 4 * TRIALS,
      roundMs: 1000,
      served: (round) => sim.stats().rateLimited - before >= BURST * (round + 1),
      inject: (round) => [
        // A burst: the next requests all get 429 (Retry-After on every other burst; Intercom documents
        // only X-RateLimit-Reset).
        { kind: 'rateLimited', retryAfterSec: 1, retryAfterHeader: round % 2 === 0, times: BURST },
      ],
    });
    sim.setRateLimit(null);
    const rateLimited = sim.stats().rateLimited - before;
    console.log(
      `429 storms: ${rateLimited} answered 429 by the simulator (connector saw ${run.statuses['429'] ?? 0}), ` +
        `${run.retries} retries, ${run.events} events, statuses ${JSON.stringify(run.statuses)}`,
    );
    expect(run.outcome).toBe('running');
    expect(run.missing).toEqual([]);
    expect(run.duplicates).toEqual([]);
    expect(run.deadLetters).toBe(0);
    expect(rateLimited).toBeGreaterThanOrEqual(BURST * 4 * TRIALS);
  });
});

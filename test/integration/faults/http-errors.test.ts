import type { FaultSpec } from '../../../src/sim';
import { TRIALS } from './helpers';
import { runUnderFaults } from './http-faults';
import { useSimulator } from '../../helpers/simulator';

const sim = useSimulator(() => ({ seed: 37, size: { contacts: 2000, admins: 4 } }));

/** 5xx, resets, timeouts, truncated and malformed bodies during a sync: retried, nothing lost or doubled. */
describe('5xx, resets and broken bodies', () => {
  it(`recovers from ${7 * TRIALS} rounds of HTTP faults`, async () => {
    const kinds: FaultSpec[] = [
      { kind: 'status', status: 500 },
      { kind: 'status', status: 502 },
      { kind: 'status', status: 503 },
      { kind: 'reset' },
      { kind: 'timeout' },
      { kind: 'truncated' },
      { kind: 'malformed' },
    ];
    const before = sim.stats();
    const run = await runUnderFaults(sim, {
      rounds: 7 * TRIALS,
      roundMs: 1200,
      // Each round, one kind twice on contacts (list, search and GET) and once anywhere.
      inject: (round) => {
        const fault = kinds[round % kinds.length];
        return [
          { ...fault, match: { path: /^\/contacts/ }, times: 2 },
          { ...fault, times: 1 },
        ] as FaultSpec[];
      },
      env: { INTERCOM_TIMEOUT_MS: '1500' },
    });
    const after = sim.stats();
    const served = Object.fromEntries(
      ['500', '502', '503'].map((s) => [s, (after.byStatus[s] ?? 0) - (before.byStatus[s] ?? 0)]),
    );
    console.log(
      `http faults: simulator answered ${JSON.stringify(served)}; connector saw ${JSON.stringify(run.statuses)}, ` +
        `${run.retries} retries, ${run.events} events`,
    );
    expect(run.outcome).toBe('running');
    expect(run.missing).toEqual([]);
    expect(run.duplicates).toEqual([]);
    expect(run.deadLetters).toBe(0);
    // Every failure the connector met was retried (faults still queued when the sync ended are dropped,
    // so the count of rounds is no bound).
    const met = ['500', '502', '503', 'error'].reduce((n, s) => n + (run.statuses[s] ?? 0), 0);
    expect(met).toBeGreaterThan(0);
    expect(run.retries).toBeGreaterThanOrEqual(met);
    for (const status of ['500', '502', '503'])
      expect({ status, n: served[status] > 0 }).toEqual({ status, n: true });
  });
});

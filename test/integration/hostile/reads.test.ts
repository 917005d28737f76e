import { buildApp } from '../../../src/app';
import type { WaitHeader } from '../../../src/intercom/rate-limiter';
import { silentLogger } from '../../../src/logger';
import { readTopics, testConfig } from '../capture/harness';
import { converge, deadLetters, duplicates, waitFor } from '../faults/helpers';
import { useSimulator } from '../../helpers/simulator';

const sim = useSimulator(() => ({ seed: 67, size: { contacts: 30 } }), { clearFaultsAfterEach: true });

/** Cap of every wait taken from a header in these tests. */
const CAP_MS = 1_500;

/**
 * Reads that never succeed or never end, through the simulator over real HTTP and the real stack: an
 * object whose GET always fails is dead-lettered after ERRORS_MAX_READ_ATTEMPTS polls and the watermark
 * goes on; an absurd `Retry-After` or `X-RateLimit-Reset` is waited INTERCOM_MAX_HEADER_WAIT_MS, not
 * longer, and not in a busy loop.
 */
describe('reads that never end', () => {
  it('dead-letters an object whose GET always fails after ERRORS_MAX_READ_ATTEMPTS polls, and the stream goes on', async () => {
    const config = testConfig(sim.url, { STREAMS: 'contacts', ERRORS_MAX_READ_ATTEMPTS: '3' });
    const app = await buildApp(config, silentLogger());
    try {
      await app.engine.poll('contacts');
      await app.engine.reconcile('contacts'); // the one after the first sync: the next is an hour away
      sim.clock.advance(60_000);
      const broken = sim.mutate.create('contacts'); // new to the state: read by its GET
      const fine = sim.truth.ids('contacts').find((id) => id !== broken)!;
      sim.mutate.update('contacts', fine);
      sim.faults.add({
        kind: 'status',
        status: 400, // refused at once (a 5xx would be retried by the client first: slower, the same end)
        match: { method: 'GET', path: `/contacts/${broken}` },
        times: Infinity,
      });
      const watermark = app.store.streamProgress('contacts').watermark!;
      for (let poll = 1; poll < 3; poll++) await expect(app.engine.poll('contacts')).rejects.toThrow(/400/);
      expect(app.store.streamProgress('contacts').watermark).toBe(watermark); // held back meanwhile
      expect(await app.engine.poll('contacts')).toMatchObject({ kind: 'incremental', deadLetters: 1 });
      expect(app.store.streamProgress('contacts').watermark).toBeGreaterThan(watermark);
      let dlq = await deadLetters(app.topics.dlq);
      await waitFor(async () => (dlq = await deadLetters(app.topics.dlq)).length >= 1, 15_000);
      expect(dlq.map((d) => [d.key, d.code])).toEqual([[broken, 'read_failed']]);
      expect(dlq[0]!.error).toMatch(/read failed 3 times in a row/);

      // Readable again: a later window (it changed since) publishes it; everything else is there once.
      sim.faults.clear();
      sim.clock.advance(60_000);
      sim.mutate.update('contacts', broken);
      await app.engine.poll('contacts');
      expect(await converge(sim, config.kafka.topicPrefix, ['contacts'], 30_000)).toEqual([]);
      expect(duplicates(await readTopics([app.topics.events('contacts')]))).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it.each([
    ['Retry-After', true],
    ['X-RateLimit-Reset', false],
  ])(
    'waits an absurd %s header only INTERCOM_MAX_HEADER_WAIT_MS, once per 429, without a busy loop',
    async (_header, retryAfterHeader) => {
      const capped: { header: WaitHeader; waitMs: number; capMs: number }[] = [];
      const config = testConfig(sim.url, {
        STREAMS: 'contacts',
        INTERCOM_MAX_HEADER_WAIT_MS: String(CAP_MS),
      });
      const app = await buildApp(config, silentLogger(), {
        clientObserver: { headerWaitCapped: (e) => capped.push(e) },
      });
      try {
        await app.engine.poll('contacts');
        sim.clock.advance(60_000);
        sim.mutate.update('contacts', sim.truth.ids('contacts')[3]!);
        // 10^10 seconds: centuries, and past what one Node timer holds (2^31 ms, about 24.8 days).
        sim.faults.add({
          kind: 'rateLimited',
          retryAfterSec: 1e10,
          retryAfterHeader,
          match: { method: 'POST', path: '/contacts/search' },
          times: 1,
        });
        const requestsBefore = sim.stats().requests;
        const started = Date.now();
        expect(await app.engine.poll('contacts')).toMatchObject({ kind: 'incremental', published: 1 });
        const tookMs = Date.now() - started;
        expect(tookMs).toBeGreaterThanOrEqual(CAP_MS - 50); // waited: a timer that overflowed fires at once
        expect(tookMs).toBeLessThan(CAP_MS + 5_000); // and not past the cap
        expect(sim.stats().requests - requestsBefore).toBeLessThan(10); // no busy loop of requests
        expect(capped.filter((e) => e.waitMs > 1e12)).toContainEqual(
          expect.objectContaining({
            header: retryAfterHeader ? 'retry-after' : 'x-ratelimit-reset',
            capMs: CAP_MS,
          }),
        );
      } finally {
        await app.close();
      }
    },
  );
});

import { connectorEnv, startCli, waitFor } from '../../stack/cli';
import { readTopics, testConfig } from './harness';
import { useSimulator } from '../../helpers/simulator';

const sim = useSimulator(() => ({
  seed: 17,
  size: { contacts: CONTACTS },
  latency: { ms: 20 },
  rateLimit: { limit: 60, windowMs: 10_000 }, // a sync of some 50 pages takes several windows
}));

const CONTACTS = 6000;
const SEARCH = 'POST /contacts/search';

/**
 * A first sync is made of slices, each recorded as done in the transaction after its last events: a
 * SIGKILL in the middle of a long first sync resumes it where it was, instead of starting over.
 */
describe('a first sync killed half-way', () => {
  it('resumes the slices not yet done: every contact once, and only part of the workspace read again', async () => {
    const config = testConfig(sim.url, { STREAMS: 'contacts' });
    const topic = config.kafka.topicPrefix + '.contacts';
    const env = connectorEnv(config, { LOG_LEVEL: 'error', RECONCILE_INTERVAL_MS: '3600000' });
    const published = async () => (await readTopics([topic])).length;

    const first = startCli(['run'], env);
    const pagesAtStart = sim.stats().byRoute[SEARCH] ?? 0;
    expect(await waitFor(async () => (await published()) >= CONTACTS * 0.3, 120_000, 300)).toBe(true);
    first.child.kill('SIGKILL');
    expect(await first.exited).toBeNull();
    const before = await published();
    const pagesFirst = (sim.stats().byRoute[SEARCH] ?? 0) - pagesAtStart;
    expect(before).toBeLessThan(CONTACTS); // killed mid-way

    // The second life logs what its snapshot read and published (info level).
    const second = startCli(['run'], { ...env, LOG_LEVEL: 'info' }, { stdoutLimit: 2_000_000 });
    const done = () =>
      second
        .stdout()
        .split('\n')
        .filter((line) => line.includes('"snapshot done"'))
        .map((line) => JSON.parse(line) as { read: number; published: number })[0];
    expect(await waitFor(() => done() !== undefined, 180_000, 300)).toBe(true);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    const { read, published: publishedSecond } = done()!;

    const events = await readTopics([topic]);
    const ids = events.map((e) => e.id);
    expect(new Set(ids).size).toBe(CONTACTS);
    expect(ids).toHaveLength(CONTACTS); // every contact once: nothing committed was published again
    expect(before + publishedSecond).toBe(CONTACTS);
    // Read again: what the second life read beyond what it had left to publish, against the workspace.
    const readAgain = (read - publishedSecond) / CONTACTS;
    console.log(
      `resume: killed with ${before}/${CONTACTS} contacts committed (${pagesFirst} search pages); the second ` +
        `life read ${read} and published ${publishedSecond}: ${(readAgain * 100).toFixed(1)} % of the sync read again`,
    );
    expect(read).toBeLessThan(CONTACTS); // it did not start over
    expect(readAgain).toBeLessThan(0.35);
  });
});

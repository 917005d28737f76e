/**
 * State at scale: writes N object records to a fresh state topic (as committed transactions), then
 * measures the restore time and the process's RSS with the N objects held in memory.
 * `npx tsx --expose-gc bench/state.ts [--objects N]` (default 1000000). Targets (bench/README.md): restore of
 * 1,000,000 objects ≤ 30 s; ≤ 512 MB RSS with 1,000,000 objects in state.
 */
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { resolveStack } from '../src/devstack/resolve';
import { restoreState, StateStore } from '../src/kafka/state-store';
import { TransactionalPublisher } from '../src/kafka/publisher';
import { contentHash } from '../src/normalize';
import { record, runMain } from './lib';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const mb = (bytes: number) => Math.round(bytes / 2 ** 20);

async function main(): Promise<void> {
  const objects = arg('objects', 1_000_000);
  const stack = await resolveStack((l) => console.error(l));
  const kafka = new Kafka({ clientId: 'bench-state', brokers: stack.info.brokers, logLevel: logLevel.ERROR });
  const topic = `bench-state-${Date.now().toString(36)}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }],
  });
  await admin.disconnect();
  try {
    const writer = new StateStore('bench');
    const publisher = new TransactionalPublisher(kafka, `${topic}-writer`);
    await publisher.connect();
    const writeStarted = Date.now();
    const chunk = 20_000;
    for (let i = 0; i < objects; i += chunk) {
      const messages = [];
      for (let j = i; j < Math.min(objects, i + chunk); j++) {
        const id = randomBytes(12).toString('hex');
        messages.push(
          writer.objectRecord('contacts', id, { u: 1_700_000_000_000 + j * 1000, h: contentHash({ j }) }),
        );
      }
      await publisher.commit([{ topic, messages }]);
    }
    await publisher.disconnect();
    const writeSeconds = (Date.now() - writeStarted) / 1000;

    global.gc?.();
    const before = process.memoryUsage().rss;
    const started = Date.now();
    const store = await restoreState(kafka, topic, 'bench');
    const restoreSeconds = (Date.now() - started) / 1000;
    global.gc?.();
    const rss = process.memoryUsage().rss;
    if (store.size() !== objects) throw new Error(`restored ${store.size()} of ${objects} objects`);
    record(
      'state',
      [
        '## State at scale',
        '',
        `Command: \`npx tsx --expose-gc bench/state.ts --objects ${objects}\` (${stack.info.description}).`,
        `Writing the ${objects} state records took ${writeSeconds.toFixed(1)} s (not a target).`,
        '',
        '| objects | restore | target | met | RSS after restore (before) | target | met |',
        '|---|---|---|---|---|---|---|',
        `| ${objects} | ${restoreSeconds.toFixed(1)} s | ≤ 30 s | ${restoreSeconds <= 30 ? 'yes' : 'no'} | ${mb(rss)} MB (${mb(before)} MB) | ≤ 512 MB | ${mb(rss) <= 512 ? 'yes' : 'no'} |`,
      ].join('\n'),
    );
  } finally {
    await stack.release();
  }
}

runMain(main);

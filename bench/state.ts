/**
 * State at scale: writes N object records to a fresh state topic (as committed transactions), then
 * measures the restore time, the process's RSS with the N objects held in memory and the bytes per
 * object (RSS gained by the restore, and the store's own estimate). `npx tsx --expose-gc bench/state.ts
 * [--objects N]` (default 1000000). Targets (issue 22, bench/README.md): restore of 10,000,000 objects
 * ≤ 60 s with RSS ≤ 1 GB; RSS ≤ 300 MB with 1,000,000. Each run replaces its own row (by N) of the
 * table in RESULTS.md and keeps the rows of other sizes.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
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

/** The RSS target for N objects: 300 MB up to 1,000,000, 1 GB up to 10,000,000. */
const rssTarget = (objects: number) => (objects <= 1_000_000 ? 300 : 1024);
const RESTORE_TARGET_S = 60;

/** The rows of the state table already in RESULTS.md, by object count. */
function earlierRows(): Map<number, string> {
  const file = path.join(__dirname, 'RESULTS.md');
  const rows = new Map<number, string>();
  if (!existsSync(file)) return rows;
  const text = readFileSync(file, 'utf8');
  const section = text.slice(
    text.indexOf('<!-- bench:state:begin -->'),
    text.indexOf('<!-- bench:state:end -->'),
  );
  for (const line of section.split('\n')) {
    const m = /^\| (\d+) \| .* \| [\d.]+ B \|/.exec(line);
    if (m) rows.set(Number(m[1]), line);
  }
  return rows;
}

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
    const rssAtEnd = process.memoryUsage().rss;
    // V8 and the allocator give back the restore's garbage (fetch buffers, kafkajs' message objects)
    // over the next collections: the settled figure is what the process keeps while it runs.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    global.gc?.();
    const rss = process.memoryUsage().rss;
    if (store.size() !== objects) throw new Error(`restored ${store.size()} of ${objects} objects`);
    const perObject = (rss - before) / objects;
    const estimate = store.bytes() / objects;
    const rows = earlierRows();
    rows.set(
      objects,
      `| ${objects} | ${restoreSeconds.toFixed(1)} s | ≤ ${RESTORE_TARGET_S} s | ${restoreSeconds <= RESTORE_TARGET_S ? 'yes' : 'no'} | ${mb(rss)} MB (${mb(rssAtEnd)} MB; ${mb(before)} MB) | ≤ ${rssTarget(objects)} MB | ${mb(rss) <= rssTarget(objects) ? 'yes' : 'no'} | ${perObject.toFixed(0)} B | ${estimate.toFixed(1)} B |`,
    );
    record(
      'state',
      [
        '## State at scale',
        '',
        `Command: \`npx tsx --expose-gc bench/state.ts --objects N\` (${stack.info.description}).`,
        `Writing the ${objects} state records of the last run took ${writeSeconds.toFixed(1)} s (not a target).`,
        "Bytes per object: the RSS the restore added over N, and the store's estimate of what it holds",
        '(`StateStore.bytes()`: its typed arrays). Targets (issue 22): 10,000,000 objects restored in ≤ 60 s',
        'with RSS ≤ 1 GB; RSS ≤ 300 MB with 1,000,000. RSS after restore: after a full collection, 2 s and another',
        "(the restore's garbage is given back over the next collections); at its end: right after the restore",
        'and one collection; before: before the restore, after writing the records in the same process.',
        '',
        '| objects | restore | target | met | RSS after restore, settled (at its end; before) | target | met | bytes per object (RSS) | (store) |',
        '|---|---|---|---|---|---|---|---|---|',
        ...[...rows.keys()].sort((a, b) => a - b).map((n) => rows.get(n)!),
      ].join('\n'),
    );
  } finally {
    await stack.release();
  }
}

runMain(main);

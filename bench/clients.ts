/**
 * Kafka clients side by side, against the project's broker: kafkajs 2.2.4 (the project's), and the
 * candidates installed in a scratch directory (never in package.json): `@platformatic/kafka` and
 * `@confluentinc/kafka-javascript` (its KafkaJS-compatible API). Per client: a transaction fences a
 * second instance with the same transactional id; a topic ending with an aborted transaction is read
 * to its end read_committed; a consumer group commits offsets after processing; events/s and this
 * process's CPU per event in transactions of `--tx-size` events shaped as the connector's: each event
 * is a value of `--event-bytes` (3,000 by default, a contact with its raw JSON) keyed by id on a
 * 3-partition topic, plus its state record (~110 bytes of JSON, keyed `<connector>/<stream>/<id>`) on a
 * 1-partition topic, in one transaction, sent in requests of at most 768 KiB as the connector's
 * publishers send them (src/kafka/chunks.ts). The messages are made before the clock starts. The
 * project's @platformatic/kafka runs with the connector's own producer settings
 * (src/kafka/platformatic.ts: producerId -1/-1, short retries, the project's partitioner); confluent's
 * client loads from the scratch directory, and is listed as not installed when it is not there.
 * `npx tsx bench/clients.ts [--clients-dir /tmp/kafka-clients] [--transactions 20] [--tx-size 2000] [--event-bytes 3000]`.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- the candidates are loaded untyped from a scratch directory */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as platformaticKafka from '@platformatic/kafka';
import * as kafkajs from 'kafkajs';
import { resolveStack } from '../src/devstack/resolve';
import { chunks, MAX_REQUEST_BYTES } from '../src/kafka/chunks';
import { producerOptions } from '../src/kafka/platformatic';
import type { TopicBatch } from '../src/kafka/types';
import { numberArg, record, runMain, stringArg } from './lib';

/** What the benchmark asks of a client; each check returns a short verdict for the table. */
interface Driver {
  name: string;
  /** Commits each transaction in turn (each a list of topic batches, as a ChangeBatch part commits). */
  produce(transactions: TopicBatch[][]): Promise<void>;
  fencing(topic: string): Promise<string>;
  restore(topic: string, expected: number): Promise<string>;
  group(topic: string): Promise<string>;
  close(): Promise<void>;
}

type Msg = { key: Buffer; value: Buffer };

/** ~1 KB Avro-like binary: a few varints and short strings, then random bytes; keys `<prefix>-<i>`. */
function messages(n: number, prefix = 'contact'): Msg[] {
  return Array.from({ length: n }, (_, i) => ({
    key: Buffer.from(`${prefix}-${i}`),
    value: Buffer.concat([
      Buffer.from([2, i & 0x7f, 0x18]),
      Buffer.from('user@example.com'),
      randomBytes(1000),
    ]),
  }));
}

/**
 * `n` events shaped as the connector writes them (see the header): values of `bytes` (a few Avro-like
 * bytes, then random ones), keyed `contact-<t>-<i>`, and their state records, as one transaction.
 */
function eventTransaction(t: number, n: number, bytes: number, events: string, state: string): TopicBatch[] {
  const values = randomBytes(n * bytes);
  const eventMessages = [];
  const stateMessages = [];
  for (let i = 0; i < n; i++) {
    const id = `contact-${t}-${i}`;
    eventMessages.push({ key: Buffer.from(id), value: values.subarray(i * bytes, (i + 1) * bytes) });
    const h = createHash('sha256').update(id).digest('base64url');
    stateMessages.push({
      key: `bench/contacts/${id}`,
      value: `{"v":1,"u":${1_700_000_000_000 + i},"h":"${h}"}`,
    });
  }
  return [
    { topic: events, messages: eventMessages },
    { topic: state, messages: stateMessages },
  ];
}

/**
 * The fencing check, the same for every client: an instance commits, a second with the same
 * transactional id starts and commits, then the first must fail to commit.
 */
async function fencingVerdict<P>(
  open: (transactionalId: string) => Promise<P>,
  send: (producer: P) => Promise<void>,
  close: (producer: P) => Promise<void>,
): Promise<string> {
  const id = `bench-fence-${randomUUID()}`;
  const first = await open(id);
  await send(first);
  const second = await open(id);
  await send(second);
  const verdict = await send(first).then(
    () => 'FAIL: the first instance still commits',
    (e: Error) => `pass (${e.name}: ${e.message.slice(0, 60)})`,
  );
  await Promise.all([close(first).catch(() => 0), close(second)]);
  return verdict;
}

/**
 * The restore check's verdict on the keys a client read from the topic writeCommittedAndAborted wrote:
 * all `expected` committed records, and none of the aborted transactions' (keys `aborted-…`).
 */
function restoreVerdict(keys: string[], expected: number, ms: number, note = ''): string {
  const aborted = keys.filter((k) => k.startsWith('aborted-')).length;
  if (aborted > 0)
    return `FAIL: ${aborted} records of aborted transactions delivered among the first ${keys.length} (read_committed not applied)`;
  return keys.length === expected
    ? `pass (${expected} committed of ${expected * 2}, ${ms} ms${note})`
    : `FAIL: read ${keys.length} of ${expected}`;
}

/** The consumer group check's verdict: the records read, and the offsets the group committed. */
function groupVerdict(keys: string[], committed: number, how: string): string {
  const aborted = keys.filter((k) => k.startsWith('aborted-')).length;
  if (keys.length !== 200 || committed < 200) return `FAIL: read ${keys.length}, committed ${committed}`;
  return `pass (${how}, up to offset ${committed}${aborted ? `; ${aborted} of the records read were aborted ones` : ''})`;
}

/** A driver over the kafkajs API: kafkajs itself, or confluent's KafkaJS-compatible layer. */
function kafkajsShaped(name: string, k: typeof kafkajs, brokers: string[], wrap: boolean): Driver {
  const conf = <T extends object>(c: T) => (wrap ? { kafkaJS: c } : c) as T;
  const kafka = new k.Kafka(conf({ clientId: 'bench-clients', brokers, logLevel: k.logLevel.NOTHING }));
  const producer = (transactionalId: string) =>
    kafka.producer(conf({ transactionalId, idempotent: true, maxInFlightRequests: 1 }));
  const txSend = async (p: kafkajs.Producer, batches: TopicBatch[], commit: boolean) => {
    const tx = await p.transaction();
    for (const topicMessages of chunks(batches, MAX_REQUEST_BYTES)) await tx.sendBatch({ topicMessages });
    if (commit) await tx.commit();
    else await tx.abort();
  };
  const readAll = async (topic: string, expected: number, groupId: string, commitAfter: boolean) => {
    const consumer = kafka.consumer(
      conf({ groupId, readUncommitted: false, fromBeginning: true, autoCommit: false }),
    );
    await consumer.connect();
    await consumer.subscribe(wrap ? { topics: [topic] } : { topic, fromBeginning: true });
    const keys: string[] = [];
    const done = new Promise<void>((resolve) => {
      void consumer.run({
        ...(wrap ? {} : { autoCommit: false }),
        eachMessage: async ({ partition, message }) => {
          keys.push(String(message.key));
          if (commitAfter)
            await consumer.commitOffsets([
              { topic, partition, offset: (BigInt(message.offset) + 1n).toString() },
            ]);
          if (keys.length >= expected) resolve();
        },
      });
    });
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, 30_000).unref());
    await Promise.race([done, timeout]);
    await consumer.disconnect();
    return keys;
  };
  return {
    name,
    async produce(transactions) {
      const p = producer(`bench-${randomUUID()}`);
      await p.connect();
      for (const batches of transactions) await txSend(p, batches, true);
      await p.disconnect();
    },
    fencing(topic) {
      return fencingVerdict(
        async (id) => {
          const p = producer(id);
          await p.connect();
          return p;
        },
        (p) => txSend(p, [{ topic, messages: messages(1) }], true),
        (p) => p.disconnect(),
      );
    },
    async restore(topic, expected) {
      const started = Date.now();
      const keys = await readAll(topic, expected, `bench-restore-${randomUUID()}`, false);
      return restoreVerdict(keys, expected, Date.now() - started);
    },
    async group(topic) {
      const groupId = `bench-group-${randomUUID()}`;
      const keys = await readAll(topic, 200, groupId, true);
      return groupVerdict(
        keys,
        await committedOffsets(brokers, groupId, topic),
        'committed after each message',
      );
    },
    async close() {},
  };
}

/**
 * A driver over @platformatic/kafka's own API (loaded from the scratch directory), with the connector's
 * producer options: without producerId -1/-1 a second instance is refused (PRODUCER_FENCED) instead of
 * fencing the first, and the client's default retry delay (1 s) meets every CONCURRENT_TRANSACTIONS
 * after a commit. A producer registers its id when opened, as the connector's publisher does.
 */
function platformatic(name: string, pk: Record<string, any>, brokers: string[]): Driver {
  const base = { clientId: 'bench-clients', bootstrapBrokers: brokers };
  const producer = async (transactionalId: string) => {
    const p = new pk.Producer(producerOptions({ clientId: base.clientId, brokers }, transactionalId));
    const tx = await p.beginTransaction();
    await tx.cancel();
    return p;
  };
  const txSend = async (p: any, batches: TopicBatch[], commit: boolean) => {
    const tx = await p.beginTransaction();
    for (const chunk of chunks(batches, MAX_REQUEST_BYTES))
      await tx.send({
        messages: chunk.flatMap((b) =>
          b.messages.map((m) => ({
            topic: b.topic,
            key: typeof m.key === 'string' ? Buffer.from(m.key) : m.key,
            value: typeof m.value === 'string' ? Buffer.from(m.value) : m.value,
          })),
        ),
      });
    if (commit) await tx.commit();
    else await tx.abort();
  };
  /** Reads `expected` committed records from the beginning; `each` runs on each before the next. */
  const readAll = async (
    topic: string,
    groupId: string,
    expected: number,
    each?: (m: any) => Promise<void>,
  ) => {
    const consumer = new pk.Consumer({ ...base, groupId });
    const stream = await consumer.consume({
      topics: [topic],
      mode: 'earliest',
      autocommit: false,
      isolationLevel: pk.FetchIsolationLevels.READ_COMMITTED,
    });
    const keys: string[] = [];
    const read = (async () => {
      for await (const message of stream) {
        await each?.(message);
        keys.push(String(message.key));
        if (keys.length >= expected) break;
      }
    })();
    await Promise.race([read, new Promise((r) => setTimeout(r, 30_000).unref())]);
    await stream.close().catch(() => undefined);
    await consumer.close(true);
    return keys;
  };
  return {
    name,
    async produce(transactions) {
      const p = await producer(`bench-${randomUUID()}`);
      for (const batches of transactions) await txSend(p, batches, true);
      await p.close();
    },
    fencing(topic) {
      return fencingVerdict(
        (id) => producer(id),
        (p) => txSend(p, [{ topic, messages: messages(1) }], true),
        (p) => p.close(true),
      );
    },
    async restore(topic, expected) {
      const started = Date.now();
      const keys = await readAll(topic, `bench-restore-${randomUUID()}`, expected);
      return restoreVerdict(
        keys,
        expected,
        Date.now() - started,
        '; end found by count: its stream gives no end-of-log signal',
      );
    },
    async group(topic) {
      const groupId = `bench-group-${randomUUID()}`;
      const keys = await readAll(topic, groupId, 200, (m) => m.commit());
      return groupVerdict(
        keys,
        await committedOffsets(brokers, groupId, topic),
        'message.commit() after each message, its own consumer API',
      );
    },
    async close() {},
  };
}

/** The offsets a group committed on a topic, summed over its partitions (read with kafkajs' admin). */
async function committedOffsets(brokers: string[], groupId: string, topic: string): Promise<number> {
  const admin = new kafkajs.Kafka({ brokers, logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
    return offsets[0].partitions.reduce((s, p) => s + Math.max(0, Number(p.offset)), 0);
  } finally {
    await admin.disconnect();
  }
}

/**
 * What `npm view <pkg> time dist-tags engines` answered on 2026-12-03 (this machine's registry: its
 * timestamps may be a mirror's, e.g. kafkajs 2.2.0 dated after 2.2.4), and the projects' own trackers.
 * Update by hand when a row's client changes.
 */
const MAINTENANCE: [prefix: string, note: string][] = [
  [
    'kafkajs',
    'latest 2.2.4 (npm time 2024-12-07; 2.3.0-beta.2 2026-09-14); an open call for maintainers since 2023-08 (tulios/kafkajs#1603); engines node >=14',
  ],
  [
    '@platformatic/kafka',
    '1.35.0 2026-09-13 (1.x: node >= 20.19.4, 22.18, 24.6); latest 2.12.1 2026-09-27 needs node >= 22.22 or 24.6; releases every few weeks (Platformatic Inc.)',
  ],
  [
    '@confluentinc/kafka-javascript',
    "Confluent's supported client over librdkafka: 1.10.1 2026-09-12, 1.10.0 2026-07-10, 1.9.1 2026-08-11 (npm time); engines node >=18; its prebuilt binary downloads from GitHub (not reachable here): installing builds librdkafka from source (see the note)",
  ],
];

/** The version of the project's @platformatic/kafka (package.json pins it). */
function platformaticVersion(): string {
  const manifest = path.join(__dirname, '..', 'node_modules', '@platformatic', 'kafka', 'package.json');
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}

function maintenance(client: string): string {
  return MAINTENANCE.find(([prefix]) => client.startsWith(prefix))?.[1] ?? '';
}

async function main(): Promise<void> {
  const transactions = numberArg('transactions', 20);
  const size = numberArg('tx-size', 2000);
  const eventBytes = numberArg('event-bytes', 3000);
  const dir = stringArg('clients-dir');
  const stack = await resolveStack((l) => console.error(l));
  const brokers = [...stack.info.brokers];
  const admin = new kafkajs.Kafka({ brokers, logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
  const topicOf = async (name: string, partitions: number) => {
    const topic = `bench-clients-${name}-${randomUUID().slice(0, 8)}`;
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: partitions }] });
    return topic;
  };

  const drivers: Driver[] = [
    kafkajsShaped('kafkajs 2.2.4', kafkajs, brokers, false),
    platformatic(`@platformatic/kafka ${platformaticVersion()}`, platformaticKafka, brokers),
  ];
  const missing: string[] = [];
  const load = (pkg: string) => {
    const req = createRequire(path.join(path.resolve(dir ?? '.'), 'package.json'));
    const manifest = path.join(path.resolve(dir ?? '.'), 'node_modules', pkg, 'package.json');
    return { mod: req(pkg), version: JSON.parse(readFileSync(manifest, 'utf8')).version as string };
  };
  for (const [pkg, make] of [
    [
      '@confluentinc/kafka-javascript',
      (m: any, v: string) =>
        kafkajsShaped(
          `@confluentinc/kafka-javascript ${v} (librdkafka ${m.librdkafkaVersion})`,
          m.KafkaJS,
          brokers,
          true,
        ),
    ],
  ] as const) {
    try {
      if (!dir) throw new Error('no --clients-dir');
      const { mod, version } = load(pkg);
      drivers.push(make(mod, version));
    } catch (error) {
      missing.push(`${pkg}: not installed (${(error as Error).message.split('\n')[0]})`);
    }
  }

  const rows: string[] = [];
  for (const d of drivers) {
    const row = async (): Promise<string> => {
      const fence = await d.fencing(await topicOf('fence', 1));
      const restoreTopic = await topicOf('restore', 1);
      await writeCommittedAndAborted(brokers, restoreTopic);
      const restore = await d.restore(restoreTopic, 200);
      const group = await d.group(restoreTopic);
      const [events, state] = [await topicOf('events', 3), await topicOf('state', 1)];
      const work = Array.from({ length: transactions + 1 }, (_, t) =>
        eventTransaction(t, size, eventBytes, events, state),
      );
      await d.produce(work.slice(0, 1)); // warm-up: connections, metadata, JIT
      const cpu = process.cpuUsage();
      const started = process.hrtime.bigint();
      await d.produce(work.slice(1));
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const used = process.cpuUsage(cpu);
      const n = transactions * size;
      const us = (used.user + used.system) / n;
      return `| ${d.name} | ${Math.round(n / seconds)} | ${us.toFixed(1)} µs | ${fence} | ${restore} | ${group} | ${maintenance(d.name)} |`;
    };
    rows.push(
      await row().catch(
        (e: Error) => `| ${d.name} | error: ${e.message.slice(0, 120)} | | | | | ${maintenance(d.name)} |`,
      ),
    );
    await d.close();
  }
  await admin.disconnect();
  await stack.release();

  record(
    'clients',
    [
      '## Kafka clients side by side',
      '',
      `Command: \`npx tsx bench/clients.ts --clients-dir ${dir ?? '(none)'} --transactions ${transactions} --tx-size ${size} --event-bytes ${eventBytes}\` ` +
        `(${stack.info.description}). Throughput: ${transactions} transactions of ${size} events, after one ` +
        `warm-up transaction; an event is a ${eventBytes}-byte value on a 3-partition topic and its ~110-byte ` +
        `state record on a 1-partition topic, as the connector writes them; CPU is this process's ` +
        `(user + system, librdkafka's threads included) / events.`,
      '',
      '| client | events/s | CPU per event | fencing of a 2nd instance | read_committed to the end past aborted transactions | consumer group, offsets committed after processing | maintenance |',
      '|---|---|---|---|---|---|---|',
      ...rows,
      ...(missing.length ? ['', ...missing.map((m) => `- ${m}`)] : []),
    ].join('\n'),
  );
}

/** 100 committed, 100 aborted, 100 committed, 100 aborted at the end (an instance killed mid-transaction). */
async function writeCommittedAndAborted(brokers: string[], topic: string): Promise<void> {
  const k = new kafkajs.Kafka({ brokers, logLevel: kafkajs.logLevel.NOTHING });
  const p = k.producer({
    transactionalId: `bench-restore-${randomUUID()}`,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await p.connect();
  for (const commit of [true, false, true, false]) {
    const tx = await p.transaction();
    await tx.send({ topic, messages: messages(100, commit ? 'committed' : 'aborted') });
    if (commit) await tx.commit();
    else await tx.abort();
  }
  await p.disconnect();
}

// A client whose check failed may keep sockets open (platformatic's producer after a failed
// InitProducerId): the benchmark ends once it has recorded.
runMain(() => main().then(() => process.exit(0)));

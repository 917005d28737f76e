/**
 * Freshness of conversation changes: the simulator (in this process, its clock on real time, answers
 * delayed as Intercom's are, at Intercom's rate limit) changes random conversations at 5,000 an hour
 * while the connector polls conversations every P, reconciles them every R, and takes the first sync
 * (snapshot) of a large contacts stream beside them; for each change,
 * the time from the change (wall clock when it was made) to the arrival of the event that carries it at
 * a read_committed consumer of the conversations topic (matched by id and updated_at: the first event of
 * that id with updated_at ≥ the change's; a later change of the same conversation carries the earlier
 * one). Deletes are left out: reconciliation publishes them, on its own schedule.
 *
 * With --webhooks the simulator also posts a signed webhook of each change to a receiver in this
 * process, and the connector reads them as hints (WEBHOOKS_HINTS, README "Webhooks"); deletes are then
 * measured too (change to the arrival of the `d` event), in a section of their own (`freshness-webhooks`).
 *
 *   npx tsx bench/freshness.ts [--poll-ms 5000] [--search-lag-ms 2000] [--changes-per-second 1.39]
 *                              [--duration-s 90] [--conversations 2000] [--latency-ms 300]
 *                              [--reconcile-ms 20000] [--snapshot-contacts 100000] [--rate-limit 1666]
 *                              [--webhooks]
 *
 * Target (bench/README.md): p95 ≤ P + 5 s. The simulator hides a change from search for --search-lag-ms
 * (Intercom's search index lags too); that lag is inside the measured time.
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import net from 'node:net';
import { buildApp, buildWebhookReceiver, runWebhookHints } from '../src/app';
import { startReceiver } from '../src/webhooks/receiver';
import { createRegistry } from '../src/kafka/clients';
import { resolveStack } from '../src/devstack/resolve';
import { silentLogger } from '../src/logger';
import { startSimulator } from '../src/sim';
import {
  INTERCOM_PER_10S,
  benchConfig,
  flag,
  numberArg,
  percentile,
  record,
  runMain,
  settingsPrefix,
} from './lib';

const WEBHOOK_SECRET = 'bench-freshness-secret';

/** A loopback port free now (the simulator must know the receiver's URL before the receiver starts). */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

interface Change {
  id: string;
  /** A delete (measured with --webhooks only). */
  deleted?: boolean;
  /** updated_at after the change, epoch ms (the API shows seconds). */
  updatedAtMs: number;
  madeAt: number;
}

async function main(): Promise<void> {
  const pollMs = numberArg('poll-ms', 5_000);
  const searchLagMs = numberArg('search-lag-ms', 2_000);
  const perSecond = numberArg('changes-per-second', 5_000 / 3_600);
  const durationS = numberArg('duration-s', 90);
  const conversations = numberArg('conversations', 2_000);
  const latencyMs = numberArg('latency-ms', 300);
  const reconcileMs = numberArg('reconcile-ms', 20_000);
  const snapshotContacts = numberArg('snapshot-contacts', 100_000);
  const rateLimit = numberArg('rate-limit', INTERCOM_PER_10S);
  const webhooks = flag('webhooks');
  const webhooksPort = webhooks ? await freePort() : 0;
  const stack = await resolveStack((l) => console.error(l));
  const sim = await startSimulator({
    ...(webhooks
      ? { webhooks: { url: `http://127.0.0.1:${webhooksPort}/webhooks`, secret: WEBHOOK_SECRET } }
      : {}),
    seed: 1,
    size: { contacts: Math.max(1, snapshotContacts), conversations, companies: 0, tickets: 0 },
    clock: { mode: 'real' },
    searchLagMs,
    latency: latencyMs > 0 ? { ms: latencyMs } : null,
    rateLimit: { limit: rateLimit },
  });
  const config = benchConfig(stack.info, sim.url, {
    STREAMS: snapshotContacts > 0 ? 'conversations,contacts' : 'conversations',
    POLL_INTERVAL_MS: String(pollMs),
    RECONCILE_INTERVAL_MS: String(reconcileMs),
    WEBHOOKS_CLIENT_SECRET: WEBHOOK_SECRET,
  });
  const abort = new AbortController();
  const kafka = new Kafka({
    clientId: 'bench-freshness',
    brokers: stack.info.brokers,
    logLevel: logLevel.ERROR,
  });
  const consumer = kafka.consumer({ groupId: `bench-freshness-${randomUUID()}`, readUncommitted: false });
  try {
    let polls = 0;
    let reconciliations = 0;
    let contactsSnapshotEndedAt: number | undefined;
    const app = await buildApp(config, silentLogger(), {
      engineObserver: () => ({
        polled: (stream) => {
          if (stream === 'conversations') polls++;
          else if (stream === 'contacts') contactsSnapshotEndedAt ??= Date.now();
        },
        slices: (stream, kind, p) => {
          if (stream === 'conversations' && kind === 'reconcile' && p.slicesDone === p.slicesTotal)
            reconciliations++;
        },
      }),
    });
    const registry = createRegistry(config.schemaRegistry);
    /** Arrivals per conversation id: updated_at (ms) and when the event reached the consumer. */
    const arrivals = new Map<string, { updatedAtMs: number; at: number }[]>();
    /** When each conversation's `d` event reached the consumer. */
    const deletes = new Map<string, number>();
    const receiver = webhooks
      ? buildWebhookReceiver(config, silentLogger(), { answered: () => undefined })
      : undefined;
    await receiver?.prepare();
    const listening = receiver
      ? await startReceiver({ port: webhooksPort, host: '127.0.0.1' }, receiver.handler)
      : undefined;
    await consumer.connect();
    await consumer.subscribe({ topic: app.topics.events('conversations'), fromBeginning: true });
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    await consumer.run({
      eachMessage: async ({ message }) => {
        const at = Date.now();
        if (!message.key || !message.value) return; // tombstone
        const key = (await registry.decode(message.key)) as { id: string };
        const value = (await registry.decode(message.value)) as {
          op: string;
          source: { updated_at: unknown };
        };
        if (value.op === 'd') deletes.set(key.id, at);
        const u = value.source.updated_at;
        if (u === null || u === undefined) return;
        const list = arrivals.get(key.id) ?? [];
        list.push({ updatedAtMs: u instanceof Date ? u.getTime() : Number(u), at });
        arrivals.set(key.id, list);
      },
    });
    await joined;

    const running = app.engine.run(abort.signal);
    const hints = webhooks ? runWebhookHints(config, silentLogger(), app, abort.signal) : Promise.resolve();
    // The snapshot of conversations, then their first incremental poll: changes start after both, while
    // the contacts snapshot goes on (and conversations are reconciled every R).
    while (polls < 2) await sleep(200);
    const changesFrom = Date.now();
    console.error(`conversations snapshot and first poll done; changing conversations for ${durationS} s`);

    const changes: Change[] = [];
    let seen = sim.truth.log().length;
    const tickMs = 1000 / perSecond;
    const stopAt = Date.now() + durationS * 1000;
    for (let next = Date.now(); next < stopAt; next += tickMs) {
      await sleep(next - Date.now());
      const madeAt = Date.now();
      sim.mutate.random(1, { streams: ['conversations'] });
      const log = sim.truth.log();
      for (const change of log.slice(seen)) {
        if (change.stream === 'conversations' && change.op !== 'd' && change.updatedAt !== null)
          changes.push({ id: change.id, updatedAtMs: change.updatedAt * 1000, madeAt });
        else if (webhooks && change.stream === 'conversations' && change.op === 'd')
          changes.push({ id: change.id, updatedAtMs: 0, madeAt, deleted: true });
      }
      seen = log.length;
    }
    // Drain: every change is caught by the poll after it becomes searchable.
    const latencyOf = (c: Change): number | undefined => {
      if (c.deleted) {
        const at = deletes.get(c.id);
        return at === undefined ? undefined : Math.max(0, at - c.madeAt);
      }
      const hit = (arrivals.get(c.id) ?? []).find((a) => a.updatedAtMs >= c.updatedAtMs && a.at >= c.madeAt);
      return hit ? hit.at - c.madeAt : undefined;
    };
    const drainUntil = Date.now() + 2 * pollMs + searchLagMs + 30_000;
    while (Date.now() < drainUntil && changes.some((c) => latencyOf(c) === undefined)) await sleep(500);
    const changesTo = Date.now();
    abort.abort();
    await running;
    await hints;
    await listening?.close();
    await receiver?.close();
    await app.close();

    const deleteLatencies = changes
      .filter((c) => c.deleted)
      .map(latencyOf)
      .filter((l): l is number => l !== undefined);
    const deleteCount = changes.filter((c) => c.deleted).length;
    const latencies = changes
      .filter((c) => !c.deleted)
      .map(latencyOf)
      .filter((l): l is number => l !== undefined);
    const missing = changes.length - deleteCount - latencies.length;
    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    const p95 = percentile(latencies, 95);
    const target = webhooks ? 2_000 : pollMs + 5_000;
    const snapshotBeside =
      snapshotContacts === 0
        ? 'none'
        : contactsSnapshotEndedAt === undefined || contactsSnapshotEndedAt > changesTo
          ? `${snapshotContacts} contacts, all along`
          : `${snapshotContacts} contacts, for ${s(Math.max(0, contactsSnapshotEndedAt - changesFrom))} of it`;
    const deleteRow = webhooks
      ? [
          '',
          `Deletes: ${deleteCount}, not arrived ${deleteCount - deleteLatencies.length}, p50 ${s(percentile(deleteLatencies, 50))}, ` +
            `p95 ${s(percentile(deleteLatencies, 95))}, max ${s(Math.max(...deleteLatencies))} (target p95 ≤ 3.0 s: ` +
            `${deleteLatencies.length === deleteCount && percentile(deleteLatencies, 95) <= 3_000 ? 'met' : 'not met'}).`,
        ]
      : [];
    record(
      webhooks ? 'freshness-webhooks' : 'freshness',
      [
        webhooks
          ? '## Freshness of conversation changes with webhooks (WEBHOOKS_HINTS)'
          : '## Freshness of conversation changes',
        '',
        `Command: \`${settingsPrefix()}npx tsx bench/freshness.ts --poll-ms ${pollMs} --search-lag-ms ${searchLagMs} --changes-per-second ${perSecond.toFixed(2)} ` +
          `--duration-s ${durationS} --conversations ${conversations} --latency-ms ${latencyMs} --reconcile-ms ${reconcileMs} ` +
          `--snapshot-contacts ${snapshotContacts} --rate-limit ${rateLimit}${webhooks ? ' --webhooks' : ''}\` (${stack.info.description}; simulator in process, ` +
          `its clock on real time, ${latencyMs} ms per answer, ${rateLimit} requests per 10 s). The simulator's search-index lag is ` +
          `${s(searchLagMs)}, inside the measured times; the window overlap is the default (10 min). From the change in the ` +
          'simulator to the arrival of its event at a read_committed consumer, while conversations are reconciled every R ' +
          'and another stream takes its first sync.',
        '',
        '| poll interval P | latency | search lag | changes | reconciliations during | snapshot beside | not arrived | p50 | p95 | p99 | max | target p95 | met |',
        '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
        `| ${s(pollMs)} | ${latencyMs} ms | ${s(searchLagMs)} | ${changes.length - deleteCount} | ${reconciliations} | ${snapshotBeside} | ${missing} | ${s(percentile(latencies, 50))} | ${s(p95)} | ` +
          `${s(percentile(latencies, 99))} | ${s(Math.max(...latencies))} | ≤ ${s(target)} | ${missing === 0 && p95 <= target ? 'yes' : 'no'} |`,
        ...deleteRow,
      ].join('\n'),
    );
  } finally {
    abort.abort();
    await consumer.disconnect().catch(() => undefined);
    await sim.close();
    await stack.release();
  }
}

runMain(main);

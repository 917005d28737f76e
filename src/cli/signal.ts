/**
 * `signal`: asks the running connector for a re-snapshot through `<prefix>._signals` (README, "Signals"),
 * and follows its acknowledgement on `<prefix>._notifications` until it is done.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError, ExitCode } from '../errors';
import { createKafka, createRegistry } from '../kafka/clients';
import { writeSignal } from '../kafka/signals';
import { topicNames, withAdmin } from '../kafka/topics';
import { EXECUTE_SNAPSHOT, parseSignal } from '../capture/signals';
import { STREAMS } from '../streams/names';
import { parseSince } from './backfill';
import { loadFromFlags, loggerFor, print, type CommonFlags } from './context';

export interface SignalFlags extends CommonFlags {
  stream?: string;
  ids?: string;
  idsFile?: string;
  since?: string;
  until?: string;
  id?: string;
  wait?: boolean;
  timeoutMs?: number;
}

/** The signal record's value for these flags; a flag the connector would refuse is a config error. */
export function signalValue(flags: SignalFlags, id: string): string {
  const streams = (flags.stream ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const data: Record<string, unknown> = { 'data-collections': streams };
  const ids = [
    ...(flags.ids ?? '').split(','),
    ...(flags.idsFile ? readFileSync(flags.idsFile, 'utf8').split(/\r?\n/) : []),
  ]
    .map((s) => s.trim())
    .filter(Boolean);
  if (ids.length > 0) data.ids = ids;
  const since = flags.since === undefined ? undefined : parseSince(flags.since);
  const until = flags.until === undefined ? undefined : untilOf(flags.until);
  if (since !== undefined || until !== undefined)
    data['updated-at'] = {
      ...(since === undefined ? {} : { since: new Date(since).toISOString() }),
      ...(until === undefined ? {} : { until: new Date(until).toISOString() }),
    };
  const value = JSON.stringify({ id, type: EXECUTE_SNAPSHOT, data });
  // Every stream counts as enabled here: whether it is, only the running connector knows.
  const checked = parseSignal(value, new Set(STREAMS));
  if (!checked.ok) throw new ConfigError(`signal: ${checked.reason}`, ['--stream']);
  return value;
}

/** `--until`: an ISO date (the end of that day, UTC) or date-time. */
function untilOf(value: string): number {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return parseSince(value)! + 86_400_000 - 1;
  const ms = Date.parse(value);
  if (Number.isNaN(ms))
    throw new ConfigError(`--until ${value} is not a date: use 2024-05-01 or 2024-05-01T12:00:00Z`, [
      '--until',
    ]);
  return ms;
}

interface SignalNotification {
  aggregate_type: string;
  type: string;
  additional_data: Record<string, string>;
}

/**
 * `signal --stream S[,S…] [--ids a,b | --ids-file F] [--since D] [--until D] [--id ID] [--no-wait]`:
 * writes an `execute-snapshot` signal (keyed by CONNECTOR_NAME) and, unless --no-wait, prints its
 * acknowledgement and progress from the notifications topic until it is done (exit 0); a refusal exits
 * 1, as does no acknowledgement within --timeout-ms (the connector is not running, or SIGNALS_ENABLED is
 * false). Stopping the command does not stop the signal.
 */
export async function signalCommand(flags: SignalFlags): Promise<number> {
  const config = loadFromFlags({ ...flags, logLevel: flags.logLevel ?? 'warn' });
  const id = flags.id ?? randomUUID();
  const value = signalValue(flags, id);
  const logger = loggerFor(config);
  const kafka = createKafka(config.kafka, logger);
  const topics = topicNames(config.kafka.topicPrefix);
  const start = await withAdmin(kafka, 'reading the notifications offset', async (admin) => {
    const existing = new Set(await admin.listTopics());
    if (!existing.has(topics.signals))
      throw new ConfigError(
        `no topic ${topics.signals}: start the connector (intercom-cdc run) with this TOPIC_PREFIX first`,
        ['kafka.topicPrefix'],
      );
    return (await admin.fetchTopicOffsets(topics.notifications))[0]?.high ?? '0';
  });
  await writeSignal(kafka, topics.signals, config.connector.name, value);
  print(`signal ${id} sent to ${topics.signals}`);
  if (flags.wait === false) return ExitCode.ok;

  const registry = createRegistry(config.schemaRegistry);
  const consumer = kafka.consumer({ groupId: `intercom-cdc-signal-${randomUUID()}`, readUncommitted: false });
  const timeoutMs = flags.timeoutMs ?? 60_000;
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: topics.notifications, fromBeginning: false });
    return await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        print(
          `no acknowledgement of signal ${id} within ${timeoutMs} ms: is the connector running, with SIGNALS_ENABLED?`,
        );
        resolve(ExitCode.failure);
      }, timeoutMs);
      const finish = (code: number) => {
        clearTimeout(timer);
        resolve(code);
      };
      process.once('SIGINT', () => finish(ExitCode.ok));
      consumer
        .run({
          eachMessage: async ({ message }) => {
            if (!message.value) return;
            const n = (await registry.decode(message.value)) as SignalNotification;
            const data = n.additional_data;
            if (n.aggregate_type !== 'Signal' || data.signal_id !== id) return;
            if (n.type === 'ACCEPTED') {
              clearTimeout(timer); // accepted: from now on, it waits for the end
              print(`accepted: ${data.data_collections}`);
            } else if (n.type === 'REFUSED') {
              print(`refused: ${data.reason}`);
              finish(ExitCode.failure);
            } else if (n.type === 'STARTED') {
              print(`started${data.resumed === 'true' ? ' (resumed)' : ''}`);
            } else if (n.type === 'IN_PROGRESS') {
              print(
                `${data.data_collections}: ${data.republished} republished${data.stream_done ? ', done' : ''}`,
              );
            } else if (n.type === 'DONE') {
              print(`done: ${data.republished} objects republished as r events`);
              finish(ExitCode.ok);
            }
          },
        })
        .then(() => consumer.seek({ topic: topics.notifications, partition: 0, offset: start }))
        .catch(reject);
    });
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
}

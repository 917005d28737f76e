/** `tail`: a stream's committed change events, decoded to JSON lines. */
import { randomUUID } from 'node:crypto';
import { createKafka, createRegistry } from '../kafka/clients';
import { topicNames } from '../kafka/topics';
import { loadFromFlags, loggerFor, print, streamFlag, type CommonFlags } from './context';

/**
 * `tail --stream S`: decodes a stream's committed events (read_committed) to JSON lines
 * `{key, value}`; tombstones print `value: null`. `--max N` stops after N events, `--idle-ms` after a quiet spell.
 */
export async function tailCommand(
  flags: CommonFlags & { stream?: string; fromBeginning?: boolean; max?: number; idleMs?: number },
): Promise<number> {
  const stream = streamFlag('tail', flags.stream);
  const config = loadFromFlags({ ...flags, logLevel: flags.logLevel ?? 'warn' });
  const kafka = createKafka(config.kafka, loggerFor(config));
  const registry = createRegistry(config.schemaRegistry);
  const topic = topicNames(config.kafka.topicPrefix).events(stream);
  const max = flags.max ?? Infinity;
  const idleMs = flags.idleMs ?? Infinity;
  const consumer = kafka.consumer({ groupId: `intercom-cdc-tail-${randomUUID()}`, readUncommitted: false });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: flags.fromBeginning !== false });
  let count = 0;
  await new Promise<void>((resolve, reject) => {
    let idle: NodeJS.Timeout | undefined;
    const arm = () => {
      if (idle) clearTimeout(idle);
      if (Number.isFinite(idleMs)) idle = setTimeout(resolve, idleMs);
    };
    arm();
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
    consumer
      .run({
        eachMessage: async ({ message, partition }) => {
          const key = message.key ? await registry.decode(message.key) : null;
          const value = message.value ? await registry.decode(message.value) : null;
          print(JSON.stringify({ partition, offset: message.offset, key, value }));
          count++;
          arm();
          if (count >= max) resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return 0;
}

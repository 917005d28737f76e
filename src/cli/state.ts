/** `state show` and `state reset`: the connector's state as restored from the state topic. */
import { ConfigError } from '../errors';
import { createKafka } from '../kafka/clients';
import { TransactionalPublisher } from '../kafka/publisher';
import { restoreState } from '../kafka/state-store';
import { topicNames, transactionalId } from '../kafka/topics';
import { STREAMS } from '../streams';
import { loadFromFlags, loggerFor, print, streamFlag, type CommonFlags } from './context';

/** `state show`: per stream, the watermark, the last reconciliation and how many objects are known. */
export async function stateShow(flags: CommonFlags): Promise<number> {
  const config = loadFromFlags(flags);
  const logger = loggerFor(config);
  const kafka = createKafka(config.kafka, logger);
  const store = await restoreState(kafka, topicNames(config.kafka.topicPrefix).state, config.connector.name);
  const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());
  print('stream                    objects  snapshot  watermark                 last reconcile');
  for (const stream of STREAMS) {
    const p = store.streamProgress(stream);
    print(
      `${stream.padEnd(25)} ${String(store.size(stream)).padStart(7)}  ${(p.snapshotDone ? 'done' : '-').padEnd(8)}  ${iso(p.watermark).padEnd(24)}  ${iso(p.lastReconcile)}`,
    );
  }
  return 0;
}

/**
 * `state reset --stream S --workspace W --yes`: forgets a stream (tombstones its state records), so the
 * next run snapshots it again. It uses the connector's transactional id: a running instance is fenced.
 */
export async function stateReset(
  flags: CommonFlags & { stream?: string; workspace?: string; yes?: boolean },
): Promise<number> {
  const stream = streamFlag('state reset', flags.stream);
  if (!flags.yes)
    throw new ConfigError(
      'state reset deletes progress: add --yes to confirm (stop the running connector first)',
      ['--yes'],
    );
  const config = loadFromFlags(flags);
  const workspace = flags.workspace || config.connector.workspaceId;
  if (!workspace)
    throw new ConfigError('state reset needs the workspace id: --workspace or WORKSPACE_ID', [
      'connector.workspaceId',
    ]);
  const logger = loggerFor(config);
  const kafka = createKafka(config.kafka, logger);
  const topics = topicNames(config.kafka.topicPrefix);
  const publisher = new TransactionalPublisher(kafka, transactionalId(config.connector.name, workspace));
  await publisher.connect();
  try {
    const store = await restoreState(kafka, topics.state, config.connector.name);
    const messages = [...store.ids(stream)].map((id) => store.objectRecord(stream, id, null));
    messages.push({ key: store.progressKey(stream), value: null });
    await publisher.commit([{ topic: topics.state, messages }]);
    print(`reset ${stream}: ${messages.length - 1} objects forgotten; the next run snapshots it again`);
    return 0;
  } finally {
    await publisher.disconnect();
  }
}

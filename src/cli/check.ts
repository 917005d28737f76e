import { createIntercomClient, createKafka, createRegistry } from '../app';
import { topicNames } from '../kafka/topics';
import { loadStreamSchemas, type StreamName } from '../normalize';
import { STREAM_DEFS } from '../streams/definitions';
import { listingPages } from '../capture/sources';
import { loadFromFlags, loggerFor, print, type CommonFlags } from './context';

interface Row {
  what: string;
  ok: boolean;
  detail: string;
}

async function attempt(what: string, fn: () => Promise<string>): Promise<Row> {
  try {
    return { what, ok: true, detail: await fn() };
  } catch (error) {
    return { what, ok: false, detail: (error as Error).message.split('\n')[0] };
  }
}

/**
 * `check`: Intercom (token, workspace, one page of each enabled stream: the permission), Kafka (cluster,
 * topics), the registry (schema compatibility). Prints a table; exits 0 when all is fine, 2 otherwise.
 */
export async function checkCommand(flags: CommonFlags): Promise<number> {
  const config = loadFromFlags({ ...flags, logLevel: flags.logLevel ?? 'error' });
  const logger = loggerFor(config);
  const streams = [...config.streams.enabled] as StreamName[];
  const topics = topicNames(config.kafka.topicPrefix);
  const rows: Row[] = [];
  const client = createIntercomClient(config, logger);
  rows.push(
    await attempt('intercom: token and workspace', async () => {
      const me = await client.me();
      return `workspace ${me.app.id_code}${me.app.region ? ` (${me.app.region})` : ''}`;
    }),
  );
  for (const stream of streams) {
    const def = STREAM_DEFS[stream];
    if (def.strategy === 'children') continue;
    rows.push(
      await attempt(`intercom: read ${stream}`, async () => {
        for await (const page of listingPages(client, def.listings[0]))
          return `${page.items.length} on the first page`;
        return 'empty';
      }),
    );
  }
  const kafka = createKafka(config, logger);
  const admin = kafka.admin();
  rows.push(
    await attempt('kafka: cluster', async () => {
      await admin.connect();
      const c = await admin.describeCluster();
      return `${c.brokers.length} broker(s), controller ${c.controller}`;
    }),
  );
  rows.push(
    await attempt('kafka: topics', async () => {
      const existing = new Set(await admin.listTopics());
      const wanted = [...streams.map((s) => topics.events(s)), topics.state, topics.dlq];
      const missing = wanted.filter((t) => !existing.has(t));
      return missing.length
        ? `${missing.length} missing (created on start): ${missing.join(', ')}`
        : `all ${wanted.length} present`;
    }),
  );
  await admin.disconnect().catch(() => undefined);
  const registry = createRegistry(config);
  for (const stream of streams) {
    rows.push(
      await attempt(`registry: ${topics.events(stream)}-value`, async () => {
        const problem = await registry.incompatibility(
          `${topics.events(stream)}-value`,
          loadStreamSchemas(stream).value,
        );
        if (problem) throw new Error(`not BACKWARD compatible: ${problem}`);
        return 'compatible';
      }),
    );
  }
  const width = Math.max(...rows.map((r) => r.what.length));
  for (const r of rows) print(`${r.ok ? 'ok  ' : 'FAIL'}  ${r.what.padEnd(width)}  ${r.detail}`);
  const failed = rows.filter((r) => !r.ok).length;
  print(failed ? `${failed} check(s) failed` : 'all checks passed');
  return failed ? 2 : 0;
}

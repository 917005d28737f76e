import { buildApp } from '../app';
import { loadConfig } from '../config';
import { resolveStack } from '../devstack/resolve';
import { createLogger } from '../observability/logger';
import { startLiveMutations, startSimulator } from '../sim';

interface DemoFlags {
  contacts: number;
  changesPerSecond: number;
  durationS: number;
}

/**
 * `demo`: the local Kafka + registry stack, the simulator with a seeded workspace and live changes, and
 * the connector, with a live view of events per stream. Ctrl-C stops everything it started.
 */
export async function demoCommand(flags: DemoFlags): Promise<number> {
  const say = (line: string) => process.stderr.write(`${line}\n`);
  const stack = await resolveStack(say);
  say(`demo: using the ${stack.info.description}`);
  const sim = await startSimulator({
    seed: 1,
    size: { contacts: flags.contacts },
    clock: { mode: 'real' },
  });
  const stopLive = startLiveMutations(sim, { perSecond: flags.changesPerSecond });
  say(`demo: simulator on ${sim.url}, ${flags.changesPerSecond} changes per second`);
  const config = loadConfig({
    env: {
      KAFKA_BROKERS: stack.info.brokers.join(','),
      SCHEMA_REGISTRY_URL: stack.info.registryUrl,
      INTERCOM_BASE_URL: sim.url,
      INTERCOM_TOKEN: 'demo-token',
      TOPIC_PREFIX: 'demo',
      CONNECTOR_NAME: 'intercom-cdc-demo',
      POLL_INTERVAL_MS: '2000',
      KAFKA_REPLICATION_FACTOR: '1',
      KAFKA_TOPIC_PARTITIONS: '1',
      HTTP_PORT: '0',
      LOG_LEVEL: 'warn',
    },
  });
  const counts = new Map<string, Record<string, number>>();
  const app = await buildApp(config, createLogger({ level: 'warn', destination: process.stderr }), {
    engineObserver: () => ({
      committed: (_stream, c) => {
        for (const [s, ops] of Object.entries(c.events)) {
          const row = counts.get(s) ?? {};
          for (const [op, n] of Object.entries(ops)) row[op] = (row[op] ?? 0) + (n ?? 0);
          counts.set(s, row);
        }
      },
    }),
  });
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  process.once('SIGTERM', () => stop.abort());
  const duration = flags.durationS;
  if (duration > 0) setTimeout(() => stop.abort(), duration * 1000).unref();
  const tty = Boolean(process.stdout.isTTY);
  const started = Date.now();
  const view = setInterval(() => render(counts, tty, Date.now() - started), tty ? 1000 : 5000);
  try {
    await app.engine.run(stop.signal);
  } finally {
    clearInterval(view);
    render(counts, false, Date.now() - started);
    stopLive();
    await app.close();
    await sim.close();
    await stack.release();
    say(
      'demo: stopped everything it started; topics demo.* hold the events (intercom-cdc tail --topic-prefix demo --stream contacts)',
    );
  }
  return 0;
}

function render(counts: Map<string, Record<string, number>>, tty: boolean, elapsedMs: number): void {
  const lines = [
    `events committed after ${Math.round(elapsedMs / 1000)} s (op: r snapshot, c create, u update, d delete)`,
  ];
  lines.push(`${'stream'.padEnd(25)} ${['r', 'c', 'u', 'd'].map((o) => o.padStart(8)).join('')}`);
  for (const [stream, ops] of [...counts].sort()) {
    lines.push(
      `${stream.padEnd(25)} ${['r', 'c', 'u', 'd'].map((o) => String(ops[o] ?? 0).padStart(8)).join('')}`,
    );
  }
  process.stdout.write(`${tty ? '\x1b[2J\x1b[H' : ''}${lines.join('\n')}\n`);
}

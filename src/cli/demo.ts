/** `demo`: the local stack, the simulator and the connector in one process, with a live view. */
import { buildApp } from '../app';
import { loadConfig } from '../config';
import { resolveStack } from '../devstack/resolve';
import { createLogger } from '../logger';
import { startLiveMutations, startSimulator } from '../sim';

interface DemoFlags {
  contacts: number;
  changesPerSecond: number;
  durationS: number;
  latencyMs: number;
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
    // Answers take as long as Intercom's (a GET a few hundred ms, a search page longer, with a tail).
    latency:
      flags.latencyMs > 0
        ? { ms: flags.latencyMs, p99Ms: flags.latencyMs * 4, searchMs: flags.latencyMs * 2 }
        : null,
  });
  const stopLive = startLiveMutations(sim, { perSecond: flags.changesPerSecond });
  say(
    `demo: simulator on ${sim.url}, ${flags.changesPerSecond} changes per second, answers in about ${flags.latencyMs} ms`,
  );
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
  /** CONCURRENT_TRANSACTIONS retries: expected between back-to-back transactions, shown, not logged. */
  const retries = { n: 0 };
  const app = await buildApp(config, createLogger({ level: 'warn', destination: process.stderr }), {
    onConcurrentTransactionRetry: () => (retries.n += 1),
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
  const view = setInterval(() => render(counts, tty, Date.now() - started, retries.n), tty ? 1000 : 5000);
  try {
    await app.engine.run(stop.signal);
  } finally {
    clearInterval(view);
    render(counts, false, Date.now() - started, retries.n);
    stopLive();
    await app.close();
    await sim.close();
    await stack.release();
    say(closingHint(stack.started, stack.info));
  }
  return 0;
}

/**
 * The demo's last words: where the events can still be read. A stack the demo started is stopped with
 * its data, so `tail` is offered only for a stack that outlives the demo.
 */
export function closingHint(started: boolean, info: { brokers: string[]; registryUrl: string }): string {
  if (started)
    return (
      'demo: stopped everything it started, the Kafka stack too (its topics are gone). To keep the events, ' +
      'start the stack first (npm run stack:up): the demo then uses it and leaves it running.'
    );
  return (
    'demo: stopped the simulator and the connector; the stack keeps running and topics demo.* hold the events: ' +
    `KAFKA_BROKERS=${info.brokers.join(',')} SCHEMA_REGISTRY_URL=${info.registryUrl} ` +
    'intercom-cdc tail --topic-prefix demo --stream contacts'
  );
}

function render(
  counts: Map<string, Record<string, number>>,
  tty: boolean,
  elapsedMs: number,
  retries: number,
): void {
  const lines = [
    `events committed after ${Math.round(elapsedMs / 1000)} s (op: r snapshot, c create, u update, d delete)`,
  ];
  lines.push(`${'stream'.padEnd(25)} ${['r', 'c', 'u', 'd'].map((o) => o.padStart(8)).join('')}`);
  for (const [stream, ops] of [...counts].sort()) {
    lines.push(
      `${stream.padEnd(25)} ${['r', 'c', 'u', 'd'].map((o) => String(ops[o] ?? 0).padStart(8)).join('')}`,
    );
  }
  lines.push(
    `(${retries} transaction request(s) retried while the broker completed the previous transaction: expected)`,
  );
  process.stdout.write(`${tty ? '\x1b[2J\x1b[H' : ''}${lines.join('\n')}\n`);
}

/**
 * End-to-end throughput: simulator without rate limit → client → diff → Avro → transactional Kafka.
 * `npx tsx bench/throughput.ts [--contacts N] [--sim-process] [--clients kafkajs,platformatic]`
 * (default 100000 contacts, both Kafka clients, one row each). Target (DESIGN.md): ≥ 25,000 events/s
 * and ≤ 80 µs of connector CPU per event (issue 14: ≥ 12,000 events/s first). With --sim-process the
 * simulator runs in its own process (the `sim` CLI) instead of sharing this process's thread with the
 * connector. Beside events/s: this process's CPU seconds (process.cpuUsage, user + system) over the
 * measured poll / events, the connector's CPU per event when the simulator runs apart.
 */
import { buildApp } from '../src/app';
import { resolveStack } from '../src/devstack/resolve';
import { KAFKA_CLIENTS, type KafkaClientName } from '../src/kafka/types';
import { silentLogger } from '../src/observability/logger';
import { startSimulator } from '../src/sim';
import { benchConfig, flag, numberArg, record, runMain, stringArg } from './lib';
import { startSimProcess } from './sim-process';

async function main(): Promise<void> {
  const contacts = numberArg('contacts', 100_000);
  const separate = flag('sim-process');
  const clients = (stringArg('clients') ?? KAFKA_CLIENTS.join(',')).split(',') as KafkaClientName[];
  const unknown = clients.filter((c) => !KAFKA_CLIENTS.includes(c));
  if (unknown.length)
    throw new Error(`--clients: unknown ${unknown.join(', ')} (${KAFKA_CLIENTS.join(', ')})`);
  const stack = await resolveStack((l) => console.error(l));
  const rows: string[] = [];
  try {
    for (const client of clients) {
      // A new simulator per client: each snapshot reads the same 100,000 contacts into empty topics.
      const sim = separate
        ? await startSimProcess({ contacts })
        : await startSimulator({ seed: 1, size: { contacts, conversations: 0, companies: 0 } });
      try {
        const config = benchConfig(stack.info, sim.url, { STREAMS: 'contacts', KAFKA_CLIENT: client });
        const app = await buildApp(config, silentLogger());
        const started = process.hrtime.bigint();
        const cpuBefore = process.cpuUsage();
        const summary = await app.engine.poll('contacts');
        const cpu = process.cpuUsage(cpuBefore);
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        // This process's CPU (user + system) per event: the connector's, plus the simulator's when it
        // runs in process (without --sim-process); the broker and registry are other processes.
        const cpuUs = (cpu.user + cpu.system) / Math.max(1, summary.published);
        await app.close();
        const rate = Math.round(summary.published / seconds);
        const row =
          `| ${client} | ${summary.read} | ${summary.published} | ${seconds.toFixed(1)} | ${rate} | ` +
          `${rate >= 12_000 ? 'yes' : 'no'} | ${rate >= 25_000 ? 'yes' : 'no'} | ${cpuUs.toFixed(1)} µs | ` +
          `${separate && cpuUs <= 80 ? 'yes' : 'no'} |`;
        console.error(row);
        rows.push(row);
      } finally {
        await sim.close();
      }
    }
  } finally {
    await stack.release();
  }
  record(
    'throughput',
    [
      '## End-to-end throughput (snapshot of contacts)',
      '',
      `Command: \`npx tsx bench/throughput.ts --contacts ${contacts}${separate ? ' --sim-process' : ''}` +
        `${stringArg('clients') ? ` --clients ${clients.join(',')}` : ''}\` ` +
        `(${stack.info.description}; simulator ${separate ? 'in its own process' : 'in process'}; ` +
        `one row per KAFKA_CLIENT, each into new topics, a new simulator each).`,
      '',
      `| KAFKA_CLIENT | objects read | events published | seconds | events/s | ≥ 12,000 (issue 14) | ≥ 25,000 (DESIGN) | ${separate ? 'connector' : 'process (connector + simulator)'} CPU per event | ≤ 80 µs |`,
      `|---|---|---|---|---|---|---|---|---|`,
      ...rows,
    ].join('\n'),
  );
}

runMain(main);

/**
 * End-to-end throughput: simulator without rate limit → client → diff → Avro → transactional Kafka.
 * `npx tsx bench/throughput.ts [--contacts N] [--sim-process] [--clients kafkajs,platformatic]
 * [--workers 0,1,auto]` (default 100000 contacts, both Kafka clients, no worker thread, one, and the
 * default `auto`: a row per client and setting). Target (bench/README.md): ≥ 25,000 events/s
 * and ≤ 80 µs of connector CPU per event (issue 14: ≥ 12,000 events/s first). With --sim-process the
 * simulator runs in its own process (the `sim` CLI) instead of sharing the connector's thread. Each
 * client runs in a process of its own (this script again, with `--one`), as a deployment would, with a
 * new simulator and new topics. Beside events/s: that process's CPU seconds (process.cpuUsage, user +
 * system, worker threads included) over the measured poll / events, the connector's CPU per event when
 * the simulator runs apart, and of it the main thread's (Linux /proc).
 */
import { execFileSync } from 'node:child_process';
import { buildApp, workerThreads } from '../src/app';
import { resolveStack } from '../src/devstack/resolve';
import { KAFKA_CLIENTS, type KafkaClientName } from '../src/kafka/types';
import { silentLogger } from '../src/logger';
import { startSimulator } from '../src/sim';
import { benchConfig, flag, mainThreadCpuUs, numberArg, record, runMain, stringArg } from './lib';
import { startSimProcess } from './sim-process';

interface Measured {
  client: KafkaClientName;
  /** CAPTURE_WORKERS as given, and the threads it meant. */
  workers: string;
  threads: number;
  read: number;
  published: number;
  seconds: number;
  cpuUs: number;
  /** The main thread's CPU per event (the worker threads' left out). */
  mainUs?: number;
}

/** One snapshot of `contacts` with one client (the `--one` child). */
async function measure(
  client: KafkaClientName,
  workers: string,
  contacts: number,
  separate: boolean,
): Promise<Measured> {
  const stack = await resolveStack((l) => console.error(l));
  const sim = separate
    ? await startSimProcess({ contacts })
    : await startSimulator({ seed: 1, size: { contacts, conversations: 0, companies: 0 } });
  try {
    const config = benchConfig(stack.info, sim.url, {
      STREAMS: 'contacts',
      KAFKA_CLIENT: client,
      CAPTURE_WORKERS: workers,
    });
    const threads = workerThreads(workers === 'auto' ? 'auto' : Number(workers));
    const app = await buildApp(config, silentLogger());
    const started = process.hrtime.bigint();
    const cpuBefore = process.cpuUsage();
    const mainBefore = mainThreadCpuUs();
    const summary = await app.engine.poll('contacts');
    const cpu = process.cpuUsage(cpuBefore);
    const mainAfter = mainThreadCpuUs();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await app.close();
    // This process's CPU (user + system) per event: the connector's, plus the simulator's when it runs
    // in process (without --sim-process); the broker and registry are other processes.
    const events = Math.max(1, summary.published);
    const cpuUs = (cpu.user + cpu.system) / events;
    const mainUs = mainBefore === undefined ? undefined : (mainAfter! - mainBefore) / events;
    return {
      client,
      workers,
      threads,
      read: summary.read,
      published: summary.published,
      seconds,
      cpuUs,
      mainUs,
    };
  } finally {
    await sim.close();
    await stack.release();
  }
}

async function main(): Promise<void> {
  const contacts = numberArg('contacts', 100_000);
  const separate = flag('sim-process');
  const one = stringArg('one') as KafkaClientName | undefined;
  const workerSettings = (stringArg('workers') ?? '0,1,auto').split(',');
  if (one) {
    const measured = await measure(one, workerSettings[0]!, contacts, separate);
    process.stdout.write(`${JSON.stringify(measured)}\n`);
    return;
  }
  const clients = (stringArg('clients') ?? KAFKA_CLIENTS.join(',')).split(',') as KafkaClientName[];
  const unknown = clients.filter((c) => !KAFKA_CLIENTS.includes(c));
  if (unknown.length)
    throw new Error(`--clients: unknown ${unknown.join(', ')} (${KAFKA_CLIENTS.join(', ')})`);
  const stack = await resolveStack((l) => console.error(l));
  const runs = clients.flatMap((client) => workerSettings.map((workers) => ({ client, workers })));
  const rows = runs.map(({ client, workers }) => {
    const args = [
      '--import',
      'tsx',
      __filename,
      '--one',
      client,
      '--workers',
      workers,
      '--contacts',
      String(contacts),
    ];
    const out = execFileSync(process.execPath, [...args, ...(separate ? ['--sim-process'] : [])], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      env: {
        ...process.env,
        KAFKA_BROKERS: stack.info.brokers.join(','),
        SCHEMA_REGISTRY_URL: stack.info.registryUrl,
      },
    });
    const m = JSON.parse(out.trim().split('\n').pop()!) as Measured;
    const rate = Math.round(m.published / m.seconds);
    return (
      `| ${m.client} | ${m.workers === 'auto' ? `auto (${m.threads})` : m.workers} | ${m.read} | ${m.published} | ${m.seconds.toFixed(1)} | ${rate} | ` +
      `${rate >= 12_000 ? 'yes' : 'no'} | ${rate >= 25_000 ? 'yes' : 'no'} | ${m.cpuUs.toFixed(1)} µs | ` +
      `${m.mainUs === undefined ? '—' : `${m.mainUs.toFixed(1)} µs`} | ` +
      `${separate && m.cpuUs <= 80 ? 'yes' : 'no'} |`
    );
  });
  await stack.release();
  record(
    'throughput',
    [
      '## End-to-end throughput (snapshot of contacts)',
      '',
      `Command: \`npx tsx bench/throughput.ts --contacts ${contacts}${separate ? ' --sim-process' : ''}` +
        `${stringArg('clients') ? ` --clients ${clients.join(',')}` : ''}` +
        `${stringArg('workers') ? ` --workers ${workerSettings.join(',')}` : ''}\` ` +
        `(${stack.info.description}; simulator ${separate ? 'in its own process' : 'in process'}; ` +
        `one row per KAFKA_CLIENT and CAPTURE_WORKERS (default 0, 1 and auto: one fewer than the CPUs), each in a process of its own, ` +
        `with a new simulator and new topics; CPU is the whole process's, worker threads included).`,
      '',
      `| KAFKA_CLIENT | CAPTURE_WORKERS | objects read | events published | seconds | events/s | ≥ 12,000 (issue 14) | ≥ 25,000 (DESIGN) | ${separate ? 'connector' : 'process (connector + simulator)'} CPU per event | of it, the main thread | ≤ 80 µs |`,
      `|---|---|---|---|---|---|---|---|---|---|---|`,
      ...rows,
    ].join('\n'),
  );
}

runMain(main);

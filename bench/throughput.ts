/**
 * End-to-end throughput: simulator without rate limit → client → diff → Avro → transactional Kafka.
 * `npx tsx bench/throughput.ts [--contacts N] [--sim-process]` (default 100000). Target (DESIGN.md):
 * ≥ 25,000 events/s. With --sim-process the simulator runs in its own process (the `sim` CLI) instead
 * of sharing this process's thread with the connector. Beside events/s: this process's CPU seconds
 * (process.cpuUsage, user + system) over the measured poll / events, the connector's CPU per event
 * when the simulator runs apart.
 */
import { buildApp } from '../src/app';
import { resolveStack } from '../src/devstack/resolve';
import { silentLogger } from '../src/observability/logger';
import { startSimulator } from '../src/sim';
import { benchConfig, flag, numberArg, record, runMain } from './lib';
import { startSimProcess } from './sim-process';

async function main(): Promise<void> {
  const contacts = numberArg('contacts', 100_000);
  const separate = flag('sim-process');
  const stack = await resolveStack((l) => console.error(l));
  const sim = separate
    ? await startSimProcess({ contacts })
    : await startSimulator({ seed: 1, size: { contacts, conversations: 0, companies: 0 } });
  const config = benchConfig(stack.info, sim.url, {
    STREAMS: 'contacts',
  });
  try {
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
    record(
      'throughput',
      [
        '## End-to-end throughput (snapshot of contacts)',
        '',
        `Command: \`npx tsx bench/throughput.ts --contacts ${contacts}${separate ? ' --sim-process' : ''}\` ` +
          `(${stack.info.description}; simulator ${separate ? 'in its own process' : 'in process'}).`,
        '',
        `| objects read | events published | seconds | events/s | target | met | ${separate ? 'connector' : 'process (connector + simulator)'} CPU per event | target | met |`,
        `|---|---|---|---|---|---|---|---|---|`,
        `| ${summary.read} | ${summary.published} | ${seconds.toFixed(1)} | ${rate} | ≥ 25,000 | ${rate >= 25_000 ? 'yes' : 'no'} | ` +
          `${cpuUs.toFixed(1)} µs | ≤ 80 µs | ${separate && cpuUs <= 80 ? 'yes' : 'no'} |`,
      ].join('\n'),
    );
  } finally {
    await sim.close();
    await stack.release();
  }
}

runMain(main);

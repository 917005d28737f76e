/**
 * Full sync (snapshot) of N contacts at Intercom's real rate limit: the simulator in its own process
 * (the `sim` CLI, 1,666 requests per 10 s window = 10,000 per minute), the connector in this one.
 *
 *   npx tsx bench/full-sync.ts [--contacts N] [--rate-limit R]
 *
 * Defaults: 1,000,000 contacts, R = 1666 requests per 10 s window. Reports the wall time of the
 * snapshot against the least the rate limit allows (N / 150 per page / (R / 10) requests per second),
 * events/s, the connector's CPU per event and the peak RSS of the connector process.
 */
import { buildApp } from '../src/app';
import { resolveStack } from '../src/devstack/resolve';
import { MAX_PER_PAGE as PER_PAGE } from '../src/intercom';
import { silentLogger } from '../src/logger';
import {
  INTERCOM_PER_10S,
  benchConfig,
  clientSection,
  numberArg,
  peakRssMb,
  record,
  runMain,
  settingsPrefix,
} from './lib';
import { startSimProcess } from './sim-process';

async function main(): Promise<void> {
  const contacts = numberArg('contacts', 1_000_000);
  const rateLimit = numberArg('rate-limit', INTERCOM_PER_10S);
  const stack = await resolveStack((l) => console.error(l));
  console.error(`starting the simulator with ${contacts} contacts …`);
  const sim = await startSimProcess({ contacts, rateLimit });
  console.error(`simulator ${sim.url} (pid ${sim.pid}) up after ${(sim.startupMs / 1000).toFixed(1)} s`);
  const config = benchConfig(stack.info, sim.url, {
    STREAMS: 'contacts',
  });
  try {
    const app = await buildApp(config, silentLogger());
    const before = await sim.stats();
    const startedMs = Date.now();
    let sampledRss = 0;
    const sampler = setInterval(() => {
      sampledRss = Math.max(sampledRss, process.memoryUsage().rss);
    }, 500);
    const progress = setInterval(() => {
      const rss = Math.round(process.memoryUsage().rss / 2 ** 20);
      console.error(`… ${Math.round((Date.now() - startedMs) / 1000)} s, RSS ${rss} MB`);
    }, 15_000);
    const started = process.hrtime.bigint();
    const cpuBefore = process.cpuUsage();
    const summary = await app.engine.poll('contacts');
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    // The connector's CPU (user + system, all its threads) per event; the simulator is another process.
    const cpu = process.cpuUsage(cpuBefore);
    const cpuUs = (cpu.user + cpu.system) / Math.max(1, summary.published);
    clearInterval(sampler);
    clearInterval(progress);
    const after = await sim.stats();
    await app.close();
    const requests = after.requests - before.requests;
    const rateLimited = after.rateLimited - before.rateLimited;
    const minimum = contacts / PER_PAGE / (rateLimit / 10);
    const rate = Math.round(summary.published / seconds);
    const peak = peakRssMb();
    const section = clientSection('full-sync');
    record(
      section.name,
      [
        `## Full sync (snapshot of contacts) at the rate limit${section.title}`,
        '',
        `Command: \`${settingsPrefix()}npx tsx bench/full-sync.ts --contacts ${contacts}${rateLimit !== INTERCOM_PER_10S ? ` --rate-limit ${rateLimit}` : ''}\` ` +
          `(${stack.info.description}). Simulator in its own process: \`${sim.command}\` ` +
          `(${rateLimit} requests per 10 s window${rateLimit === INTERCOM_PER_10S ? ", Intercom's 10,000 per minute" : ''}; ` +
          `it took ${(sim.startupMs / 1000).toFixed(1)} s to build the workspace, peak RSS ${sim.peakRssMb() ?? '?'} MB).`,
        '',
        '| contacts | events published | wall time | least the rate limit allows | ratio | events/s | connector CPU per event | requests (429) | connector peak RSS |',
        '|---|---|---|---|---|---|---|---|---|',
        `| ${contacts} | ${summary.published} | ${seconds.toFixed(1)} s | ${minimum.toFixed(1)} s | ${(seconds / minimum).toFixed(2)} × | ${rate} | ${cpuUs.toFixed(0)} µs | ${requests} (${rateLimited}) | ${peak} MB |`,
        '',
        `The least time is N / ${PER_PAGE} per page / ${rateLimit / 10} requests per second. Peak RSS is the`,
        `connector process's maxRSS (getrusage; sampled every 0.5 s: ${Math.round(sampledRss / 2 ** 20)} MB),`,
        'the simulator excluded. Target (bench/README.md): ≤ 512 MB RSS with 1,000,000 objects in state.',
      ].join('\n'),
    );
  } finally {
    await sim.close();
    await stack.release();
  }
}

runMain(main);

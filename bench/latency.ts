/**
 * The first full sync of a workspace through a simulator that answers as slowly as Intercom does: every
 * answer delayed (300 ms by default), at Intercom's rate limit (1,666 requests per 10 s window = 10,000
 * a minute). The simulator runs in its own process; the connector polls every enabled stream at once,
 * as `run` does, until each has finished its snapshot.
 *
 *   npx tsx bench/latency.ts [--contacts 20000] [--conversations 2000] [--companies 500] [--parts 6]
 *                            [--latency-ms 300] [--latency-p99-ms 0] [--search-latency-ms 0] [--rate-limit 1666]
 *
 * The least time is what the rate limit allows for the requests no connector can avoid: one page per 150
 * objects of each listing (at least one per listing), one GET per conversation (its parts) and, for
 * events with complete lists, one request per page of each embedded list of a contact that says
 * `has_more` (counted as the connector makes them: the simulator's contacts have up to twelve tags).
 */
import { buildApp } from '../src/app';
import { resolveStack } from '../src/devstack/resolve';
import { MAX_PER_PAGE as PER_PAGE } from '../src/intercom';
import { silentLogger } from '../src/logger';
import { DEFAULT_SIZE } from '../src/sim';
import {
  INTERCOM_PER_10S,
  benchConfig,
  clientSection,
  numberArg,
  memorySampler,
  peakRssMb,
  record,
  runMain,
  settingsPrefix,
} from './lib';
import { memoryLimitNote, underMemoryLimit } from './memory-limit';
import { startSimProcess } from './sim-process';

async function main(): Promise<void> {
  const memoryLimitMb = await underMemoryLimit();
  const contacts = numberArg('contacts', 20_000);
  const conversations = numberArg('conversations', 2_000);
  const companies = numberArg('companies', 500);
  const partsArg = numberArg('parts', 0);
  const parts = partsArg > 0 ? partsArg : undefined;
  const latencyMs = numberArg('latency-ms', 300);
  const latencyP99Ms = numberArg('latency-p99-ms', 0);
  const searchLatencyMs = numberArg('search-latency-ms', 0);
  const rateLimit = numberArg('rate-limit', INTERCOM_PER_10S);
  const stack = await resolveStack((l) => console.error(l));
  console.error(`starting the simulator (${contacts} contacts, ${conversations} conversations) …`);
  const sim = await startSimProcess({
    contacts,
    conversations,
    companies,
    parts,
    rateLimit,
    latencyMs,
    latencyP99Ms,
    searchLatencyMs,
  });
  const size = { ...DEFAULT_SIZE, contacts, conversations, companies };
  const pages = (n: number) => Math.max(1, Math.ceil(n / PER_PAGE));
  const unavoidable =
    pages(size.contacts) +
    pages(size.conversations) +
    size.conversations + // one GET per conversation: its parts
    pages(size.tickets) +
    pages(size.companies) +
    pages(size.articles) +
    pages(size.collections) +
    1 + // admins
    1 + // teams
    1 + // tags
    1 + // segments
    3; // data attributes: one list per model
  const config = benchConfig(stack.info, sim.url, {});
  let listRequests = 0;
  try {
    const app = await buildApp(config, silentLogger(), {
      engineObserver: () => ({ embeddedListRequest: () => void (listRequests += 1) }),
    });
    const before = await sim.stats();
    const simCpuBefore = sim.cpuUs();
    const progress = setInterval(() => {
      void sim
        .stats()
        .then((s) =>
          console.error(
            `… ${Math.round((Date.now() - startedMs) / 1000)} s, ${s.requests - before.requests} requests, ` +
              `${s.inFlight} in flight`,
          ),
        );
    }, 10_000);
    const startedMs = Date.now();
    const memory = memorySampler();
    const cpuBefore = process.cpuUsage();
    const started = process.hrtime.bigint();
    // Each stream's end is logged: which one finishes last says what bounds the sync.
    const summaries = await Promise.all(
      app.engine.polledStreams().map((stream) =>
        app.engine.poll(stream).then((summary) => {
          const at = ((Date.now() - startedMs) / 1000).toFixed(1);
          console.error(`… ${stream}: ${summary.published} events, done at ${at} s`);
          return summary;
        }),
      ),
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = process.cpuUsage(cpuBefore);
    clearInterval(progress);
    const atPeak = memory.stop();
    const after = await sim.stats();
    const simCpu = sim.cpuUs();
    await app.close();
    const published = summaries.reduce((n, s) => n + s.published, 0);
    const requests = after.requests - before.requests;
    const minimum = (unavoidable + listRequests) / (rateLimit / 10);
    const rateLimited = after.rateLimited - before.rateLimited;
    const cpuUsPerEvent = (cpu.user + cpu.system) / Math.max(1, published);
    const simUsPerEvent =
      simCpu === undefined || simCpuBefore === undefined
        ? undefined
        : (simCpu - simCpuBefore) / Math.max(1, published);
    const latency =
      `${latencyMs} ms per answer` +
      (latencyP99Ms ? `, p99 ${latencyP99Ms} ms` : '') +
      (searchLatencyMs ? `, search pages ${searchLatencyMs} ms` : '');
    const listsOff = process.env.COMPLETE_EMBEDDED_LISTS === 'false' ? '-lists-off' : '';
    const limited = memoryLimitMb ? `-mem${memoryLimitMb}` : '';
    const section = clientSection(`latency-${contacts}${parts ? `-parts${parts}` : ''}${listsOff}${limited}`);
    record(
      section.name,
      [
        `## First full sync at ${latency}, ${contacts.toLocaleString('en')} contacts${section.title}`,
        '',
        `Command: \`${settingsPrefix()}npx tsx bench/latency.ts --contacts ${contacts} --conversations ${conversations} --companies ${companies}${parts ? ` --parts ${parts}` : ''}` +
          ` --latency-ms ${latencyMs}${latencyP99Ms ? ` --latency-p99-ms ${latencyP99Ms}` : ''}${searchLatencyMs ? ` --search-latency-ms ${searchLatencyMs}` : ''}` +
          `${rateLimit !== INTERCOM_PER_10S ? ` --rate-limit ${rateLimit}` : ''}${memoryLimitMb ? ` --memory-limit-mb ${memoryLimitMb}` : ''}\` (${stack.info.description}). ` +
          `Simulator in its own process: \`${sim.command}\` (${rateLimit} requests per 10 s window).` +
          memoryLimitNote(memoryLimitMb),
        '',
        '| streams | events published | wall time | least the rate limit allows | ratio | requests made (unavoidable) | of which embedded lists | 429s | most in flight at the simulator | connector CPU per event | simulator CPU per event | connector peak RSS |',
        '|---|---|---|---|---|---|---|---|---|---|---|---|',
        `| all 12 | ${published} | ${seconds.toFixed(1)} s | ${minimum.toFixed(1)} s | ${(seconds / minimum).toFixed(2)} × | ${requests} (${unavoidable + listRequests}) | ${listRequests} | ${rateLimited} | ${after.maxInFlight} | ${cpuUsPerEvent.toFixed(0)} µs | ${simUsPerEvent === undefined ? '—' : `${simUsPerEvent.toFixed(0)} µs`} | ${peakRssMb()} MB |`,
        '',
        `The least time is the unavoidable requests / ${rateLimit / 10} per second: one page per ${PER_PAGE}`,
        'objects of each listing, one GET per conversation and one request per page of each embedded list of',
        'a contact that says `has_more` (the rest of its tags, companies, notes or segments: "of which',
        'embedded lists", intercom_cdc_embedded_list_requests_total). Requests made include the probes that',
        'size the slices and the newest-object lookup that sets each watermark. Target (bench/README.md): ≤ 1.5 ×.',
        '',
        `At the highest RSS sampled during the sync: ${atPeak}.`,
      ].join('\n'),
    );
  } finally {
    await sim.close();
    await stack.release();
  }
}

runMain(main);

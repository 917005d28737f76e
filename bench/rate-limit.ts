/**
 * Use of a tight rate limit: the connector (in this process) syncs contacts from the simulator (in this
 * process too: it does little at this rate) while the simulator enforces `limit` requests per window of
 * wall time. The connector polls without pause and reconciles at every poll (a full listing), so it
 * always has more requests to make than the limit allows; what is measured is how close it gets to the
 * limit without being refused.
 *
 *   npx tsx bench/rate-limit.ts [--limit 100] [--window-ms 10000] [--duration-s 80] [--contacts 20000]
 *
 * Counted from the simulator's stats (sim.stats()) at the boundaries of its windows, over the whole
 * windows after a warm-up: requests answered (not 429) / (windows × limit), target ≥ 90 %; requests
 * answered 429 / all requests, target ≤ 1 %.
 */
import { buildApp } from '../src/app';
import { resolveStack } from '../src/devstack/resolve';
import { silentLogger } from '../src/logger';
import { startSimulator, type SimStats } from '../src/sim';
import { benchConfig, numberArg, record, runMain, settingsPrefix } from './lib';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

async function main(): Promise<void> {
  const limit = numberArg('limit', 100);
  const windowMs = numberArg('window-ms', 10_000);
  const durationS = numberArg('duration-s', 80);
  const contacts = numberArg('contacts', 20_000);
  const latencyMs = numberArg('latency-ms', 0);
  const windows = Math.max(1, Math.floor((durationS * 1000) / windowMs) - 1);
  const stack = await resolveStack((l) => console.error(l));
  const sim = await startSimulator({
    seed: 1,
    size: { contacts, conversations: 0, companies: 0 },
    rateLimit: { limit, windowMs },
    latency: latencyMs > 0 ? { ms: latencyMs } : null,
  });
  const config = benchConfig(stack.info, sim.url, {
    STREAMS: 'contacts',
    POLL_INTERVAL_MS: '1',
    RECONCILE_INTERVAL_MS: '1',
  });
  const throttled = { budget: 0, '429': 0, budgetWaitMs: 0 };
  const abort = new AbortController();
  try {
    const app = await buildApp(config, silentLogger(), {
      clientObserver: {
        throttled: (e) => {
          throttled[e.reason]++;
          if (e.reason === 'budget') throttled.budgetWaitMs += e.waitMs;
        },
      },
    });
    const runStarted = sim.stats();
    const running = app.engine.run(abort.signal);
    // Warm-up: the snapshot starts (and start-up requests fall in a window that is not counted).
    await sleep(Math.min(5_000, windowMs));
    const first = Math.ceil(Date.now() / windowMs) * windowMs;
    const marks: SimStats[] = [];
    for (let k = 0; k <= windows; k++) {
      await sleep(first + k * windowMs + 1 - Date.now());
      marks.push(sim.stats());
      if (k > 0) {
        const used = answered(marks[k]) - answered(marks[k - 1]);
        console.error(
          `window ${k}/${windows}: ${used} answered, ${marks[k].rateLimited - marks[k - 1].rateLimited} × 429`,
        );
      }
    }
    abort.abort();
    await running;
    const runEnded = sim.stats();
    await app.close();

    const perWindow = marks.slice(1).map((m, k) => answered(m) - answered(marks[k]));
    const used = perWindow.reduce((a, b) => a + b, 0);
    const requests = marks[windows].requests - marks[0].requests;
    const refused = marks[windows].rateLimited - marks[0].rateLimited;
    const allRequests = runEnded.requests - runStarted.requests;
    const allRefused = runEnded.rateLimited - runStarted.rateLimited;
    const share = used / (windows * limit);
    const refusedShare = requests ? refused / requests : 0;
    const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
    record(
      latencyMs > 0 ? `rate-limit-latency` : 'rate-limit',
      [
        latencyMs > 0
          ? `## Use of a tight rate limit, ${latencyMs} ms per answer`
          : '## Use of a tight rate limit',
        '',
        `Command: \`${settingsPrefix()}npx tsx bench/rate-limit.ts --limit ${limit} --window-ms ${windowMs} --duration-s ${durationS} --contacts ${contacts}${latencyMs > 0 ? ` --latency-ms ${latencyMs}` : ''}\` ` +
          `(${stack.info.description}; simulator in process${latencyMs > 0 ? `, ${latencyMs} ms per answer` : ''}). The connector polls contacts without pause and ` +
          `reconciles (lists all ${contacts}, in slices walked at once) without pause beside the polls, so it always wants more than ${limit} requests per ${windowMs / 1000} s.`,
        '',
        '| windows measured | allowed | answered | share of allowed used | target | met | answered 429 | target | met |',
        '|---|---|---|---|---|---|---|---|---|',
        `| ${windows} × ${windowMs / 1000} s | ${windows * limit} | ${used} | ${pct(share)} | ≥ 90 % | ${share >= 0.9 ? 'yes' : 'no'} | ${refused} of ${requests} (${pct(refusedShare)}) | ≤ 1 % | ${refusedShare <= 0.01 ? 'yes' : 'no'} |`,
        '',
        `Answered per window: ${perWindow.join(', ')}. Whole run (start-up and shutdown included): ${allRequests} requests, ` +
          `${allRefused} × 429. The client waited for a window reset ${throttled.budget} times on its own budget ` +
          `(${(throttled.budgetWaitMs / 1000).toFixed(1)} s in all) and ${throttled['429']} times after a 429. ` +
          `Most requests in flight at once at the simulator: ${runEnded.maxInFlight}.`,
      ].join('\n'),
    );
  } finally {
    abort.abort();
    await sim.close();
    await stack.release();
  }
}

/** Requests the simulator answered with something other than 429. */
function answered(stats: SimStats): number {
  return stats.requests - stats.rateLimited;
}

runMain(main);

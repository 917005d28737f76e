/**
 * Simulator size benchmark: start-up time, first search page latency and resident memory for a
 * workspace of N contacts (conversations and companies scale with it).
 *
 *   npx tsx --expose-gc bench/sim-memory.ts --contacts 1000000 [--parts 10] [--conversations N]
 *
 * `--parts` is the average number of parts per conversation (default the simulator's, 6);
 * `--conversations` defaults to a quarter of the contacts.
 *
 * Prints one JSON line. Figures depend on the machine; nothing here is asserted.
 */
import { performance } from 'node:perf_hooks';
import { startSimulator } from '../src/sim';

function arg(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await run();
  return { ms: Math.round(performance.now() - t0), value };
}

async function main(): Promise<void> {
  const contacts = arg('contacts', 100_000);
  const seed = arg('seed', 1);
  const conversations = arg('conversations', Math.ceil(contacts / 4));
  const parts = process.argv.includes('--parts') ? arg('parts', 0) : undefined;
  const rssBefore = process.memoryUsage().rss;
  const start = await timed(() =>
    startSimulator({
      seed,
      size: {
        contacts,
        companies: Math.ceil(contacts / 20),
        conversations,
        ...(parts !== undefined ? { partsPerConversation: parts } : {}),
      },
    }),
  );
  const sim = start.value;
  const headers = {
    Authorization: 'Bearer bench',
    'Intercom-Version': '2.14',
    'Content-Type': 'application/json',
  };
  const search = (body: unknown) =>
    timed(async () => {
      const res = await fetch(`${sim.url}/contacts/search`, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
      });
      return (await res.json()) as { total_count: number; data: unknown[] };
    });
  const windowStart = Math.floor(sim.clock.now() / 1000) - 30 * 86_400;
  const byWindow = await search({
    query: { field: 'updated_at', operator: '>', value: windowStart },
    pagination: { per_page: 150 },
  });
  const sorted = await search({
    query: { field: 'updated_at', operator: '>', value: 0 },
    sort: { field: 'updated_at', order: 'ascending' },
    pagination: { per_page: 150 },
  });
  (globalThis as { gc?: () => void }).gc?.();
  const memory = process.memoryUsage();
  console.log(
    JSON.stringify({
      contacts,
      conversations,
      partsPerConversation: parts ?? 'default',
      startupMs: start.ms,
      firstSearchPageMs: byWindow.ms,
      firstSearchPageMatched: byWindow.value.total_count,
      sortedAllFirstPageMs: sorted.ms,
      sortedAllMatched: sorted.value.total_count,
      rssMB: Math.round(memory.rss / 2 ** 20),
      rssGrowthMB: Math.round((memory.rss - rssBefore) / 2 ** 20),
      heapUsedMB: Math.round(memory.heapUsed / 2 ** 20),
      arrayBuffersMB: Math.round(memory.arrayBuffers / 2 ** 20),
    }),
  );
  await sim.close();
}

void main();

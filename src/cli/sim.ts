/** `sim`: the Intercom API simulator as a process of its own, from its flags. */
import { ConfigError } from '../errors';
import { type LatencyOptions, type WebhookOptions, startLiveMutations, startSimulator } from '../sim';

interface SimFlags {
  port: string;
  host: string;
  seed: string;
  contacts: string;
  conversations?: string;
  companies?: string;
  parts?: string;
  token?: string;
  changesPerSecond: string;
  rateLimit?: string;
  searchLagMs: string;
  timezone: string;
  latencyMs: string;
  latencyP99Ms: string;
  searchLatencyMs: string;
  searchLatencyP99Ms: string;
  webhookUrl?: string;
  webhookSecret?: string;
  webhookDelayMs: number;
  webhookJitterMs: number;
  webhookDuplicateRate: number;
  webhookForgedRate: number;
}

const int = (v: string | undefined) => (v === undefined ? undefined : Number(v));

/**
 * The latency flags as simulator options: each a non-negative number of ms, each p99 at least its
 * median (0 = unset: a p99 of 0 means no tail, a search latency of 0 means the GET one). Throws a
 * ConfigError (exit 2) naming the flags at fault.
 */
export function latencyFromFlags(
  flags: Pick<SimFlags, 'latencyMs' | 'latencyP99Ms' | 'searchLatencyMs' | 'searchLatencyP99Ms'>,
): LatencyOptions | null {
  const named = {
    '--latency-ms': flags.latencyMs,
    '--latency-p99-ms': flags.latencyP99Ms,
    '--search-latency-ms': flags.searchLatencyMs,
    '--search-latency-p99-ms': flags.searchLatencyP99Ms,
  };
  const values: Record<string, number> = {};
  const problems: string[] = [];
  for (const [flag, text] of Object.entries(named)) {
    const value = text.trim() === '' ? NaN : Number(text);
    if (!Number.isFinite(value) || value < 0)
      problems.push(`${flag} must be a non-negative number of ms (got ${JSON.stringify(text)})`);
    values[flag] = value;
  }
  const [ms, p99, searchMs, searchP99] = Object.values(values) as [number, number, number, number];
  if (problems.length === 0) {
    if (p99 > 0 && p99 < ms) problems.push(`--latency-p99-ms (${p99}) must be at least --latency-ms (${ms})`);
    const searchMedian = searchMs > 0 ? searchMs : ms;
    if (searchP99 > 0 && searchP99 < searchMedian)
      problems.push(
        `--search-latency-p99-ms (${searchP99}) must be at least the search median (${searchMedian})`,
      );
  }
  if (problems.length > 0) throw new ConfigError(`sim: ${problems.join('; ')}`, problems);
  if (ms === 0 && searchMs === 0) return null;
  return {
    ms,
    ...(p99 > 0 ? { p99Ms: p99 } : {}),
    ...(searchMs > 0 ? { searchMs } : {}),
    ...(searchP99 > 0 ? { searchP99Ms: searchP99 } : {}),
  };
}

/**
 * The webhook flags as simulator options: none without --webhook-url; a URL needs a secret
 * (--webhook-secret or SIM_WEBHOOK_SECRET) and rates within 0 to 1, else a ConfigError (exit 2).
 */
export function webhooksFromFlags(
  flags: Pick<
    SimFlags,
    | 'webhookUrl'
    | 'webhookSecret'
    | 'webhookDelayMs'
    | 'webhookJitterMs'
    | 'webhookDuplicateRate'
    | 'webhookForgedRate'
  >,
  env: NodeJS.ProcessEnv = process.env,
): WebhookOptions | undefined {
  if (!flags.webhookUrl) return undefined;
  const secret = flags.webhookSecret ?? env.SIM_WEBHOOK_SECRET ?? '';
  const problems: string[] = [];
  if (!/^https?:\/\/\S+$/.test(flags.webhookUrl)) problems.push('--webhook-url must be an http(s) URL');
  if (!secret) problems.push('--webhook-url needs a secret: --webhook-secret or SIM_WEBHOOK_SECRET');
  for (const [flag, rate] of [
    ['--webhook-duplicate-rate', flags.webhookDuplicateRate],
    ['--webhook-forged-rate', flags.webhookForgedRate],
  ] as const)
    if (rate > 1) problems.push(`${flag} must be between 0 and 1 (got ${rate})`);
  if (problems.length > 0) throw new ConfigError(`sim: ${problems.join('; ')}`, problems);
  return {
    url: flags.webhookUrl,
    secret,
    faults: {
      delayMs: flags.webhookDelayMs,
      jitterMs: flags.webhookJitterMs,
      duplicateRate: flags.webhookDuplicateRate,
      forgedRate: flags.webhookForgedRate,
    },
  };
}

/** `sim`: the Intercom API simulator on real time, until Ctrl-C. */
export async function simCommand(flags: SimFlags): Promise<number> {
  const latency = latencyFromFlags(flags);
  const webhooks = webhooksFromFlags(flags);
  const sim = await startSimulator({
    port: Number(flags.port),
    host: flags.host,
    seed: Number(flags.seed),
    size: Object.fromEntries(
      Object.entries({
        contacts: int(flags.contacts),
        conversations: int(flags.conversations),
        companies: int(flags.companies),
        partsPerConversation: int(flags.parts),
      }).filter(([, v]) => v !== undefined),
    ),
    token: flags.token,
    clock: { mode: 'real' },
    rateLimit: flags.rateLimit ? { limit: Number(flags.rateLimit) } : null,
    searchLagMs: Number(flags.searchLagMs),
    timezone: flags.timezone,
    latency,
    ...(webhooks ? { webhooks } : {}),
  });
  const perSecond = Number(flags.changesPerSecond);
  const stopLive = perSecond > 0 ? startLiveMutations(sim, { perSecond }) : () => undefined;
  process.stderr.write(
    `simulator listening on ${sim.url} (seed ${flags.seed}, ${flags.contacts} contacts${latency ? `, latency ${describe(latency)}` : ''})\n`,
  );
  if (webhooks) process.stderr.write(`posting signed webhooks of its changes to ${webhooks.url}\n`);
  process.stderr.write(
    `try: curl -H 'Authorization: Bearer any' -H 'Intercom-Version: 2.14' ${sim.url}/me\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  stopLive();
  await sim.close();
  return 0;
}

function describe(l: LatencyOptions): string {
  const get = `${l.ms} ms${l.p99Ms !== undefined ? ` (p99 ${l.p99Ms} ms)` : ''}`;
  if (l.searchMs === undefined && l.searchP99Ms === undefined) return get;
  const search = `${l.searchMs ?? l.ms} ms${l.searchP99Ms !== undefined ? ` (p99 ${l.searchP99Ms} ms)` : ''}`;
  return `${get}, search ${search}`;
}

/**
 * The Intercom REST API 2.14 simulator (it answers every `Intercom-Version` Intercom serves with 2.14's
 * shapes): an independent model of Intercom (it imports nothing of the
 * connector) serving a seeded, deterministic workspace over real HTTP, with Intercom's quirks:
 * day-granular contact search in the workspace timezone, inclusive `>`/`<` for conversations and
 * tickets, search-index lag, offset-like cursors, the 500-part limit, one companies scroll per app,
 * rate-limit windows, OAuth, and faults on demand. Tests drive it in-process; the `sim` CLI command
 * and child processes use the `/_sim/` admin API (see http/admin.ts).
 */
import type { AddressInfo } from 'node:net';
import { ConfigError } from '../errors';
import { DEFAULT_START_MS, createClock } from './clock';
import { TokenAuthority } from './http/auth';
import { FaultQueue } from './http/faults';
import { LatencyModel } from './http/latency';
import { RateLimiter } from './http/rate-limit';
import { CompanyScroll } from './http/scroll';
import { createSimServer } from './http/server';
import { MutationEngine } from './mutations';
import { assertTimezone } from './timezone';
import { WebhookSender } from './webhooks';
import type { RunningSimulator, SimStream, SimulatorOptions, WorkspaceSize } from './types';
import { DEFAULT_SIZE, Workspace } from './workspace';

export type * from './types';
export { DEFAULT_SIZE } from './workspace';

/** Builds the workspace and listens on `host:port` (default 127.0.0.1, a free port). */
export async function startSimulator(
  options: SimulatorOptions & { port?: number; host?: string } = {},
): Promise<RunningSimulator> {
  const timezone = options.timezone ?? 'UTC';
  const size = checkedSize({ ...DEFAULT_SIZE, ...options.size });
  try {
    assertTimezone(timezone);
  } catch (cause) {
    throw new ConfigError(`sim: unknown timezone ${timezone}`, ['timezone'], cause);
  }
  const seed = options.seed ?? 1;
  const latency = new LatencyModel(seed, options.latency);
  const wall = options.wallClock ?? Date.now;
  const clock = createClock(options.clock ?? { mode: 'manual' }, Date.now);
  const ws = new Workspace({
    seed,
    size,
    timezone,
    startMs: options.clock?.mode === 'manual' ? (options.clock.startMs ?? DEFAULT_START_MS) : clock.now(),
    maxParts: options.maxParts ?? 500,
    ...(options.workspaceId !== undefined ? { workspaceId: options.workspaceId } : {}),
  });
  const engine = new MutationEngine(ws, clock);
  const webhooks = options.webhooks
    ? new WebhookSender(options.webhooks, ws.workspaceId, engine, seed, () => clock.now())
    : undefined;
  webhooks?.attach(engine);
  const faults = new FaultQueue();
  const limiter = new RateLimiter(wall, options.rateLimit);
  const { server, stats, setRateLimit, setLatency } = createSimServer({
    ws,
    clock,
    engine,
    faults,
    limiter,
    latency,
    auth: new TokenAuthority({
      wall,
      ...(options.token !== undefined ? { token: options.token } : {}),
      ...(options.oauth ? { oauth: options.oauth } : {}),
    }),
    scroll: new CompanyScroll(wall),
    searchLagMs: options.searchLagMs ?? 0,
    dayTimezone: options.dayBoundary === 'utc' ? 'UTC' : timezone,
    apiVersion: options.apiVersion,
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    clock,
    mutate: engine,
    truth: engine,
    faults,
    setRateLimit,
    setLatency,
    stats,
    ...(webhooks ? { webhooks } : {}),
    close: () =>
      new Promise<void>((resolve) => {
        webhooks?.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * Real-time demo mode: `perSecond` random mutations per second of wall time, spread over ticks of
 * 100 ms, at the simulator's clock. Returns the function that stops it.
 */
export function startLiveMutations(
  sim: RunningSimulator,
  options: { perSecond: number; streams?: SimStream[] },
): () => void {
  const tickMs = 100;
  let owed = 0;
  const timer = setInterval(() => {
    owed += (options.perSecond * tickMs) / 1000;
    const count = Math.floor(owed);
    owed -= count;
    if (count > 0) sim.mutate.random(count, options.streams ? { streams: options.streams } : {});
  }, tickMs);
  timer.unref();
  return () => clearInterval(timer);
}

function checkedSize(size: WorkspaceSize): WorkspaceSize {
  const bad = Object.entries(size).filter(([, n]) => !Number.isInteger(n) || n < 0);
  if (bad.length > 0)
    throw new ConfigError(
      'sim: sizes must be non-negative integers',
      bad.map(([k, n]) => `${k}=${n}`),
    );
  return size;
}

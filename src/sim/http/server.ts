import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { CdcError } from '../../errors';
import { ApiError, badRequest, errorBody } from '../api-error';
import type { SimClock } from '../clock';
import type { MutationEngine } from '../mutations';
import type { FaultSpec, LatencyOptions, RateLimitOptions, SimStats } from '../types';
import type { Workspace } from '../workspace';
import { AdminError, handleAdmin } from './admin';
import type { TokenAuthority } from './auth';
import {
  type FaultQueue,
  corruptObjects,
  corruptTimestamps,
  rateLimitedReply,
  withExtraItems,
  withoutLists,
  withTotalCount,
} from './faults';
import type { AnswerKind, LatencyModel } from './latency';
import type { RateLimiter } from './rate-limit';
import { matchRoute } from './routes';
import type { CompanyScroll } from './scroll';

export interface ServerDeps {
  ws: Workspace;
  clock: SimClock;
  engine: MutationEngine;
  faults: FaultQueue;
  limiter: RateLimiter;
  latency: LatencyModel;
  auth: TokenAuthority;
  scroll: CompanyScroll;
  searchLagMs: number;
  dayTimezone: string;
  /** The only `Intercom-Version` accepted; undefined: every version Intercom serves (INTERCOM_VERSIONS). */
  apiVersion: string | undefined;
}

/**
 * The `Intercom-Version` values Intercom serves: those its 2.14 API description lists, and `Unstable`.
 * The simulator is a model of 2.14 and answers every one of them with 2.14's shapes; a client that
 * needs an older version's differences will not find them here.
 */
export const INTERCOM_VERSIONS: readonly string[] = [
  ...['1.0', '1.1', '1.2', '1.3', '1.4'],
  ...Array.from({ length: 15 }, (_, minor) => `2.${minor}`),
  'Unstable',
];

/** Whether a request's `Intercom-Version` header is one this simulator answers. */
function servesVersion(only: string | undefined, version: string | string[]): boolean {
  if (typeof version !== 'string') return false;
  return only === undefined ? INTERCOM_VERSIONS.includes(version) : version === only;
}

interface Reply {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

const MAX_BODY_BYTES = 1 << 20;
/** Faults that answer instead of the API. */
const NETWORK_FAULTS = ['status', 'reset', 'timeout'];

/**
 * The HTTP face of the simulator. Order for an API request: faults that replace the answer
 * (status, reset, timeout) → bearer token (401) → the request counts against the rate-limit window →
 * Intercom-Version (400 `intercom_version_invalid` unless Intercom serves it) → over the limit (429) → route (404 when unknown) → handler → faults that
 * spoil the answer (truncated, malformed, badTimestamp, corrupt, extraItems, dropList, totalCount). A `rateLimited` fault answers 429
 * after the token check, instead of the route. Every response after the token check
 * carries the rate-limit headers. OAuth pages and `/_sim/` take neither token nor rate limit.
 * Every answer but `/_sim/` ones (and resets, and held timeouts) waits for the latency model's delay
 * once computed, just before it is written; a client that hangs up meanwhile gets nothing written.
 */
export function createSimServer(deps: ServerDeps): {
  server: http.Server;
  stats(): SimStats;
  setRateLimit(rl: RateLimitOptions | null): void;
  setLatency(latency: LatencyOptions | null): void;
} {
  const stats: SimStats = {
    requests: 0,
    byStatus: {},
    byRoute: {},
    rateLimited: 0,
    missingVersion: 0,
    answered: 0,
    inFlight: 0,
    maxInFlight: 0,
  };
  const held = new Set<ServerResponse>();
  const admin = {
    ...deps,
    stats: () => structuredClone(stats),
    setRateLimit: (rl: RateLimitOptions | null) => deps.limiter.set(rl),
    setLatency: (latency: LatencyOptions | null) => deps.latency.set(latency),
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent)
        write(res, { status: 500, body: errorBody('server_error', String(error)), headers: {} });
    });
  });
  server.on('close', () => held.forEach((res) => res.destroy()));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim.invalid');
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
    const method = req.method ?? 'GET';
    if (path.startsWith('/_sim/')) {
      const raw = await readBody(req);
      return adminReply(res, () => handleAdmin(admin, req, path, url.searchParams, parseJson(raw)));
    }
    const served = track(res);
    const raw = await readBody(req);

    stats.requests++;
    const match = matchRoute(method, path);
    const kind: AnswerKind =
      match?.route.method === 'POST' && match.route.name.endsWith('/search') ? 'search' : 'get';
    /** Waits for the answer's delay, then writes it unless the client is gone. */
    const respond = async (reply: Reply, spoiledBy?: FaultSpec): Promise<void> => {
      if (!(await served.after(deps.latency.draw(kind)))) return;
      if (spoiledBy) return spoil(res, reply, spoiledBy, stats);
      stats.byStatus[reply.status] = (stats.byStatus[reply.status] ?? 0) + 1;
      write(res, reply);
    };
    if (path === '/oauth' || path === '/auth/eagle/token') {
      stats.byRoute[`${method} ${path}`] = (stats.byRoute[`${method} ${path}`] ?? 0) + 1;
      return respond(oauthReply(deps.auth, method, path, url.searchParams, req, raw));
    }
    const routeName = match?.route.name ?? 'unmatched';
    stats.byRoute[routeName] = (stats.byRoute[routeName] ?? 0) + 1;

    const fault = deps.faults.take(method, path);
    if (fault && NETWORK_FAULTS.includes(fault.kind)) {
      if (fault.kind === 'status') return respond(statusFault(fault, path, deps.scroll));
      if (fault.kind === 'reset') return void req.socket.destroy();
      held.add(res);
      res.on('close', () => held.delete(res));
      return;
    }
    if (!deps.auth.accepts(req.headers.authorization)) {
      return respond({ status: 401, body: errorBody('unauthorized', 'Access Token Invalid'), headers: {} });
    }
    const reply =
      fault?.kind === 'rateLimited'
        ? rateLimitedReply(fault, Date.now())
        : apiReply(req, method, path, url.searchParams, raw, match, fault);
    if (reply.status === 429) stats.rateLimited++;
    return respond(reply, fault && reply.status < 300 ? fault : undefined);
  }

  /**
   * Counts a request in flight from its arrival until its answer is written or its client hangs up.
   * `after(ms)` resolves true once `ms` passed with the client still there, false as soon as it is gone.
   */
  function track(res: ServerResponse): { after(ms: number): Promise<boolean> } {
    stats.inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    let gone = false;
    res.once('finish', () => stats.answered++);
    res.once('close', () => {
      stats.inFlight--;
      gone = !res.writableFinished;
    });
    return {
      after: (ms) =>
        ms <= 0 || gone
          ? Promise.resolve(!gone)
          : new Promise<boolean>((resolve) => {
              const hungUp = (): void => {
                clearTimeout(timer);
                resolve(false);
              };
              const timer = setTimeout(() => {
                res.off('close', hungUp);
                resolve(!gone);
              }, ms);
              res.once('close', hungUp);
            }),
    };
  }

  function apiReply(
    req: IncomingMessage,
    method: string,
    path: string,
    query: URLSearchParams,
    raw: string,
    match: ReturnType<typeof matchRoute>,
    fault: FaultSpec | undefined,
  ): Reply {
    const version = req.headers['intercom-version'];
    if (version === undefined) stats.missingVersion++;
    const rate = deps.limiter.take();
    const headers = rate.headers;
    if (
      fault?.kind === 'wrongVersion' ||
      (version !== undefined && !servesVersion(deps.apiVersion, version))
    ) {
      return {
        status: 400,
        body: errorBody('intercom_version_invalid', 'The requested version could not be found'),
        headers,
      };
    }
    if (!rate.allowed)
      return { status: 429, body: errorBody('rate_limit_exceeded', deps.limiter.message()), headers };
    if (!match)
      return { status: 404, body: errorBody('not_found', `No route for ${method} ${path}`), headers };
    try {
      const body = match.route.handle({
        ws: deps.ws,
        engine: deps.engine,
        nowMs: deps.clock.now(),
        searchLagMs: deps.searchLagMs,
        dayTimezone: deps.dayTimezone,
        scroll: deps.scroll,
        query,
        body: method === 'POST' || method === 'PUT' ? parseApiJson(raw) : undefined,
        params: match.params,
      });
      return { status: 200, body, headers };
    } catch (error) {
      if (error instanceof ApiError) return { status: error.status, body: error.body(), headers };
      throw error;
    }
  }

  return { server, stats: admin.stats, setRateLimit: admin.setRateLimit, setLatency: admin.setLatency };
}

function oauthReply(
  auth: TokenAuthority,
  method: string,
  path: string,
  query: URLSearchParams,
  req: IncomingMessage,
  raw: string,
): Reply {
  try {
    if (path === '/oauth' && method === 'GET')
      return { status: 302, body: '', headers: { Location: auth.authorize(query) } };
    if (path === '/auth/eagle/token' && method === 'POST') {
      const form = (req.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded');
      const params = form
        ? Object.fromEntries(new URLSearchParams(raw))
        : ((parseApiJson(raw) ?? {}) as Record<string, unknown>);
      return { status: 200, body: auth.exchange(params), headers: {} };
    }
    return { status: 404, body: errorBody('not_found', `No route for ${method} ${path}`), headers: {} };
  } catch (error) {
    if (error instanceof ApiError) return { status: error.status, body: error.body(), headers: {} };
    throw error;
  }
}

/** A status fault: JSON error bodies as Intercom sends them, except 502, which comes from a proxy as HTML. */
function statusFault(
  fault: Extract<FaultSpec, { kind: 'status' }>,
  path: string,
  scroll: CompanyScroll,
): Reply {
  if (fault.status === 502) {
    return {
      status: 502,
      body: '<html><body><h1>502 Bad Gateway</h1></body></html>',
      headers: { 'Content-Type': 'text/html' },
    };
  }
  if (path === '/companies/scroll' && fault.status === 500) {
    scroll.reset();
    return {
      status: 500,
      body: errorBody(
        'server_error',
        'Request failed due to an internal network error. Please restart the scroll operation.',
      ),
      headers: {},
    };
  }
  const code =
    fault.status === 503 ? 'service_unavailable' : fault.status >= 500 ? 'server_error' : 'bad_request';
  return { status: fault.status, body: errorBody(code, `Simulated ${fault.status}`), headers: {} };
}

/** Answers with a damaged version of a good reply. */
function spoil(res: ServerResponse, reply: Reply, fault: FaultSpec, stats: SimStats): void {
  stats.byStatus[reply.status] = (stats.byStatus[reply.status] ?? 0) + 1;
  if (fault.kind === 'badTimestamp')
    return write(res, { ...reply, body: corruptTimestamps(reply.body, fault.field) });
  if (fault.kind === 'extraItems')
    return write(res, { ...reply, body: withExtraItems(reply.body, fault.items) });
  if (fault.kind === 'dropList') return write(res, { ...reply, body: withoutLists(reply.body) });
  if (fault.kind === 'totalCount')
    return write(res, { ...reply, body: withTotalCount(reply.body, fault.value) });
  if (fault.kind === 'corrupt') {
    const bytes = corruptObjects(reply.body, fault.objects);
    res.writeHead(reply.status, {
      'Content-Type': 'application/json; charset=utf-8',
      ...reply.headers,
      'Content-Length': bytes.length,
    });
    return void res.end(bytes);
  }
  const text = JSON.stringify(reply.body);
  if (fault.kind === 'malformed') {
    return write(res, {
      ...reply,
      body: `${text.slice(0, Math.floor(text.length / 2))}<!-- upstream reset -->`,
    });
  }
  // truncated: announce the full length, send half, then cut the connection.
  res.writeHead(reply.status, {
    ...reply.headers,
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  res.write(text.slice(0, Math.floor(text.length / 2)), () => res.socket?.destroy());
}

function write(res: ServerResponse, reply: Reply): void {
  const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'Content-Type': 'application/json; charset=utf-8',
    ...reply.headers,
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

function adminReply(res: ServerResponse, run: () => unknown): void {
  try {
    write(res, { status: 200, body: run(), headers: {} });
  } catch (error) {
    const status = error instanceof AdminError || error instanceof CdcError ? 400 : 500;
    write(res, {
      status,
      body: { error: error instanceof Error ? error.message : String(error) },
      headers: {},
    });
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) req.destroy(new Error('request body too large'));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJson(raw: string): unknown {
  return raw.trim() === '' ? undefined : JSON.parse(raw);
}

function parseApiJson(raw: string): unknown {
  try {
    return parseJson(raw);
  } catch {
    throw badRequest('The request body is not valid JSON');
  }
}

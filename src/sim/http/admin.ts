import type { IncomingMessage } from 'node:http';
import type { SimClock } from '../clock';
import type { MutationEngine } from '../mutations';
import {
  SIM_STREAMS,
  type FaultSpec,
  type LatencyOptions,
  type RateLimitOptions,
  type SearchableStream,
  type SimStats,
  type SimStream,
} from '../types';
import type { Workspace } from '../workspace';
import type { FaultQueue } from './faults';

export interface AdminDeps {
  ws: Workspace;
  clock: SimClock;
  engine: MutationEngine;
  faults: FaultQueue;
  stats(): SimStats;
  setRateLimit(rl: RateLimitOptions | null): void;
  setLatency(latency: LatencyOptions | null): void;
}

export class AdminError extends Error {}

/**
 * The `/_sim/` control API for child processes and the demo (no auth, not rate limited):
 * GET stats; POST clock/advance {ms}, clock/set {ms}; POST mutate {op, stream, id?, into?, patch?, count?};
 * GET truth?stream=S (ids and updated_at); GET truth/log?after=SEQ; POST/DELETE faults; POST rate-limit;
 * POST latency {ms, p99Ms?, searchMs?, searchP99Ms?} (`{ms: null}` or `{}`: none; see LatencyOptions);
 * POST search/freeze {stream, id, forMs} (see Mutations.freezeSearch). These routes are never delayed.
 */
export function handleAdmin(
  deps: AdminDeps,
  req: IncomingMessage,
  path: string,
  query: URLSearchParams,
  body: unknown,
): unknown {
  const key = `${req.method} ${path}`;
  const input = (body ?? {}) as Record<string, unknown>;
  switch (key) {
    case 'GET /_sim/stats':
      return { ...deps.stats(), nowMs: deps.clock.now() };
    case 'POST /_sim/clock/advance':
      deps.clock.advance(number(input.ms, 'ms'));
      return { nowMs: deps.clock.now() };
    case 'POST /_sim/clock/set':
      deps.clock.set(number(input.ms, 'ms'));
      return { nowMs: deps.clock.now() };
    case 'POST /_sim/mutate':
      return mutate(deps.engine, input);
    case 'GET /_sim/truth': {
      const stream = simStream(query.get('stream'));
      const items = deps.engine
        .ids(stream)
        .map((id) => ({ id, updated_at: deps.engine.get(stream, id)?.updated_at ?? null }));
      return { stream, items };
    }
    case 'GET /_sim/truth/log': {
      const after = Number(query.get('after') ?? 0);
      return { changes: deps.engine.log().filter((c) => c.seq > after) };
    }
    case 'POST /_sim/faults':
      deps.faults.add(faultSpec(input));
      return { ok: true };
    case 'DELETE /_sim/faults':
      deps.faults.clear();
      return { ok: true };
    case 'POST /_sim/rate-limit':
      deps.setRateLimit(
        input.limit === null || input.limit === undefined
          ? null
          : {
              limit: number(input.limit, 'limit'),
              ...(input.windowMs !== undefined ? { windowMs: number(input.windowMs, 'windowMs') } : {}),
            },
      );
      return { ok: true };
    case 'POST /_sim/latency':
      deps.setLatency(input.ms === null || input.ms === undefined ? null : latency(input));
      return { ok: true };
    case 'POST /_sim/search/freeze':
      deps.engine.freezeSearch(searchable(input.stream), text(input.id, 'id'), number(input.forMs, 'forMs'));
      return { ok: true };
    default:
      throw new AdminError(`unknown admin call ${key}`);
  }
}

function mutate(engine: MutationEngine, input: Record<string, unknown>): unknown {
  const patch = (input.patch ?? {}) as Record<string, unknown>;
  switch (input.op) {
    case 'create':
      return { id: engine.create(simStream(input.stream), patch) };
    case 'update':
      engine.update(simStream(input.stream), text(input.id, 'id'), patch);
      return { ok: true };
    case 'remove':
      engine.remove(simStream(input.stream), text(input.id, 'id'));
      return { ok: true };
    case 'merge':
      engine.merge(text(input.id, 'id'), text(input.into, 'into'));
      return { ok: true };
    case 'random': {
      const streams = input.stream === undefined ? undefined : [simStream(input.stream)];
      engine.random(number(input.count ?? 1, 'count'), streams ? { streams } : {});
      return { ok: true };
    }
    default:
      throw new AdminError('op must be create, update, remove, merge or random');
  }
}

function faultSpec(input: Record<string, unknown>): FaultSpec {
  const match = (input.match ?? {}) as Record<string, unknown>;
  const path =
    typeof match.pathRegex === 'string' ? new RegExp(match.pathRegex) : (match.path as string | undefined);
  const common = {
    match: {
      ...(typeof match.method === 'string' ? { method: match.method } : {}),
      ...(path !== undefined ? { path } : {}),
    },
    ...(input.times !== undefined
      ? { times: input.times === null ? Infinity : number(input.times, 'times') }
      : {}),
  };
  switch (input.kind) {
    case 'status':
      return { kind: 'status', status: number(input.status, 'status'), ...common };
    case 'badTimestamp':
      return { kind: 'badTimestamp', field: text(input.field, 'field'), ...common };
    case 'reset':
    case 'timeout':
    case 'truncated':
    case 'malformed':
    case 'wrongVersion':
    case 'dropList':
      return { kind: input.kind, ...common };
    default:
      throw new AdminError(
        'kind must be status, reset, timeout, truncated, malformed, wrongVersion, dropList or badTimestamp',
      );
  }
}

function latency(input: Record<string, unknown>): LatencyOptions {
  const out: LatencyOptions = { ms: number(input.ms, 'ms') };
  for (const key of ['p99Ms', 'searchMs', 'searchP99Ms'] as const)
    if (input[key] !== undefined) out[key] = number(input[key], key);
  return out;
}

const SEARCHABLE: readonly SearchableStream[] = ['contacts', 'conversations', 'tickets'];

function searchable(value: unknown): SearchableStream {
  if (!SEARCHABLE.includes(value as SearchableStream))
    throw new AdminError(`stream must be one of ${SEARCHABLE.join(', ')}`);
  return value as SearchableStream;
}

function simStream(value: unknown): SimStream {
  if (!SIM_STREAMS.includes(value as SimStream))
    throw new AdminError(`stream must be one of ${SIM_STREAMS.join(', ')}`);
  return value as SimStream;
}

function number(value: unknown, name: string): number {
  if (typeof value !== 'number' || Number.isNaN(value)) throw new AdminError(`${name} must be a number`);
  return value;
}

function text(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '') throw new AdminError(`${name} must be a non-empty string`);
  return value;
}

import { errorBody } from '../api-error';
import type { FaultMatch, FaultSpec, Faults, ObjectCorruption } from '../types';

interface Pending {
  spec: FaultSpec;
  remaining: number;
}

/** Faults waiting for requests: the first pending fault whose match fits a request applies to it. */
export class FaultQueue implements Faults {
  private pending: Pending[] = [];

  add(spec: FaultSpec): void {
    this.pending.push({ spec, remaining: spec.times ?? 1 });
  }

  clear(): void {
    this.pending = [];
  }

  /** The fault for this request, if any; using it counts one of its `times`. */
  take(method: string, path: string): FaultSpec | undefined {
    const hit = this.pending.find((p) => matches(p.spec.match, method, path));
    if (!hit) return undefined;
    hit.remaining--;
    if (hit.remaining <= 0) this.pending = this.pending.filter((p) => p !== hit);
    return hit.spec;
  }
}

function matches(match: FaultMatch | undefined, method: string, path: string): boolean {
  if (!match) return true;
  if (match.method && match.method.toUpperCase() !== method) return false;
  if (match.path === undefined) return true;
  return typeof match.path === 'string' ? match.path === path : match.path.test(path);
}

/** Replaces every value under key `field`, at any depth, with a string no timestamp parser accepts. */
export function corruptTimestamps(body: unknown, field: string): unknown {
  if (Array.isArray(body)) return body.map((item) => corruptTimestamps(item, field));
  if (typeof body !== 'object' || body === null) return body;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    out[key] = key === field ? '2026-13-45T25:61:00 yesterday' : corruptTimestamps(value, field);
  }
  return out;
}

/** A good answer with `items` put first into each of its top-level arrays (its list). */
export function withExtraItems(body: unknown, items: readonly unknown[]): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  return Object.fromEntries(
    Object.entries(body).map(([key, value]) => [key, Array.isArray(value) ? [...items, ...value] : value]),
  );
}

/** A good answer without its list: its top-level arrays removed, everything else kept. */
export function withoutLists(body: unknown): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  return Object.fromEntries(Object.entries(body).filter(([, value]) => !Array.isArray(value)));
}

/** A good answer whose `total_count` (when it has one) says `value`. */
export function withTotalCount(body: unknown, value: number): unknown {
  if (typeof body !== 'object' || body === null || !('total_count' in body)) return body;
  return { ...body, total_count: value };
}

/** Marks a value to splice into the serialized body; unique enough never to occur in real data. */
const SPLICE = '__sim_splice_8c1f_';

/**
 * The body of a good answer with the objects named in `objects` spoiled (a `corrupt` fault): found at
 * any depth by their `id`, changed by dot path. Returns the bytes to send, since `$bytes` values make
 * a body that is not UTF-8 and `$json` values one that JSON.stringify could not write (deep nesting).
 */
export function corruptObjects(body: unknown, objects: Record<string, ObjectCorruption>): Buffer {
  const splices: ({ json: string } | { bytes: Buffer })[] = [];
  const spoiled = spoilTree(body, (object) => {
    const how = typeof object.id === 'string' ? objects[object.id] : undefined;
    if (!how || !Object.prototype.hasOwnProperty.call(objects, object.id as string)) return object;
    const copy: Record<string, unknown> = structuredClone(object);
    for (const key of how.remove ?? []) delete copy[key];
    for (const [path, value] of Object.entries(how.set ?? {})) {
      const keys = path.split('.');
      let at = copy;
      for (const key of keys.slice(0, -1)) {
        const next = at[key];
        at = (at[key] =
          typeof next === 'object' && next !== null && !Array.isArray(next) ? next : {}) as Record<
          string,
          unknown
        >;
      }
      at[keys[keys.length - 1]] = placeholder(value, splices);
    }
    return copy;
  });
  const text = JSON.stringify(spoiled);
  if (splices.length === 0) return Buffer.from(text);
  const parts: Buffer[] = [];
  const pattern = new RegExp(`"${SPLICE}(\\d+)"`, 'g');
  let last = 0;
  for (const m of text.matchAll(pattern)) {
    parts.push(Buffer.from(text.slice(last, m.index)));
    const splice = splices[Number(m[1])];
    parts.push(
      'json' in splice
        ? Buffer.from(splice.json)
        : Buffer.concat([Buffer.from('"'), splice.bytes, Buffer.from('"')]),
    );
    last = m.index + m[0].length;
  }
  parts.push(Buffer.from(text.slice(last)));
  return Buffer.concat(parts);
}

function placeholder(value: unknown, splices: ({ json: string } | { bytes: Buffer })[]): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const v = value as { $json?: unknown; $bytes?: unknown };
  if (typeof v.$json === 'string') splices.push({ json: v.$json });
  else if (Array.isArray(v.$bytes)) splices.push({ bytes: Buffer.from(v.$bytes as number[]) });
  else return value;
  return `${SPLICE}${splices.length - 1}`;
}

/** Copies a JSON tree, passing every object (bottom first is not needed: parents first) through `fn`. */
function spoilTree(body: unknown, fn: (o: Record<string, unknown>) => Record<string, unknown>): unknown {
  if (Array.isArray(body)) return body.map((item) => spoilTree(item, fn));
  if (typeof body !== 'object' || body === null) return body;
  const replaced = fn(body as Record<string, unknown>);
  if (replaced !== body) return replaced;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) out[key] = spoilTree(value, fn);
  return out;
}

/** A 429 as Intercom's rate limiter answers it: no requests left, the window resets in `retryAfterSec`. */
export function rateLimitedReply(
  fault: Extract<FaultSpec, { kind: 'rateLimited' }>,
  nowMs: number,
): { status: number; body: unknown; headers: Record<string, string> } {
  const wait = fault.retryAfterSec ?? 1;
  const limit = 1666;
  return {
    status: 429,
    body: errorBody('rate_limit_exceeded', `Exceeded rate limit of ${limit} in 10_seconds`),
    headers: {
      'X-RateLimit-Limit': String(limit),
      'X-RateLimit-Remaining': '0',
      'X-RateLimit-Reset': String(Math.ceil(nowMs / 1000) + wait),
      ...(fault.retryAfterHeader ? { 'Retry-After': String(wait) } : {}),
    },
  };
}

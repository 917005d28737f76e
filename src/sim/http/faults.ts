import type { FaultMatch, FaultSpec, Faults } from '../types';

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

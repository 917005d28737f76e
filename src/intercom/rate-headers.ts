/** What Intercom says about the current rate-limit window, from `X-RateLimit-*` headers. */
export interface RateLimitSnapshot {
  /** Requests allowed in the window. */
  limit: number;
  /** Requests left in the window after this one. */
  remaining: number;
  /** When the window resets, epoch ms (the header carries Unix seconds). */
  resetAtMs: number;
}

/** Response headers with lower-case names, as Node delivers them. */
export type HeaderBag = Readonly<Record<string, unknown>>;

function numberHeader(headers: HeaderBag, name: string): number | undefined {
  const raw = headers[name];
  const value = typeof raw === 'string' || typeof raw === 'number' ? Number(raw) : NaN;
  return Number.isFinite(value) ? value : undefined;
}

/** The window a response reports, or undefined when any of the three headers is missing or not a number. */
export function readRateLimit(headers: HeaderBag): RateLimitSnapshot | undefined {
  const limit = numberHeader(headers, 'x-ratelimit-limit');
  const remaining = numberHeader(headers, 'x-ratelimit-remaining');
  const reset = numberHeader(headers, 'x-ratelimit-reset');
  if (limit === undefined || remaining === undefined || reset === undefined) return undefined;
  return { limit, remaining: Math.max(0, remaining), resetAtMs: reset * 1000 };
}

/** `Retry-After` (delta seconds or an HTTP date) as ms from `nowMs`; undefined when absent or unreadable. */
export function readRetryAfter(headers: HeaderBag, nowMs: number): number | undefined {
  const raw = headers['retry-after'];
  if (typeof raw !== 'string' && typeof raw !== 'number') return undefined;
  const seconds = Number(raw);
  if (String(raw).trim() !== '' && Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(String(raw));
  return Number.isFinite(date) ? Math.max(0, date - nowMs) : undefined;
}

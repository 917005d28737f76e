/** Bounds of the exponential backoff between retries of a transient failure. */
export interface BackoffPolicy {
  minMs: number;
  maxMs: number;
}

/**
 * The wait before retry number `attempt` (1-based): `minMs · 2^(attempt-1)`, capped at `maxMs`, with
 * "equal jitter" (half of it fixed, half random) so that it never collapses to zero and clients that
 * failed together do not retry together. `random` returns [0, 1).
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxMs, policy.minMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

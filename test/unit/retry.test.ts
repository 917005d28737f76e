import { KafkaJSConnectionError } from 'kafkajs';
import { CdcError, ConfigError, type FailureKind } from '../../src/errors';
import { IntercomError } from '../../src/intercom/errors';
import { kafkaError } from '../../src/kafka/errors';
import { backoffDelay, isRetriable, retry, type RetryOptions } from '../../src/retry';
import { RejectedRecord } from '../../src/sink/rejected';

/** A virtual clock that moves only when the injected sleep is called; records every wait. */
function virtual(extra: Partial<RetryOptions> = {}): RetryOptions & { waits: number[] } {
  let now = 0;
  const waits: number[] = [];
  return {
    policy: { minMs: 100, maxMs: 1_000 },
    clock: () => now,
    sleep: async (ms) => {
      waits.push(ms);
      now += ms;
    },
    random: () => 0.5,
    waits,
    ...extra,
  };
}

/** Calls a function that fails with `error` `failures` times, then succeeds; returns what retry did. */
async function outcome(
  error: unknown,
  failures = 2,
  options = virtual(),
): Promise<{ calls: number; result?: string; thrown?: unknown; waits: number[] }> {
  let calls = 0;
  try {
    const result = await retry(async () => {
      calls += 1;
      if (calls <= failures) throw error;
      return 'ok';
    }, options);
    return { calls, result, waits: options.waits };
  } catch (thrown) {
    return { calls, thrown, waits: options.waits };
  }
}

const cdc = (kind: FailureKind, retriable?: boolean): CdcError =>
  new CdcError(`a ${kind} failure`, { code: `x_${kind}`, kind, retriable });

describe('retry, by kind of error', () => {
  it('retries a transient error (retriable by default) until the call succeeds', async () => {
    const o = await outcome(cdc('transient'));
    expect(o).toEqual({ calls: 3, result: 'ok', waits: [50, 100] });
  });

  it.each([
    ['config', cdc('config')],
    ['system', cdc('system')],
    ['fenced', cdc('fenced')],
    ['transient but said not retriable', cdc('transient', false)],
    ['a ConfigError', new ConfigError('bad key', ['a.b'])],
    ['a RejectedRecord', new RejectedRecord('invalid_field', 'no')],
  ])('throws %s at once, as it is', async (_what, error) => {
    const o = await outcome(error);
    expect(o.calls).toBe(1);
    expect(o.thrown).toBe(error);
    expect(o.waits).toEqual([]);
  });

  it.each([
    ['a TypeError', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['a plain Error, even one that says it is retriable', Object.assign(new Error('x'), { retriable: true })],
    ['a string', 'boom'],
  ])('never retries a programming error: %s', async (_what, error) => {
    const o = await outcome(error);
    expect(o).toMatchObject({ calls: 1, thrown: error, waits: [] });
  });

  it('retries a system error that says it is retriable: the flag decides, not the kind', async () => {
    expect((await outcome(cdc('system', true))).result).toBe('ok');
  });
});

describe('retry, by the errors the connector raises', () => {
  it('retries a Kafka outage (kafka_unavailable is transient and retriable)', async () => {
    const outage = kafkaError(
      'publishing',
      new KafkaJSConnectionError('connect ECONNREFUSED 127.0.0.1:9092'),
    );
    expect(outage).toMatchObject({ code: 'kafka_unavailable', kind: 'transient', retriable: true });
    expect((await outcome(outage)).result).toBe('ok');
  });

  it('throws a refused schema, a fence and a registry 4xx at once', async () => {
    const incompatible = new CdcError('not BACKWARD compatible', {
      code: 'schema_incompatible',
      kind: 'config',
    });
    const fenced = kafkaError('committing', Object.assign(new Error('fenced'), { type: 'PRODUCER_FENCED' }));
    const registry4xx = new CdcError('answered 422', { code: 'registry_failed', kind: 'system' });
    for (const error of [incompatible, fenced, registry4xx]) {
      expect(isRetriable(error)).toBe(false);
      expect((await outcome(error)).calls).toBe(1);
    }
  });

  it('retries an Intercom outage past the client (transient), not a 401 (config)', async () => {
    const outage = new IntercomError('503 after 7 attempts', {
      code: 'http_5xx',
      kind: 'transient',
      status: 503,
    });
    const unauthorized = new IntercomError('401', { code: 'unauthorized', kind: 'config', status: 401 });
    expect((await outcome(outage)).result).toBe('ok');
    expect((await outcome(unauthorized)).calls).toBe(1);
  });
});

describe('retry, its policy', () => {
  it('gives up after `retries`, throwing the last error', async () => {
    const error = cdc('transient');
    const o = await outcome(error, Infinity, virtual({ policy: { minMs: 100, maxMs: 1_000, retries: 3 } }));
    expect(o).toMatchObject({ calls: 4, thrown: error });
    expect(o.waits).toHaveLength(3);
  });

  it('never waits past the deadline', async () => {
    const options = virtual({ policy: { minMs: 100, maxMs: 1_000, deadlineMs: 1_000 }, random: () => 1 });
    const o = await outcome(cdc('transient'), Infinity, options);
    // ceilings 100, 200, 400 (700 in all); the next, 800, would end past 1000
    expect(o.waits).toEqual([100, 200, 400]);
    expect(o.calls).toBe(4);
  });

  it('stops waiting when the signal aborts, and never calls again after', async () => {
    const stop = new AbortController();
    const error = cdc('transient');
    const options = virtual({
      signal: stop.signal,
      onRetry: () => stop.abort(),
    });
    const o = await outcome(error, Infinity, options);
    expect(o).toMatchObject({ calls: 1, thrown: error });
  });

  it('waits what the error says a retry needs (retryAfterMs) instead of its backoff', async () => {
    const lock = new CdcError('another scroll is open', {
      code: 'scroll_busy',
      kind: 'transient',
      retryAfterMs: 61_000,
    });
    expect((await outcome(lock, 2)).waits).toEqual([61_000, 61_000]);
    const deadline = virtual({ policy: { minMs: 100, maxMs: 1_000, deadlineMs: 60_000 } });
    expect(await outcome(lock, 2, deadline)).toMatchObject({ calls: 1, thrown: lock, waits: [] });
  });

  it('tells onRetry the attempt, the wait and the error before each wait', async () => {
    const seen: { attempt: number; delayMs: number; code: string }[] = [];
    const options = virtual({
      onRetry: (e) => seen.push({ attempt: e.attempt, delayMs: e.delayMs, code: e.error.code }),
    });
    await outcome(cdc('transient'), 2, options);
    expect(seen).toEqual([
      { attempt: 1, delayMs: 50, code: 'x_transient' },
      { attempt: 2, delayMs: 100, code: 'x_transient' },
    ]);
  });
});

describe('backoffDelay (full jitter)', () => {
  const policy = { minMs: 100, maxMs: 1000 };

  it('draws between 0 and a ceiling that doubles per attempt', () => {
    expect(backoffDelay(1, policy, () => 0)).toBe(0);
    expect(backoffDelay(1, policy, () => 0.999999)).toBe(100);
    expect(backoffDelay(2, policy, () => 0.999999)).toBe(200);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(200);
  });

  it('never exceeds the cap, however many attempts', () => {
    for (let attempt = 1; attempt < 80; attempt += 1)
      expect(backoffDelay(attempt, policy, () => 0.999999)).toBeLessThanOrEqual(1000);
  });

  it('spreads clients that failed together', () => {
    const draws = [0.1, 0.5, 0.9].map((r) => backoffDelay(4, policy, () => r));
    expect(new Set(draws).size).toBe(3);
  });
});

import pino from 'pino';
import { inspect } from 'node:util';
import type { TokenProvider } from '../../../src/intercom/auth/token';
import type { IntercomClient } from '../../../src/intercom/client';
import { IntercomError } from '../../../src/intercom/errors';
import type { ClientObserver } from '../../../src/intercom/links';
import { InstantTime, ScriptedWire, scriptedClient, type Answer } from './scripted-wire';

/** The promise of each link of the client's chain (src/intercom/chain.ts), stated once each. */

const TOKEN = 'tok_chain_SECRET_5f1e';

const unavailable: Answer = {
  status: 503,
  headers: { 'x-request-id': 'hdr-1' },
  body: {
    type: 'error.list',
    request_id: 'req-503',
    errors: [{ code: 'service_unavailable', message: `overloaded while serving ${TOKEN}` }],
  },
};
const ok: Answer = { status: 200, body: { type: 'admin', id: '1' } };

type Recorded = ClientObserver & {
  requests: { status: number | 'error'; durationMs: number }[];
  retries: { route: string; attempt: number; reason: string }[];
  throttles: { waitMs: number; reason: string }[];
};

function recording(): Recorded {
  const r: Recorded = { requests: [], retries: [], throttles: [] };
  r.request = (e) => void r.requests.push({ status: e.status, durationMs: e.durationMs });
  r.retry = (e) => void r.retries.push(e);
  r.throttled = (e) => void r.throttles.push(e);
  return r;
}

async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

/** A provider whose token changes once it is told a token failed (an OAuth token it can renew). */
class RenewingTokens implements TokenProvider {
  readonly failed: (string | undefined)[] = [];
  constructor(
    private tokens: string[],
    private readonly refusal?: Error,
  ) {}
  async getToken(): Promise<string> {
    return this.tokens[0]!;
  }
  async onUnauthorized(failedToken?: string): Promise<boolean> {
    this.failed.push(failedToken);
    if (this.refusal) throw this.refusal;
    if (this.tokens.length < 2) return false;
    this.tokens = this.tokens.slice(1);
    return true;
  }
}

describe('the HTTP chain, link by link', () => {
  it('slot: an attempt holds its slot only while on the wire, never while a retry waits', async () => {
    const time = new InstantTime();
    const wire = new ScriptedWire(time, [unavailable, unavailable, ok], 120);
    const observer = recording();
    const inFlightWhileWaiting: number[] = [];
    const client: IntercomClient = scriptedClient(time, wire, {
      observer,
      minBackoffMs: 1000,
      sleep: async (ms) => {
        inFlightWhileWaiting.push(client.scheduler.inFlight);
        await time.sleep(ms);
      },
    });
    const inFlightOnWire: number[] = [];
    wire.onExchange = () => inFlightOnWire.push(client.scheduler.inFlight);
    await expect(client.me()).resolves.toMatchObject({ id: '1' });
    expect(inFlightOnWire).toEqual([1, 1, 1]);
    expect(inFlightWhileWaiting).toEqual([0, 0]); // the two backoffs
    expect(client.scheduler.inFlight).toBe(0);
    expect(client.scheduler.averageLatencyMs).toBe(120); // released with the exchange's latency
  });

  it('metrics: every attempt is counted with its status, or error without an answer, and its duration', async () => {
    const time = new InstantTime();
    const wire = new ScriptedWire(time, [unavailable, { fail: 'ECONNRESET' }, ok], 80);
    const observer = recording();
    await scriptedClient(time, wire, { observer }).me();
    expect(observer.requests).toEqual([
      { status: 503, durationMs: 80 },
      { status: 'error', durationMs: 80 },
      { status: 200, durationMs: 80 },
    ]);
    expect(observer.retries.map((r) => [r.route, r.attempt, r.reason])).toEqual([
      ['/me', 1, '503'],
      ['/me', 2, 'ECONNRESET'],
    ]);
  });

  it('rate limit: a 429 waits for the reset the limiter was told, with no backoff of its own', async () => {
    const time = new InstantTime();
    time.now = 1_000_000;
    const tooMany: Answer = {
      status: 429,
      headers: { 'x-ratelimit-limit': '100', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1005' },
    };
    const wire = new ScriptedWire(time, [tooMany, ok]);
    const observer = recording();
    await scriptedClient(time, wire, { observer, minBackoffMs: 10_000 }).me();
    expect(wire.sent.map((s) => s.at)).toEqual([1_000_000, 1_005_000]); // X-RateLimit-Reset, to the ms
    expect(time.sleeps).toEqual([5000]); // the limiter's wait only
    expect(observer.throttles).toEqual([{ waitMs: 5000, reason: '429' }]);
    expect(observer.retries.map((r) => r.reason)).toEqual(['429']);
  });

  it('rate limit: Retry-After wins over the reset header', async () => {
    const time = new InstantTime();
    time.now = 1_000_000;
    const tooMany: Answer = {
      status: 429,
      headers: {
        'retry-after': '2',
        'x-ratelimit-limit': '100',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': '1060',
      },
    };
    const wire = new ScriptedWire(time, [tooMany, ok]);
    await scriptedClient(time, wire).me();
    expect(wire.sent.map((s) => s.at)).toEqual([1_000_000, 1_002_000]);
    expect(time.sleeps).toEqual([2000]);
  });

  it('rate limit: an absurd header wait is capped (maxHeaderWaitMs), reported each time, logged at warn once', async () => {
    const time = new InstantTime();
    time.now = 1_000_000;
    const tooMany: Answer = { status: 429, headers: { 'retry-after': '31536000' } }; // a year
    const wire = new ScriptedWire(time, [tooMany, tooMany, tooMany, ok]);
    const capped: string[] = [];
    const lines: { msg: string }[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const client = scriptedClient(time, wire, {
      observer: { headerWaitCapped: (e) => capped.push(e.header) },
      maxHeaderWaitMs: 60_000,
      logger,
    });
    await client.me();
    expect(time.sleeps).toEqual([60_000, 60_000, 60_000]);
    expect(capped).toEqual(['retry-after', 'retry-after', 'retry-after']);
    const warnings = lines.filter((l) => /longer than the cap/.test(l.msg));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      level: 40,
      module: 'intercom',
      header: 'retry-after',
      capMs: 60_000,
    });
  });

  it('retry: transient failures are retried a bounded number of times, after the policy’s backoff', async () => {
    const time = new InstantTime();
    const wire = new ScriptedWire(time, [unavailable]);
    const client = scriptedClient(time, wire, { retries: 3, minBackoffMs: 100, maxBackoffMs: 150 });
    const error = await rejectionOf(client.get('/contacts/6523'));
    expect(wire.sent).toHaveLength(4);
    // backoffDelay with random 0.5: half of 100, 200 → capped at 150, 400 → capped at 150
    expect(time.sleeps).toEqual([50, 75, 75]);
    expect(error).toMatchObject({ code: 'http_5xx', kind: 'transient', retriable: true, status: 503 });
  });

  it('retry: a create is never resent after a transient failure, but is after a 429', async () => {
    const time = new InstantTime();
    const failing = new ScriptedWire(time, [unavailable, ok]);
    const create = (wire: ScriptedWire) =>
      scriptedClient(time, wire).write(
        'POST',
        '/contacts',
        { email: 'a@example.com' },
        { idempotent: false },
      );
    await expect(create(failing)).rejects.toMatchObject({ code: 'http_5xx' });
    expect(failing.sent).toHaveLength(1);
    const limited = new ScriptedWire(time, [{ status: 429 }, { status: 200, body: { id: 'c1' } }]);
    await expect(create(limited)).resolves.toEqual({ id: 'c1' });
    expect(limited.sent).toHaveLength(2);
  });

  it('retry: a body that is not JSON is retried like a broken connection', async () => {
    const time = new InstantTime();
    const wire = new ScriptedWire(time, [{ status: 200, body: '{"type": "adm' }, ok]);
    const observer = recording();
    await expect(scriptedClient(time, wire, { observer }).me()).resolves.toMatchObject({ id: '1' });
    expect(observer.retries.map((r) => r.reason)).toEqual(['EMALFORMED']);
  });

  it('auth: a 401 asks the token provider once, and is sent again with the new token', async () => {
    const time = new InstantTime();
    const tokens = new RenewingTokens(['tok_old_1111', 'tok_new_2222']);
    const wire = new ScriptedWire(time, (sent) => (sent.token === 'tok_new_2222' ? ok : { status: 401 }));
    await expect(scriptedClient(time, wire, { auth: tokens }).me()).resolves.toMatchObject({ id: '1' });
    expect(wire.sent.map((s) => s.token)).toEqual(['tok_old_1111', 'tok_new_2222']);
    expect(tokens.failed).toEqual(['tok_old_1111']);
  });

  it('auth: a second 401 is final, a configuration error naming the token settings', async () => {
    const time = new InstantTime();
    const tokens = new RenewingTokens(['tok_old_1111', 'tok_new_2222', 'tok_newer_3333']);
    const wire = new ScriptedWire(time, [{ status: 401 }]);
    const error = await rejectionOf(scriptedClient(time, wire, { auth: tokens }).me());
    expect(error).toMatchObject({ code: 'unauthorized', kind: 'config', status: 401 });
    expect(error.message).toContain('INTERCOM_TOKEN_FILE');
    expect(wire.sent).toHaveLength(2);
    expect(tokens.failed).toEqual(['tok_old_1111']);
  });

  it('auth: a refresh the token endpoint refuses ends the request with that refusal', async () => {
    const time = new InstantTime();
    const refusal = new IntercomError('The OAuth token endpoint answered 400', {
      code: 'oauth_rejected',
      kind: 'config',
    });
    const wire = new ScriptedWire(time, [{ status: 401 }]);
    const client = scriptedClient(time, wire, { auth: new RenewingTokens(['tok_old_1111'], refusal) });
    await expect(client.me()).rejects.toBe(refusal);
    expect(wire.sent).toHaveLength(1);
  });

  it('failure: the error of an exhausted request names what it should, and never the token', async () => {
    const time = new InstantTime();
    const wire = new ScriptedWire(time, [unavailable]);
    const client = scriptedClient(time, wire, {
      retries: 2,
      auth: new RenewingTokens([TOKEN]),
    });
    const error = (await rejectionOf(client.get('/conversations/12345'))) as IntercomError;
    expect(error).toBeInstanceOf(IntercomError);
    expect(error).toMatchObject({
      route: '/conversations/{id}',
      status: 503,
      requestId: 'req-503',
      intercomCode: 'service_unavailable',
    });
    expect(error.message).toBe(
      'Intercom GET /conversations/{id} answered 503 service_unavailable: overloaded while serving [redacted] after 3 attempts (request_id req-503).',
    );
    const exposed = [
      error.message,
      String(error),
      inspect(error, { depth: Infinity }),
      JSON.stringify(error),
    ];
    for (const text of exposed) expect(text).not.toContain(TOKEN);
  });

  it('failure: a 404 is null where the request allows it, not_found elsewhere; never retried', async () => {
    const time = new InstantTime();
    const wire = new ScriptedWire(time, [{ status: 404 }]);
    const client = scriptedClient(time, wire);
    await expect(client.get('/contacts/1', undefined, { allow404: true })).resolves.toBeNull();
    await expect(client.get('/contacts/1')).rejects.toMatchObject({ code: 'not_found', status: 404 });
    expect(wire.sent).toHaveLength(2);
  });
});

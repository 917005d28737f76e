import { RateLimiter } from '../../../src/intercom/rate-limiter';
import { VirtualTime } from './virtual-time';

/** Intercom's limiter as the docs describe it: fixed windows, a count per window, reset in Unix seconds. */
class ModelServer {
  private windowIndex = -1;
  private used = 0;
  accepted = 0;
  rejected = 0;

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly offsetMs: number,
    private readonly round: (seconds: number) => number,
  ) {}

  handle(now: number): { status: number; headers: Record<string, string> } {
    const index = Math.floor((now - this.offsetMs) / this.windowMs);
    if (index !== this.windowIndex) {
      this.windowIndex = index;
      this.used = 0;
    }
    const resetSeconds = this.round((this.offsetMs + (index + 1) * this.windowMs) / 1000);
    const ok = this.used < this.limit;
    if (ok) this.used += 1;
    if (ok) this.accepted += 1;
    else this.rejected += 1;
    const headers = {
      'x-ratelimit-limit': String(this.limit),
      'x-ratelimit-remaining': String(this.limit - this.used),
      'x-ratelimit-reset': String(resetSeconds),
    };
    return { status: ok ? 200 : 429, headers };
  }
}

function limiterOn(
  time: VirtualTime,
  extra: Partial<ConstructorParameters<typeof RateLimiter>[0]> = {},
): RateLimiter {
  return new RateLimiter({ now: time.clock, sleep: time.sleep, random: () => 0.5, jitterMs: 50, ...extra });
}

/** `workers` loops sending `total` requests through the limiter to the model server, `latencyMs` each way. */
async function drive(
  time: VirtualTime,
  limiter: RateLimiter,
  server: ModelServer,
  total: number,
  workers = 4,
  latencyMs = 5,
): Promise<void> {
  let sent = 0;
  const worker = async (): Promise<void> => {
    while (server.accepted < total) {
      if (sent - server.rejected >= total) return;
      sent += 1;
      const ticket = await limiter.acquire();
      await time.sleep(latencyMs);
      const answer = server.handle(time.now);
      await time.sleep(latencyMs);
      limiter.observe(ticket, answer);
    }
  };
  await time.run(Promise.all(Array.from({ length: workers }, worker)));
}

describe('RateLimiter against a model of the server', () => {
  it.each([
    ['windows on whole seconds', 0, Math.round],
    ['windows off the second, reset rounded up', 300, Math.ceil],
  ])('%s: no 429 and most of the allowed rate used', async (_name, offset, round) => {
    const time = new VirtualTime();
    time.now = 1_000_000;
    const server = new ModelServer(50, 2000, offset, round);
    await drive(time, limiterOn(time), server, 1000);
    const windowsUsed = (time.now - 1_000_000) / 2000;
    expect(server.accepted).toBeGreaterThanOrEqual(1000);
    expect(server.rejected).toBe(0);
    // 1000 requests at 50 per window need 20 windows; allow what reset rounding can waste
    expect(windowsUsed).toBeLessThanOrEqual(1000 / 50 / 0.6);
  });

  it('windows off the second with the reset rounded down: learns the skew after very few 429s', async () => {
    const time = new VirtualTime();
    time.now = 1_000_000;
    const server = new ModelServer(50, 2000, 400, Math.floor);
    await drive(time, limiterOn(time), server, 1000);
    expect(server.accepted).toBeGreaterThanOrEqual(1000);
    expect(server.rejected).toBeLessThanOrEqual(4);
  });

  it('never sends more than the remaining budget, even with many workers', async () => {
    const time = new VirtualTime();
    const server = new ModelServer(20, 10_000, 0, Math.round);
    await drive(time, limiterOn(time), server, 200, 16);
    expect(server.rejected).toBe(0);
    expect(server.accepted).toBeGreaterThanOrEqual(200);
  });
});

describe('RateLimiter pacing', () => {
  it('spreads what is left over the rest of the window', async () => {
    const time = new VirtualTime();
    const limiter = limiterOn(time);
    const first = await time.run(limiter.acquire());
    limiter.observe(first, {
      status: 200,
      headers: { 'x-ratelimit-limit': '11', 'x-ratelimit-remaining': '10', 'x-ratelimit-reset': '1' },
    });
    const sentAt: number[] = [];
    for (let i = 0; i < 10; i += 1) {
      await time.run(limiter.acquire());
      sentAt.push(time.now);
    }
    const gaps = sentAt.slice(1).map((t, i) => t - sentAt[i]);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(80);
    expect(sentAt[9]).toBeLessThan(1000);
  });

  it('waits for the reset when the budget is spent, and says so', async () => {
    const time = new VirtualTime();
    const throttled: { waitMs: number; reason: string }[] = [];
    const limiter = limiterOn(time, { observer: { throttled: (e) => throttled.push(e) } });
    const ticket = await time.run(limiter.acquire());
    limiter.observe(ticket, {
      status: 200,
      headers: { 'x-ratelimit-limit': '1', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '2' },
    });
    await time.run(limiter.acquire());
    expect(time.now).toBeGreaterThanOrEqual(2000);
    expect(throttled).toEqual([{ waitMs: 2025, reason: 'budget' }]);
  });

  it('holds everyone after a 429 until Retry-After, which wins over the reset header', async () => {
    const time = new VirtualTime();
    const throttled: string[] = [];
    const limiter = limiterOn(time, { observer: { throttled: (e) => throttled.push(e.reason) } });
    const ticket = await time.run(limiter.acquire());
    limiter.observe(ticket, {
      status: 429,
      headers: {
        'x-ratelimit-limit': '5',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': '60',
        'retry-after': '3',
      },
    });
    await time.run(Promise.all([limiter.acquire(), limiter.acquire()]));
    expect(time.now).toBeGreaterThanOrEqual(3000);
    expect(time.now).toBeLessThan(60_000);
    expect(throttled[0]).toBe('429');
  });

  it('after a 429 without headers, waits at least a second', async () => {
    const time = new VirtualTime();
    const limiter = limiterOn(time);
    const ticket = await time.run(limiter.acquire());
    limiter.observe(ticket, { status: 429, headers: {} });
    await time.run(limiter.acquire());
    expect(time.now).toBeGreaterThanOrEqual(1000);
  });

  it('keeps the self-imposed cap', async () => {
    const time = new VirtualTime();
    const limiter = limiterOn(time, { maxRequestsPerMinute: 600 });
    for (let i = 0; i < 11; i += 1) await time.run(limiter.acquire());
    expect(time.now).toBeGreaterThanOrEqual(1000);
  });

  it('ignores reports about a window that is already over', async () => {
    const time = new VirtualTime();
    time.now = 5000;
    const limiter = limiterOn(time);
    const ticket = await time.run(limiter.acquire());
    limiter.observe(ticket, {
      status: 200,
      headers: { 'x-ratelimit-limit': '1', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '4' },
    });
    await time.run(limiter.acquire());
    expect(time.now).toBe(5000);
  });
});

describe('RateLimiter: waits taken from headers are capped', () => {
  type Capped = { header: string; waitMs: number; capMs: number };

  async function waitAfter(
    response: { status: number; headers: Record<string, string> },
    extra: Partial<ConstructorParameters<typeof RateLimiter>[0]> = {},
  ): Promise<{ waitedMs: number; capped: Capped[] }> {
    const time = new VirtualTime();
    time.now = 1_000_000;
    const capped: Capped[] = [];
    const limiter = limiterOn(time, { observer: { headerWaitCapped: (e) => capped.push(e) }, ...extra });
    const ticket = await time.run(limiter.acquire());
    limiter.observe(ticket, response);
    await time.run(limiter.acquire());
    return { waitedMs: time.now - 1_000_000, capped };
  }

  const jitterMs = 25; // random 0.5 × jitterMs 50

  it('an absurd Retry-After after a 429 is waited for the cap (ten minutes by default), and reported', async () => {
    const { waitedMs, capped } = await waitAfter({ status: 429, headers: { 'retry-after': '99999999999' } });
    expect(waitedMs).toBe(600_000 + jitterMs);
    expect(capped).toEqual([{ header: 'retry-after', waitMs: 99_999_999_999_000, capMs: 600_000 }]);
  });

  it('a Retry-After date years ahead is capped too, and so is one past what a timer holds', async () => {
    const date = new Date(Date.UTC(2999, 0, 1)).toUTCString();
    const { waitedMs } = await waitAfter({ status: 429, headers: { 'retry-after': date } });
    expect(waitedMs).toBe(600_000 + jitterMs);
    const huge = await waitAfter({ status: 429, headers: { 'retry-after': '1e308' } });
    expect(huge.waitedMs).toBe(600_000 + jitterMs);
  });

  it('a reset years ahead after a 429 is waited for the cap', async () => {
    const headers = {
      'x-ratelimit-limit': '5',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': '32503680000',
    };
    const { waitedMs, capped } = await waitAfter({ status: 429, headers });
    expect(waitedMs).toBe(600_000 + jitterMs);
    expect(capped.map((c) => c.header)).toEqual(['x-ratelimit-reset']);
  });

  it('a spent budget with a reset years ahead holds requests back for the cap only', async () => {
    const headers = {
      'x-ratelimit-limit': '5',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': '32503680000',
    };
    const { waitedMs } = await waitAfter({ status: 200, headers });
    expect(waitedMs).toBe(600_000 + jitterMs);
  });

  it('the cap is a setting', async () => {
    const { waitedMs } = await waitAfter(
      { status: 429, headers: { 'retry-after': '3600' } },
      { maxHeaderWaitMs: 30_000 },
    );
    expect(waitedMs).toBe(30_000 + jitterMs);
  });

  it('a wait within the cap is not touched, and an unreadable Retry-After falls back to a second', async () => {
    const within = await waitAfter({ status: 429, headers: { 'retry-after': '300' } });
    expect(within).toEqual({ waitedMs: 300_000 + jitterMs, capped: [] });
    const unreadable = await waitAfter({ status: 429, headers: { 'retry-after': 'whenever' } });
    expect(unreadable).toEqual({ waitedMs: 1000 + jitterMs, capped: [] });
  });
});

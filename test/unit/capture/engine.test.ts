/**
 * The engine's tasks and scheduling (README, "How it captures": Concurrency, Reconciliation, Exactly
 * once; "Running it": what ends `run`), on an in-memory Intercom and committer.
 */
import { STREAM_RETRY, type EngineObserver, type EngineSettings } from '../../../src/capture/engine';
import { CdcError } from '../../../src/errors';
import type { StreamName } from '../../../src/streams/names';
import { CLOCK_MS, FakeIntercom, aTicket, engineOf, eventsOf } from './fakes';

const NOW_S = CLOCK_MS / 1000;

function engineOn(
  client: FakeIntercom,
  streams: StreamName[],
  settings: Partial<EngineSettings> = {},
  observer: EngineObserver = {},
) {
  let now = CLOCK_MS;
  const made = engineOf(client, streams, { settings, deps: { clock: () => now, observer } });
  return { ...made, advance: (ms: number) => (now += ms) };
}

/** Resolves once `check` holds, polling every few ms (at most 5 s). */
async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('CaptureEngine', () => {
  it('refuses a child stream enabled without its parent, naming the setting', () => {
    expect(() => engineOn(new FakeIntercom(), ['conversation_parts'])).toThrow(
      /enable conversations too \(STREAMS\)/,
    );
  });

  it('polls a stream: a first sync, then windows; reconciles when due; the clock it is given dates it all', async () => {
    const client = new FakeIntercom();
    client.put('/tickets', aTicket('1', 100, NOW_S - 10));
    const { engine, store, advance } = engineOn(client, ['tickets']);
    expect((await engine.poll('tickets')).kind).toBe('snapshot');
    expect(store.streamProgress('tickets')).toMatchObject({ snapshotDone: true, lastReconcile: null });
    // Reconciliation is due right after a first sync (lastReconcile null): a poll runs it after its window.
    client.served.length = 0;
    const second = await engine.poll('tickets');
    expect(second.kind).toBe('incremental');
    expect(client.served.some((s) => s.priority === 'background')).toBe(true);
    expect(store.streamProgress('tickets').lastReconcile).toBe(CLOCK_MS);
    client.served.length = 0;
    advance(60_000);
    await engine.poll('tickets');
    expect(client.served.some((s) => s.priority === 'background')).toBe(false); // not due again yet
  });

  it('runs every stream until stopped, one transaction at a time through the one committer', async () => {
    const client = new FakeIntercom();
    for (let i = 0; i < 30; i++) client.put('/tickets', aTicket(`t${i}`, 100 + i, NOW_S - i));
    for (let i = 0; i < 10; i++) client.put('/tags', { type: 'tag', id: `g${i}`, name: `tag ${i}` });
    const { engine, committer } = engineOn(client, ['tickets', 'tags'], { maxBatch: 4 });
    const stop = new AbortController();
    const running = engine.run(stop.signal);
    await until(
      () => eventsOf(committer, 'tickets').length >= 30 && eventsOf(committer, 'tags').length >= 10,
    );
    client.put('/tags', { type: 'tag', id: 'late', name: 'late' });
    await until(() => eventsOf(committer, 'tags').some((e) => e.id === 'late'));
    stop.abort();
    await running;
    expect(committer.maxOverlapping).toBe(1);
    expect(committer.transactions.length).toBeGreaterThan(5);
  });

  it('retries a poll that failed after the client’s retries at the next interval, and ends on a failed transaction', async () => {
    const client = new FakeIntercom();
    client.put('/tags', { type: 'tag', id: '1', name: 'a' });
    client.failNext = new CdcError('Intercom GET /tags answered 503 after 7 attempts', {
      code: 'http_5xx',
      kind: 'transient',
    });
    const { engine, committer } = engineOn(client, ['tags']);
    const stop = new AbortController();
    const running = engine.run(stop.signal);
    await until(() => eventsOf(committer, 'tags').length === 1);
    committer.failNext = new CdcError('the broker is away', { code: 'kafka_unavailable', kind: 'transient' });
    client.put('/tags', { type: 'tag', id: '2', name: 'b' });
    await expect(running).rejects.toThrow('the broker is away');
    expect(stop.signal.aborted).toBe(false); // it ended on its own
  });

  it('stops a stream that fails on its own, goes on with the others, and runs it again once it reads', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
    try {
      const client = new FakeIntercom();
      client.put('/tags', { type: 'tag', id: '1', name: 'a' });
      client.put('/teams', { type: 'team', id: '1', name: 'support' });
      client.failingLists.set(
        '/tags',
        new CdcError('Intercom GET /tags answered 200 without its list (data)', {
          code: 'pagination_invalid',
          kind: 'system',
        }),
      );
      const told: string[] = [];
      const { engine, committer } = engineOn(
        client,
        ['tags', 'teams'],
        { pollIntervalMs: () => 1_000 },
        {
          streamFailed: (stream) => told.push(`failed ${stream}`),
          streamRecovered: (stream) => told.push(`recovered ${stream}`),
        },
      );
      const stop = new AbortController();
      const running = engine.run(stop.signal);
      const advanceUntil = async (check: () => boolean) => {
        for (let i = 0; i < 100 && !check(); i++) await jest.advanceTimersByTimeAsync(200);
        expect(check()).toBe(true);
      };
      await advanceUntil(() => told.includes('failed tags'));
      client.put('/teams', { type: 'team', id: '2', name: 'sales' });
      await advanceUntil(() => eventsOf(committer, 'teams').some((e) => e.id === '2')); // the others go on
      const listsOfTags = () => client.served.filter((s) => s.path === '/tags').length;
      const tries = listsOfTags();
      await jest.advanceTimersByTimeAsync(STREAM_RETRY.minMs / 2);
      expect(listsOfTags()).toBe(tries); // not at every 5 ms poll: after a backoff
      client.failingLists.delete('/tags');
      await jest.advanceTimersByTimeAsync(STREAM_RETRY.maxMs);
      await advanceUntil(() => told.includes('recovered tags'));
      expect(eventsOf(committer, 'tags').map((e) => e.id)).toEqual(['1']);
      stop.abort();
      await jest.advanceTimersByTimeAsync(100);
      await running;
    } finally {
      jest.useRealTimers();
    }
  });
});

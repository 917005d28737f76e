import pino from 'pino';
import type { Message } from '../../../src/capture/contracts';
import { parseSignal, Signals, type SignalEngine } from '../../../src/capture/signals';
import type { Once } from '../../../src/capture/stream';
import { StateStore } from '../../../src/kafka/state-store';
import type { StreamName } from '../../../src/streams/names';

const ENABLED = new Set<StreamName>(['contacts', 'conversations', 'conversation_parts', 'admins']);

const signal = (data: unknown, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ id: 's1', type: 'execute-snapshot', data, ...extra });

describe('parseSignal', () => {
  it('reads a re-snapshot of streams, of ids, and of an updated_at window', () => {
    expect(parseSignal(signal({ 'data-collections': ['contacts', 'admins'] }), ENABLED)).toEqual({
      ok: true,
      id: 's1',
      spec: { type: 'execute-snapshot', streams: ['contacts', 'admins'] },
    });
    expect(
      parseSignal(signal({ 'data-collections': ['contacts'], ids: ['a', 'b', 'a', 7] }), ENABLED),
    ).toEqual({
      ok: true,
      id: 's1',
      spec: { type: 'execute-snapshot', streams: ['contacts'], ids: ['a', 'b', '7'] },
    });
    expect(
      parseSignal(
        signal({
          'data-collections': ['contacts'],
          type: 'INCREMENTAL',
          'updated-at': { since: '2024-05-01', until: 1714608000000 },
        }),
        ENABLED,
      ),
    ).toEqual({
      ok: true,
      id: 's1',
      spec: {
        type: 'execute-snapshot',
        streams: ['contacts'],
        sinceMs: Date.parse('2024-05-01T00:00:00Z'),
        untilMs: 1714608000000,
      },
    });
  });

  it.each<[string, string | null, RegExp]>([
    ['an empty record', null, /empty record/],
    ['text that is not JSON', 'execute-snapshot contacts', /not JSON/],
    ['an array', '[]', /not a JSON object/],
    ['no id', JSON.stringify({ type: 'execute-snapshot', data: {} }), /"id" must be a non-empty string/],
    ['a long id', signal({}, { id: 'x'.repeat(201) }), /longer than 200/],
    ['another type', signal({}, { type: 'stop-snapshot' }), /unknown signal type "stop-snapshot"/],
    ['no data', JSON.stringify({ id: 's1', type: 'execute-snapshot' }), /"data" must be an object/],
    [
      'an unknown field',
      signal({ 'data-collections': ['contacts'], filter: 'x' }),
      /unknown field\(s\) filter/,
    ],
    [
      'a blocking snapshot',
      signal({ 'data-collections': ['contacts'], type: 'blocking' }),
      /only "incremental"/,
    ],
    [
      'additional conditions',
      signal({ 'data-collections': ['contacts'], 'additional-conditions': [{ filter: 'x' }] }),
      /not supported/,
    ],
    ['no streams', signal({ 'data-collections': [] }), /non-empty array of stream names/],
    ['an unknown stream', signal({ 'data-collections': ['users'] }), /"users" is not a stream/],
    ['a stream not enabled', signal({ 'data-collections': ['tickets'] }), /tickets is not enabled/],
    ['a child stream', signal({ 'data-collections': ['conversation_parts'] }), /with their conversations/],
    ['ids of two streams', signal({ 'data-collections': ['contacts', 'admins'], ids: ['1'] }), /exactly one/],
    [
      'ids of a stream with no GET',
      signal({ 'data-collections': ['admins'], ids: ['1'] }),
      /cannot be read by id/,
    ],
    ['empty ids', signal({ 'data-collections': ['contacts'], ids: [] }), /non-empty array/],
    [
      'ids that are not strings',
      signal({ 'data-collections': ['contacts'], ids: [{}] }),
      /non-empty strings/,
    ],
    [
      'too many ids',
      signal({ 'data-collections': ['contacts'], ids: Array.from({ length: 10_001 }, (_, i) => String(i)) }),
      /more than 10000/,
    ],
    [
      'ids and a window',
      signal({ 'data-collections': ['contacts'], ids: ['1'], 'updated-at': { since: '2024-01-01' } }),
      /not both/,
    ],
    [
      'a date that is not one',
      signal({ 'data-collections': ['contacts'], 'updated-at': { since: 'May' } }),
      /since" is not a date/,
    ],
    [
      'an empty window',
      signal({ 'data-collections': ['contacts'], 'updated-at': {} }),
      /needs "since", "until"/,
    ],
    [
      'a window that ends before it starts',
      signal({
        'data-collections': ['contacts'],
        'updated-at': { since: '2024-05-02', until: '2024-05-01' },
      }),
      /after "updated-at.until"/,
    ],
    [
      'a window on a stream without updated_at',
      signal({ 'data-collections': ['admins'], 'updated-at': { since: '2024-05-01' } }),
      /admins have no updated_at/,
    ],
  ])('refuses %s, saying why', (_what, value, reason) => {
    const parsed = parseSignal(value, ENABLED);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok === false && parsed.reason).toMatch(reason);
  });

  it('takes the id it is given for a record without one (the offset, as Debezium does)', () => {
    const value = JSON.stringify({ type: 'execute-snapshot', data: { 'data-collections': ['contacts'] } });
    expect(parseSignal(value, ENABLED, 'offset-7')).toMatchObject({ ok: true, id: 'offset-7' });
    expect(parseSignal(value, ENABLED)).toMatchObject({ ok: false, reason: expect.stringMatching(/"id"/) });
  });

  it('keeps the id and type of a refused signal for its notification', () => {
    expect(parseSignal(signal({}, { type: 'log' }), ENABLED)).toMatchObject({
      ok: false,
      id: 's1',
      type: 'log',
    });
  });
});

/**
 * An engine that "reads" `objects` of a stream: each not yet republished is published (noted in the part
 * of a transaction that commits at once), until `failAfter` objects, where it fails (a crash).
 */
class FakeEngine implements SignalEngine {
  readonly committed: Message[][] = [];
  readonly notes: { type: string; data: Record<string, unknown> }[] = [];
  readonly published: string[] = [];
  failAfter = Infinity;
  private queued: { type: string; data: Record<string, unknown> }[] = [];

  constructor(
    private readonly store: StateStore,
    private readonly objects: string[],
  ) {}

  async resnapshot(
    stream: StreamName,
    o: { ids?: readonly string[]; once: Once },
  ): Promise<{
    stream: StreamName;
    kind: 'backfill';
    read: number;
    published: number;
    deleted: number;
    deadLetters: number;
  }> {
    let read = 0;
    let published = 0;
    for (const id of o.ids ?? this.objects) {
      read++;
      if (o.once.has(id)) continue;
      if (this.published.length >= this.failAfter) throw new Error('killed');
      o.once.add(id);
      this.published.push(id);
      published++;
      const record = o.once.notes.record([id]);
      this.apply([record]);
      o.once.notes.committed?.([id], record);
    }
    return { stream, kind: 'backfill', read, published, deleted: 0, deadLetters: 0 };
  }

  async commitState(messages: Message[]): Promise<void> {
    this.apply(messages);
    this.notes.push(...this.queued);
    this.queued = [];
  }

  notify(type: string, data: Record<string, unknown>): void {
    this.queued.push({ type, data });
  }

  private apply(messages: Message[]): void {
    this.committed.push(messages);
    for (const m of messages)
      this.store.apply(Buffer.from(String(m.key)), m.value === null ? null : Buffer.from(String(m.value)));
  }
}

const quiet = pino({ level: 'silent' });

function signals(store: StateStore, engine: FakeEngine): Signals {
  return new Signals({
    engine,
    connector: 'cdc',
    store,
    enabled: ENABLED,
    clock: () => 1000,
    logger: quiet,
    progressIntervalMs: 60_000,
    retryMs: 1,
  });
}

/** Runs the signals until the queue is empty (the fake engine answers at once). */
async function runUntilIdle(s: Signals): Promise<void> {
  const stop = new AbortController();
  const running = s.run(stop.signal);
  await new Promise((r) => setTimeout(r, 20));
  stop.abort();
  await running;
}

describe('Signals', () => {
  const ids = ['a', 'b', 'c', 'd', 'e'];
  const record = JSON.stringify({
    id: 'sig',
    type: 'execute-snapshot',
    data: { 'data-collections': ['contacts'], ids },
  });

  it('accepts, runs and acknowledges a signal, and ignores its id once known', async () => {
    const store = new StateStore('cdc');
    const engine = new FakeEngine(store, []);
    const s = signals(store, engine);
    expect(await s.receive(record)).toBe('accepted');
    expect(store.signal('sig')?.status).toBe('running');
    await runUntilIdle(s);
    expect(engine.published).toEqual(ids);
    expect(store.signal('sig')).toMatchObject({ status: 'done', streamsDone: ['contacts'] });
    expect(store.signalPartNumbers('sig')).toEqual([]);
    expect(engine.notes.map((n) => n.type)).toEqual(['ACCEPTED', 'STARTED', 'IN_PROGRESS', 'DONE']);
    expect(engine.notes.at(-1)!.data).toMatchObject({ signal_id: 'sig', republished: 5 });
    expect(await s.receive(record)).toBe('known');
    expect(await s.receive(record, 'cdc')).toBe('known');
    expect(await s.receive(JSON.stringify({ id: 'x' }), 'another-connector')).toBe('other');
    expect(await s.receive('{')).toBe('refused');
    expect(engine.notes.at(-1)).toMatchObject({
      type: 'REFUSED',
      data: { signal_id: '', reason: expect.stringMatching(/JSON/) },
    });
  });

  it('resumes from the restored state after a crash, publishing each object once', async () => {
    const store = new StateStore('cdc');
    const engine = new FakeEngine(store, []);
    engine.failAfter = 3;
    const first = signals(store, engine);
    await first.receive(record);
    // The "crash": a failure that ends the run (not a CdcError), after three objects committed.
    await expect(first.run(new AbortController().signal)).rejects.toThrow('killed');
    expect(engine.published).toEqual(['a', 'b', 'c']);

    // A new life: the state as restored from what was committed.
    const restored = new StateStore('cdc');
    for (const m of engine.committed.flat())
      restored.apply(Buffer.from(String(m.key)), m.value === null ? null : Buffer.from(String(m.value)));
    expect(restored.signal('sig')?.status).toBe('running');
    expect(restored.republished('sig', 'contacts').sort()).toEqual(['a', 'b', 'c']);
    const again = new FakeEngine(restored, []);
    await runUntilIdle(signals(restored, again));
    expect(again.published).toEqual(['d', 'e']);
    expect(again.notes.find((n) => n.type === 'STARTED')!.data).toMatchObject({ resumed: 'true' });
    expect(again.notes.at(-1)!.data).toMatchObject({ republished: 5 });
    expect(restored.signal('sig')?.status).toBe('done');
    expect(restored.signalPartNumbers('sig')).toEqual([]);
  });
});

describe('signal records in the state topic', () => {
  it('restore what they wrote, under keys without "/" that earlier releases ignore', () => {
    const store = new StateStore('cdc');
    const spec = { type: 'execute-snapshot' as const, streams: ['contacts' as const], ids: ['1'] };
    const main = store.signalRecord('a/b:c#d', {
      status: 'running',
      signal: spec,
      receivedMs: 5,
      streamsDone: [],
    });
    const part = store.signalPartRecord('a/b:c#d', 3, { stream: 'contacts', ids: ['1', '2'] });
    expect(String(main.key)).toBe('cdc:signal:a%2Fb%3Ac%23d');
    expect(String(part.key)).toBe('cdc:signal:a%2Fb%3Ac%23d#3');
    for (const m of [main, part]) expect(String(m.key)).not.toContain('/');

    const restored = new StateStore('cdc');
    for (const m of [main, part]) restored.apply(Buffer.from(String(m.key)), Buffer.from(String(m.value)));
    expect(restored.signal('a/b:c#d')).toEqual({
      status: 'running',
      signal: spec,
      receivedMs: 5,
      streamsDone: [],
    });
    expect(restored.republished('a/b:c#d', 'contacts')).toEqual(['1', '2']);
    restored.apply(Buffer.from(String(part.key)), null);
    expect(restored.signalPartNumbers('a/b:c#d')).toEqual([]);
    // Another connector's signals are not this one's.
    const other = new StateStore('cd');
    other.apply(Buffer.from(String(main.key)), Buffer.from(String(main.value)));
    expect(other.signals()).toEqual([]);
    expect(other.size()).toBe(0);
  });
});

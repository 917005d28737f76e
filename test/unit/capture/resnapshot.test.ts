/**
 * A signalled snapshot's reads (CaptureEngine.resnapshot, README "Signals"), on an in-memory Intercom and
 * committer: every object read is published as `r` once, changed or not, within its `updated_at`
 * window, and noted in the transaction of its event; what a resumed signal already republished is
 * skipped.
 */
import type { PartNotes } from '../../../src/capture/batch';
import type { Once } from '../../../src/capture/stream';
import { CLOCK_MS, FakeIntercom, aTicket, engineOf, eventsOf, type MemoryCommitter } from './fakes';

const NOW_S = CLOCK_MS / 1000;

/** A `once` that notes each part's ids as a state record `note:<ids>`. */
function onceOf(already: string[] = []): Once & { seen: Set<string>; committed: string[][] } {
  const seen = new Set(already);
  const committed: string[][] = [];
  const notes: PartNotes = {
    record: (ids) => ({ key: 'note', value: ids.join(',') }),
    committed: (ids) => committed.push(ids),
  };
  return { seen, committed, has: (id) => seen.has(id), add: (id) => seen.add(id), notes };
}

/** For each transaction, the ticket events it holds and the ids its note names. */
function transactions(committer: MemoryCommitter): { events: number; noted: string[] }[] {
  return committer.transactions.map((t) => ({
    events: t.filter((b) => b.topic === 'cdc.tickets').reduce((n, b) => n + b.messages.length, 0),
    noted: t
      .filter((b) => b.topic === 'cdc._state')
      .flatMap((b) => b.messages)
      .filter((m) => m.key === 'note')
      .flatMap((m) => String(m.value).split(',')),
  }));
}

function workspace(): FakeIntercom {
  const client = new FakeIntercom();
  for (let i = 0; i < 12; i++) client.put('/tickets', aTicket(`t${i}`, NOW_S - 1000 + i, NOW_S - 100 + i));
  return client;
}

describe('CaptureEngine.resnapshot', () => {
  it('republishes every object of a stream as r once, each noted in the transaction of its event', async () => {
    const client = workspace();
    const { engine, committer } = engineOf(client, ['tickets'], { settings: { maxBatch: 5 } });
    await engine.poll('tickets');
    const before = committer.transactions.length;
    const once = onceOf();
    const summary = await engine.resnapshot('tickets', { once });
    const events = eventsOf(committer, 'tickets').slice(12);
    expect(events.map((e) => e.op)).toEqual(Array(12).fill('r'));
    expect(new Set(events.map((e) => e.id)).size).toBe(12);
    expect(summary.published).toBe(12);
    // Each transaction notes exactly the objects whose events it holds.
    const after = transactions(committer).slice(before);
    for (const t of after) expect(t.noted.length).toBe(t.events);
    expect(after.flatMap((t) => t.noted).sort()).toEqual([...once.seen].sort());
    expect(once.committed.flat().sort()).toEqual([...once.seen].sort());
  });

  it('skips what a resumed signal republished, and reads only its updated_at window', async () => {
    const client = workspace();
    const { engine, committer } = engineOf(client, ['tickets']);
    await engine.poll('tickets');
    await engine.resnapshot('tickets', {
      sinceMs: (NOW_S - 100 + 3) * 1000,
      untilMs: (NOW_S - 100 + 8) * 1000,
      once: onceOf(['t4', 't5']),
    });
    expect(
      eventsOf(committer, 'tickets')
        .slice(12)
        .map((e) => e.id)
        .sort(),
    ).toEqual(['t3', 't6', 't7', 't8']);
  });

  it('fetches listed ids, each once, and publishes them as r', async () => {
    const client = workspace();
    const { engine, committer } = engineOf(client, ['tickets']);
    await engine.poll('tickets');
    client.served.length = 0;
    const summary = await engine.resnapshot('tickets', { ids: ['t1', 't2', 't9'], once: onceOf(['t9']) });
    expect(eventsOf(committer, 'tickets').slice(12)).toEqual([
      { op: 'r', id: 't1' },
      { op: 'r', id: 't2' },
    ]);
    expect(client.served.map((s) => `${s.kind} ${s.path} ${s.priority}`)).toEqual([
      'get /tickets/t1 child',
      'get /tickets/t2 child',
    ]);
    expect(summary).toMatchObject({ read: 2, published: 2 });
  });
});

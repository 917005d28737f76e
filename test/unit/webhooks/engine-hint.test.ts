/**
 * CaptureEngine.hint (README, "Webhooks"): a hint is a read of the object through the capture, never
 * data; on the in-memory Intercom and committer of the capture's unit tests.
 */
import type { StreamName } from '../../../src/streams/names';
import { CLOCK_MS, FakeIntercom, aTicket, codecOf, engineOf, eventsOf } from '../capture/fakes';

const NOW_S = CLOCK_MS / 1000;

function engineOn(client: FakeIntercom, streams: StreamName[]) {
  const { engine, committer } = engineOf(client, streams);
  return { engine, committer };
}

const gets = (client: FakeIntercom) => client.served.filter((s) => s.kind === 'get').map((s) => s.path);

describe('a webhook hint', () => {
  it('is ignored until the stream has its first snapshot (the snapshot reads the object)', async () => {
    const client = new FakeIntercom();
    client.put('/tickets', aTicket('1', 100, NOW_S - 10));
    const { engine, committer } = engineOn(client, ['tickets']);
    expect(await engine.hint('tickets', ['1'])).toBe(0);
    expect(gets(client)).toEqual([]);
    expect(committer.transactions).toEqual([]);
  });

  it("reads the object once and publishes Intercom's answer, once, however often it is hinted", async () => {
    const client = new FakeIntercom();
    client.put('/tickets', aTicket('1', 100, NOW_S - 10));
    client.put('/tickets', aTicket('2', 100, NOW_S - 10));
    const { engine, committer } = engineOn(client, ['tickets']);
    await engine.poll('tickets');
    client.served.length = 0;
    client.put('/tickets', aTicket('1', 100, NOW_S - 5, { title: 'changed' }));
    expect(await engine.hint('tickets', ['1', '1'])).toBe(1);
    expect(gets(client)).toEqual(['/tickets/1']);
    // A duplicate or replayed hint: read again, nothing new to publish.
    expect(await engine.hint('tickets', ['1'])).toBe(0);
    // A hint of an unchanged object publishes nothing either.
    expect(await engine.hint('tickets', ['2'])).toBe(0);
    expect(eventsOf(committer, 'tickets').filter((e) => e.op !== 'r')).toEqual([{ op: 'u', id: '1' }]);
  });

  it('of a deleted object finds the 404: a d and its tombstone; of an unknown one, nothing', async () => {
    const client = new FakeIntercom();
    client.put('/tickets', aTicket('1', 100, NOW_S - 10));
    const { engine, committer } = engineOn(client, ['tickets']);
    await engine.poll('tickets');
    client.delete('/tickets', '1');
    expect(await engine.hint('tickets', ['1', 'never-existed'])).toBe(1);
    expect(eventsOf(committer, 'tickets').filter((e) => e.op !== 'r')).toEqual([
      { op: 'd', id: '1' },
      { op: 'tombstone', id: '1' },
    ]);
  });

  it('stopped entirely change nothing but freshness: the polls publish what they would have, each version once', async () => {
    // Two connectors on the same history; only the second gets a hint, for the first change, and then
    // none (the receiver is down) while two more changes happen.
    const history = (client: FakeIntercom, step: number) => {
      if (step === 0) {
        client.put('/tickets', aTicket('1', 100, NOW_S - 10));
        client.put('/tickets', aTicket('2', 100, NOW_S - 10));
      } else if (step === 1) {
        client.put('/tickets', aTicket('1', 100, NOW_S - 8, { title: 'first' }));
      } else {
        client.put('/tickets', aTicket('1', 100, NOW_S - 5, { title: 'second' }));
        client.put('/tickets', aTicket('2', 100, NOW_S - 5, { title: 'other' }));
      }
    };
    const polled = new FakeIntercom();
    const hinted = new FakeIntercom();
    const a = engineOn(polled, ['tickets']);
    const b = engineOn(hinted, ['tickets']);
    history(polled, 0);
    history(hinted, 0);
    await a.engine.poll('tickets');
    await b.engine.poll('tickets');
    history(polled, 1);
    history(hinted, 1);
    expect(await b.engine.hint('tickets', ['1'])).toBe(1);
    history(polled, 2);
    history(hinted, 2);
    await a.engine.poll('tickets');
    await b.engine.poll('tickets');
    const changes = (c: typeof a.committer) => eventsOf(c, 'tickets').filter((e) => e.op !== 'r');
    expect(changes(a.committer)).toEqual([
      { op: 'u', id: '1' },
      { op: 'u', id: '2' },
    ]);
    // The hint only published the first version earlier; the poll publishes the rest as without webhooks.
    expect(changes(b.committer)).toEqual([{ op: 'u', id: '1' }, ...changes(a.committer)]);
    // The same versions (`after`); only `before` of ticket 1 differs: the hinted version, not the first.
    const { value } = codecOf('tickets');
    const afters = (c: typeof a.committer) =>
      c
        .on('cdc.tickets')
        .map((m) => (value.fromBuffer((m.value as Buffer).subarray(5)) as { after: unknown }).after);
    expect(afters(b.committer).slice(-2)).toEqual(afters(a.committer).slice(-2));
  });

  it('is ignored for a stream not captured, or read with its parent', async () => {
    const client = new FakeIntercom();
    const { engine } = engineOn(client, ['conversations', 'conversation_parts']);
    expect(await engine.hint('tickets', ['1'])).toBe(0);
    expect(await engine.hint('conversation_parts', ['1'])).toBe(0);
    expect(gets(client)).toEqual([]);
  });
});

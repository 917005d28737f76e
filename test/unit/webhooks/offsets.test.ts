/**
 * The hints' consumed offsets ride with the capture's transactions (README, "Webhooks"): in the
 * transaction that holds the events a hint caused, alone when it caused none, never before its events;
 * on the in-memory Intercom and committer of the capture's unit tests.
 */
import { mergeOffsets } from '../../../src/capture/batch';
import type { ConsumedOffsets } from '../../../src/capture/contracts';
import { CdcError } from '../../../src/errors';
import { CLOCK_MS, FakeIntercom, aTicket, engineOf } from '../capture/fakes';

const NOW_S = CLOCK_MS / 1000;

const consumed = (offset: string, partition = 0): ConsumedOffsets => ({
  groupId: 'cdc-webhooks',
  offsets: [{ topic: 'cdc._webhooks', partition, offset }],
});

/** The topics of a committed transaction, sorted. */
const topicsOf = (transaction: { topic: string; messages: unknown[] }[]) =>
  transaction
    .filter((b) => b.messages.length > 0)
    .map((b) => b.topic)
    .sort();

async function polled() {
  const client = new FakeIntercom();
  client.put('/tickets', aTicket('1', 100, NOW_S - 10));
  client.put('/tickets', aTicket('2', 100, NOW_S - 10));
  const { engine, committer } = engineOf(client, ['tickets']);
  await engine.poll('tickets');
  return { client, engine, committer, before: committer.transactions.length };
}

describe("a hint's consumed offsets", () => {
  it('commit in the transaction that holds the events the hint caused', async () => {
    const { client, engine, committer, before } = await polled();
    client.put('/tickets', aTicket('1', 100, NOW_S - 5, { title: 'changed' }));
    expect(await engine.hint('tickets', ['1'], () => Promise.resolve(consumed('7')))).toBe(1);
    expect(committer.transactions.length).toBe(before + 1);
    expect(topicsOf(committer.transactions.at(-1)!)).toEqual(['cdc._state', 'cdc.tickets']);
    expect(committer.offsets.at(-1)).toEqual(consumed('7'));
    // No transaction of the poll carried any.
    expect(committer.offsets.slice(0, before).every((o) => o === undefined)).toBe(true);
  });

  it('commit in a transaction of their own when the hint caused no event', async () => {
    const { engine, committer, before } = await polled();
    expect(await engine.hint('tickets', ['2'], () => Promise.resolve(consumed('8')))).toBe(0);
    expect(committer.transactions.length).toBe(before + 1);
    expect(topicsOf(committer.transactions.at(-1)!)).toEqual([]);
    expect(committer.offsets.at(-1)).toEqual(consumed('8'));
    // As do offsets of records that named nothing to read.
    await engine.commitOffsets(consumed('9'));
    expect(committer.offsets.at(-1)).toEqual(consumed('9'));
  });

  it('are not asked for when the hint is ignored, nor when a read failed; what was decided commits first', async () => {
    const client = new FakeIntercom();
    client.put('/tickets', aTicket('1', 100, NOW_S - 10));
    client.put('/tickets', aTicket('2', 100, NOW_S - 10));
    const { engine, committer } = engineOf(client, ['tickets']);
    const asked = jest.fn(() => Promise.resolve(consumed('1')));
    // Before the first snapshot: ignored.
    expect(await engine.hint('tickets', ['1'], asked)).toBe(0);
    await engine.poll('tickets');
    const before = committer.transactions.length;
    client.put('/tickets', aTicket('1', 100, NOW_S - 5, { title: 'changed' }));
    client.failingGets.set(
      '/tickets/2',
      new CdcError('Intercom away', { code: 'http_503', kind: 'transient' }),
    );
    await expect(engine.hint('tickets', ['1', '2'], asked)).rejects.toThrow('Intercom away');
    expect(asked).not.toHaveBeenCalled();
    // Ticket 1's event is committed (without offsets) before the hint fails.
    expect(committer.transactions.length).toBe(before + 1);
    expect(topicsOf(committer.transactions.at(-1)!)).toEqual(['cdc._state', 'cdc.tickets']);
    expect(committer.offsets.at(-1)).toBeUndefined();
  });

  it('merge to the later position of each partition', () => {
    const merged = mergeOffsets(
      { groupId: 'g', offsets: [{ topic: 't', partition: 0, offset: '10' }] },
      {
        groupId: 'g',
        offsets: [
          { topic: 't', partition: 0, offset: '9' },
          { topic: 't', partition: 1, offset: '3' },
        ],
      },
    );
    expect(merged.offsets).toEqual([
      { topic: 't', partition: 0, offset: '10' },
      { topic: 't', partition: 1, offset: '3' },
    ]);
    expect(mergeOffsets(undefined, consumed('2', 1))).toEqual(consumed('2', 1));
  });
});

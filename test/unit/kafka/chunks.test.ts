import { chunks } from '../../../src/kafka/chunks';

const msg = (bytes: number) => ({ key: 'k', value: Buffer.alloc(bytes) });

describe('chunks', () => {
  it('splits a transaction into requests under the byte limit, keeping order and topics', () => {
    const batches = [
      { topic: 'a', messages: [msg(400), msg(400), msg(400)] },
      { topic: 'b', messages: [msg(100)] },
    ];
    const out = chunks(batches, 1000);
    expect(out.map((c) => c.map((b) => `${b.topic}:${b.messages.length}`))).toEqual([
      ['a:2'],
      ['a:1', 'b:1'],
    ]);
    expect(out.flat().flatMap((b) => b.messages)).toEqual(batches.flatMap((b) => b.messages));
  });

  it('sends a message larger than the limit alone', () => {
    const out = chunks([{ topic: 'a', messages: [msg(10), msg(5000), msg(10)] }], 1000);
    expect(out.map((c) => c[0].messages.map((m) => (m.value as Buffer).length))).toEqual([
      [10],
      [5000],
      [10],
    ]);
  });
});

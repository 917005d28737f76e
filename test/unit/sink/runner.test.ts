import { CdcError } from '../../../src/errors';
import { RejectedRecord, SinkRunner, type RunnerResult, type SinkHandler } from '../../../src/sink';
import { MemoryKafka, record, runnerOptions, topics } from './memory-kafka';

/** A handler of `{id, fail?}` records: `fail` makes apply throw, `writes` says how many writes it sent. */
function handler(
  calls: { id: string; attempt: number }[],
): SinkHandler<{ id: string; fail?: string; writes?: number }, 'applied'> {
  return {
    parse: (value) => ({ item: value as { id: string; fail?: string; writes?: number } }),
    key: (item) => item.id,
    async apply(item, attempt) {
      calls.push({ id: item.id, attempt });
      if (item.fail === 'reject') throw new RejectedRecord('bad_thing', `${item.id} cannot be applied`);
      if (item.fail === 'once' && attempt === 1)
        throw new CdcError('the API is away', { code: 'http_5xx', kind: 'transient' });
      return { result: 'applied', writes: item.writes ?? 1 };
    },
  };
}

async function run(kafka: MemoryKafka, tolerance: 'all' | 'none' = 'all') {
  const calls: { id: string; attempt: number }[] = [];
  const results: ('applied' | RunnerResult)[] = [];
  let ready = false;
  const runner = new SinkRunner(
    runnerOptions(kafka, handler(calls), {
      tolerance,
      onRecord: (r) => results.push(r),
      onReady: () => (ready = true),
    }),
  );
  const outcome = await runner.run(new AbortController().signal).then(
    () => undefined,
    (error: unknown) => error,
  );
  return { calls, results, ready, outcome };
}

describe('the sink runner', () => {
  it('applies each record in order and remembers, per key, the position applied', async () => {
    const kafka = new MemoryKafka([record(0, { id: 'a' }, 'a'), record(1, { id: 'b' }, 'b')]);
    const { calls, results, ready, outcome } = await run(kafka);
    expect(outcome).toBeUndefined();
    expect(ready).toBe(true);
    expect(calls.map((c) => c.id)).toEqual(['a', 'b']);
    expect(results).toEqual(['applied', 'applied']);
    expect(kafka.to(topics.state)).toEqual([
      { key: 'a', value: { topic: 'in', partition: 0, offset: '0' } },
      { key: 'b', value: { topic: 'in', partition: 0, offset: '1' } },
    ]);
  });

  it('skips a record the restored state shows applied, and applies a later one of the same key', async () => {
    const state: [string, string | null][] = [
      ['a', JSON.stringify({ topic: 'in', partition: 0, offset: '5' })],
      ['gone', JSON.stringify({ topic: 'in', partition: 0, offset: '9' })],
      ['gone', null],
    ];
    const kafka = new MemoryKafka(
      [record(5, { id: 'a' }), record(6, { id: 'a' }), record(7, { id: 'gone' })],
      state,
    );
    const { calls, results } = await run(kafka);
    expect(results).toEqual(['already_applied', 'applied', 'applied']);
    expect(calls.map((c) => c.id)).toEqual(['a', 'gone']);
  });

  it('writes no state for a record that needed no write, and skips tombstones', async () => {
    const kafka = new MemoryKafka([record(0, { id: 'a', writes: 0 }), record(1, null)]);
    const { results } = await run(kafka);
    expect(results).toEqual(['applied', 'skipped_tombstone']);
    expect(kafka.sent).toEqual([]);
  });

  it('retries a retriable failure of the same record, telling the group it is alive', async () => {
    const kafka = new MemoryKafka([record(0, { id: 'a', fail: 'once' })]);
    const { calls, results } = await run(kafka);
    expect(calls).toEqual([
      { id: 'a', attempt: 1 },
      { id: 'a', attempt: 2 },
    ]);
    expect(results).toEqual(['applied']);
    expect(kafka.heartbeats).toBeGreaterThanOrEqual(1);
  });

  it('sends a rejected record to the dead-letter topic, as decoded or as base64, and goes on', async () => {
    const kafka = new MemoryKafka([
      record(0, { id: 'a', fail: 'reject' }),
      record(1, 'not json', 'raw'),
      record(2, { id: 'b' }),
    ]);
    const { results, outcome } = await run(kafka, 'all');
    expect(outcome).toBeUndefined();
    expect(results).toEqual(['dead_letter', 'dead_letter', 'applied']);
    const [rejected, undecodable] = kafka.to(topics.dlq);
    expect(rejected).toEqual({
      key: 'k',
      value: expect.objectContaining({
        topic: 'in',
        partition: 0,
        offset: '0',
        code: 'bad_thing',
        record: { id: 'a', fail: 'reject' },
      }),
    });
    expect(undecodable).toEqual({
      key: 'raw',
      value: expect.objectContaining({
        offset: '1',
        code: 'undecodable',
        value_base64: Buffer.from('not json').toString('base64'),
      }),
    });
  });

  it('stops at a rejected record under tolerance none, sending nothing for it', async () => {
    const kafka = new MemoryKafka([record(0, { id: 'a', fail: 'reject' }), record(1, { id: 'b' })]);
    const { calls, outcome } = await run(kafka, 'none');
    expect(outcome).toBeInstanceOf(RejectedRecord);
    expect(calls.map((c) => c.id)).toEqual(['a']);
    expect(kafka.sent).toEqual([]);
  });
});

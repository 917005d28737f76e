import * as avro from 'avsc';
import { ChangeBatch } from '../../../src/capture/batch';
import type { Committer, StreamCodec, StreamProgress, TopicBatch } from '../../../src/capture/contracts';
import { StreamCursor } from '../../../src/capture/cursor';
import { StreamEvents, type EmitSettings } from '../../../src/capture/events';
import { CdcError } from '../../../src/errors';
import { StateStore } from '../../../src/kafka/state-store';
import { EventCodec } from '../../../src/kafka/wire';
import { EventWriter, loadStreamSchemas, read, type GoodReading } from '../../../src/normalize';
import { STREAM_DEFS } from '../../../src/streams';
import tag from '../../fixtures/intercom/tags.json';

const schemas = loadStreamSchemas('tags');
const codec: StreamCodec = {
  stream: 'tags',
  topic: 'cdc.tags',
  wire: new EventCodec(schemas, { key: 1, value: 2 }),
};
const valueType = avro.Type.forSchema(schemas.value as avro.Schema);
const keyType = avro.Type.forSchema(schemas.key as avro.Schema);
const emit: EmitSettings = {
  connector: 'cdc',
  workspaceId: 'ws1',
  apiVersion: '2.14',
  includeRaw: true,
  dlqTopic: 'cdc._dlq',
};

/** Records every transaction the batch commits. */
class Recorded implements Committer {
  readonly transactions: TopicBatch[][] = [];
  commit(batches: TopicBatch[]): Promise<void> {
    this.transactions.push(batches);
    return Promise.resolve();
  }
  /** The messages of `topic` across all transactions. */
  on(topic: string) {
    return this.transactions.flatMap((t) => t.filter((b) => b.topic === topic).flatMap((b) => b.messages));
  }
}

function setUp(options: { tolerance?: 'all' | 'none'; maxEventBytes?: number } = {}) {
  const store = new StateStore('cdc');
  const committer = new Recorded();
  const batch = new ChangeBatch(store, committer, 'cdc._dlq', 'cdc._state', 1000);
  const progressSeen: StreamProgress[] = [];
  const events = new StreamEvents({
    batch,
    codecs: new Map([['tags', codec]]),
    emit: { ...emit, maxEventBytes: options.maxEventBytes },
    tolerance: options.tolerance ?? 'all',
    clock: () => 1_700_000_000_000,
  });
  const cursor = new StreamCursor(
    'tags',
    batch,
    () => store.streamProgress('tags'),
    (p) => progressSeen.push(p),
  );
  return { store, committer, batch, events, cursor, progressSeen };
}

const record = new EventWriter(schemas.value).record;
const reading = (object: Record<string, unknown>) =>
  read(STREAM_DEFS.tags, record, String(object.id), object) as GoodReading;

const decode = (value: unknown) =>
  valueType.fromBuffer((value as Buffer).subarray(5)) as Record<string, unknown>;

describe('StreamEvents', () => {
  it('publishes a change as an encoded event beside the object state, in one transaction', async () => {
    const { events, batch, committer, store } = setUp();
    expect(events.publish('tags', 'c', reading(tag), null)).toBe('published');
    expect(batch.lookup('tags', '123456')).toEqual({ u: null, h: expect.any(String) });
    await batch.flush();
    expect(committer.transactions).toHaveLength(1);
    const [event] = committer.on('cdc.tags');
    expect(keyType.fromBuffer((event!.key as Buffer).subarray(5))).toEqual({ id: '123456' });
    expect((event!.value as Buffer).readInt32BE(1)).toBe(2); // the value schema's id, wire format
    const envelope = decode(event!.value);
    expect(envelope).toMatchObject({
      op: 'c',
      ts_ms: 1_700_000_000_000,
      after: { id: '123456', name: 'billing' },
    });
    expect(JSON.parse(envelope.raw as string)).toEqual(tag); // the original object, nothing lost
    expect(envelope.source).toMatchObject({ connector: 'cdc', workspace_id: 'ws1', stream: 'tags' });
    expect(committer.on('cdc._state')).toHaveLength(1);
    expect(store.object('tags', '123456')).toEqual({ u: null, h: reading(tag).hash });
  });

  it('removes an object with a d event, its tombstone and a state tombstone', async () => {
    const { events: writer, batch, committer, store } = setUp();
    writer.publish('tags', 'c', reading(tag), null);
    await batch.flush();
    writer.remove('tags', '123456', null);
    await batch.flush();
    const events = committer.on('cdc.tags');
    expect(events).toHaveLength(3);
    expect(decode(events[1]!.value)).toMatchObject({ op: 'd', after: null, raw: null });
    expect(events[2]!.value).toBeNull();
    expect(committer.on('cdc._state').at(-1)!.value).toBeNull();
    expect(store.object('tags', '123456')).toBeUndefined();
  });

  it('sends an object it cannot publish to the dead-letter topic and records its state (not re-sent until it changes)', async () => {
    const { events, batch, committer, store } = setUp({ maxEventBytes: 10 });
    expect(events.publish('tags', 'u', reading(tag), null)).toBe('dead_letter');
    await batch.flush();
    expect(committer.on('cdc.tags')).toHaveLength(0);
    const [letter] = committer.on('cdc._dlq');
    expect(JSON.parse(String(letter!.value))).toMatchObject({
      stream: 'tags',
      id: '123456',
      code: 'too_large',
    });
    expect(store.object('tags', '123456')).toBeDefined();
  });

  it('stops the stream on a bad object under errors.tolerance=none, adding nothing', async () => {
    const { events, batch, committer } = setUp({ tolerance: 'none' });
    expect(() => events.reject('tags', { id: '9', copy: { json: '{"id":9}' } }, new Error('bad'))).toThrow(
      CdcError,
    );
    expect(() => events.reject('tags', { id: '9', copy: { json: '{"id":9}' } }, new Error('bad'))).toThrow(
      /errors.tolerance=none/,
    );
    await batch.flush();
    expect(committer.transactions).toHaveLength(0);
  });
});

describe('StreamCursor', () => {
  it('keeps the progress it wrote ahead of the committed one, and tells each change', async () => {
    const { cursor, batch, store, progressSeen } = setUp();
    const committed = cursor.progress;
    cursor.scanDone(42, 1000);
    const next = cursor.progress;
    expect(next).toMatchObject({ ...committed, watermark: 42, snapshotDone: true, lastReconcile: 1000 });
    expect(store.streamProgress('tags').watermark).not.toBe(42); // not committed yet
    await batch.flush();
    expect(store.streamProgress('tags').watermark).toBe(42);
    const plan = cursor.snapshotPlan(40, 'second');
    cursor.sliceDone(plan, { a: 0, b: 10 });
    expect(cursor.progress.snapshot).toEqual({ watermark: 40, unit: 'second', done: [[0, 10]] });
    cursor.snapshotDone(40);
    expect('snapshot' in cursor.progress).toBe(false); // cleared, not kept as undefined
    expect(progressSeen).toHaveLength(3);
  });

  it('records done slices of the plan under way, merged, and never moves the watermark back', () => {
    const { cursor } = setUp();
    const plan = cursor.snapshotPlan(500, 'day');
    cursor.sliceDone(plan, { a: 10, b: 20 });
    cursor.sliceDone(plan, { a: 20, b: 30 }); // the plan given is stale: the cursor's own record wins
    expect(cursor.progress.snapshot!.done).toEqual([[10, 30]]);
    expect(cursor.snapshotPlan(999, 'day').watermark).toBe(500); // a plan under way is resumed, not replaced
    cursor.snapshotDone(500);
    cursor.windowDone(400);
    expect(cursor.progress.watermark).toBe(500);
    cursor.windowDone(null);
    expect(cursor.progress.watermark).toBe(500);
    cursor.windowDone(600);
    expect(cursor.progress.watermark).toBe(600);
  });
});

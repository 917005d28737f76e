import * as avro from 'avsc';
import { ChangeBatch, type Committer } from '../../../src/capture/batch';
import { read, type EmitSettings, type Reading, type StreamCodec } from '../../../src/capture/emit';
import { StreamEmitter, newCounts } from '../../../src/capture/emitter';
import { CdcError } from '../../../src/errors';
import type { TopicBatch } from '../../../src/kafka/types';
import { StateStore, type StreamProgress } from '../../../src/kafka/state-store';
import { EventCodec } from '../../../src/kafka/wire';
import { loadStreamSchemas } from '../../../src/normalize';
import { silentLogger } from '../../../src/observability/logger';
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
  const emitter = new StreamEmitter({
    stream: 'tags',
    batch,
    codecs: new Map([['tags', codec]]),
    emit: { ...emit, maxEventBytes: options.maxEventBytes },
    tolerance: options.tolerance ?? 'all',
    clock: () => 1_700_000_000_000,
    logger: silentLogger(),
    committedProgress: () => store.streamProgress('tags'),
    onProgress: (p) => progressSeen.push(p),
  });
  return { store, committer, batch, emitter, progressSeen };
}

const reading = (object: Record<string, unknown>) =>
  read(STREAM_DEFS.tags, String(object.id), object) as Reading & { ok: true };

const decode = (value: unknown) =>
  valueType.fromBuffer((value as Buffer).subarray(5)) as Record<string, unknown>;

describe('StreamEmitter', () => {
  it('publishes a change as an encoded event beside the object state, in one transaction', async () => {
    const { emitter, batch, committer, store } = setUp();
    const counts = newCounts();
    emitter.publish('tags', 'c', reading(tag), null, counts);
    expect(emitter.lookup('tags', '123456')).toEqual({ u: null, h: expect.any(String) });
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
    expect(counts).toEqual({ read: 0, published: 1, deleted: 0, deadLetters: 0 });
  });

  it('removes a known object with a d event, its tombstone and a state tombstone; an unknown one with nothing', async () => {
    const { emitter, batch, committer, store } = setUp();
    emitter.publish('tags', 'c', reading(tag), null, newCounts());
    await batch.flush();
    const counts = newCounts();
    emitter.remove('tags', '123456', counts);
    emitter.remove('tags', 'never-seen', counts);
    await batch.flush();
    const events = committer.on('cdc.tags');
    expect(events).toHaveLength(3);
    expect(decode(events[1]!.value)).toMatchObject({ op: 'd', after: null, raw: null });
    expect(events[2]!.value).toBeNull();
    expect(committer.on('cdc._state').at(-1)!.value).toBeNull();
    expect(store.object('tags', '123456')).toBeUndefined();
    expect(counts.deleted).toBe(1);
  });

  it('sends an object it cannot publish to the dead-letter topic and records its state (not re-sent until it changes)', async () => {
    const { emitter, batch, committer, store } = setUp({ maxEventBytes: 10 });
    const counts = newCounts();
    emitter.publish('tags', 'u', reading(tag), null, counts);
    await batch.flush();
    expect(committer.on('cdc.tags')).toHaveLength(0);
    const [letter] = committer.on('cdc._dlq');
    expect(JSON.parse(String(letter!.value))).toMatchObject({
      stream: 'tags',
      id: '123456',
      code: 'too_large',
    });
    expect(store.object('tags', '123456')).toBeDefined();
    expect(counts).toMatchObject({ published: 0, deadLetters: 1 });
  });

  it('stops the stream on a bad object under errors.tolerance=none, adding nothing', async () => {
    const { emitter, batch, committer } = setUp({ tolerance: 'none' });
    expect(() => emitter.reject('tags', '9', { id: 9 }, new Error('bad'), newCounts())).toThrow(CdcError);
    expect(() => emitter.reject('tags', '9', { id: 9 }, new Error('bad'), newCounts())).toThrow(
      /errors.tolerance=none/,
    );
    await batch.flush();
    expect(committer.transactions).toHaveLength(0);
  });

  it('keeps the progress it set ahead of the committed one, and tells each change', async () => {
    const { emitter, batch, store, progressSeen } = setUp();
    const committed = emitter.currentProgress();
    const next = emitter.setProgress({ watermark: 42, snapshotDone: true });
    expect(next).toMatchObject({ ...committed, watermark: 42, snapshotDone: true });
    expect(emitter.currentProgress()).toEqual(next);
    expect(store.streamProgress('tags').watermark).not.toBe(42); // not committed yet
    await batch.flush();
    expect(store.streamProgress('tags').watermark).toBe(42);
    const withSnapshot = emitter.setProgress({
      snapshot: { watermark: 40, unit: 'second', done: [[0, 10]] },
    });
    expect(withSnapshot.snapshot).toBeDefined();
    expect('snapshot' in emitter.setProgress({ snapshot: undefined })).toBe(false); // cleared, not kept as undefined
    expect(progressSeen).toHaveLength(3);
  });

  it('remembers which read found an object gone, so that no earlier read brings it back', () => {
    const { emitter } = setUp();
    emitter.markGone('7', 10);
    expect(emitter.goneAfter('7', 9)).toBe(true); // a read issued before the 404
    expect(emitter.goneAfter('7', 10)).toBe(false);
    emitter.markSeen('7', 8); // an older read seeing it does not count
    expect(emitter.goneAfter('7', 9)).toBe(true);
    emitter.markSeen('7', 11); // a later read shows it again (unarchived)
    expect(emitter.goneAfter('7', 9)).toBe(false);
  });
});

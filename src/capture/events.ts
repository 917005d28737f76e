import { CdcError } from '../errors';
import { type FailedReading, type GoodReading, type Op, type Problem, type SourceInfo } from '../normalize';
import { copyOfJson, type DeadLetterCopy } from '../normalize/bounded-json';
import type { StreamName } from '../streams/names';
import { packageVersion } from '../version';
import type { ChangeBatch } from './batch';
import type { Message, StreamCodec } from './contracts';

/**
 * Decisions into events: a change event with the object's new state, a delete (`d` event, tombstone,
 * state tombstone), a dead letter with the object as it came. `StreamEvents` writes them into the
 * stream's batch; the functions below build the messages (no I/O).
 */

export interface EmitSettings {
  connector: string;
  workspaceId: string;
  apiVersion: string;
  includeRaw: boolean;
  dlqTopic: string;
  /**
   * Largest encoded event (key + value) sent to Kafka; a larger one is a dead letter (`too_large`)
   * instead of failing its whole transaction. Default {@link MAX_EVENT_BYTES}.
   */
  maxEventBytes?: number;
}

/**
 * Default largest event: under the broker's default `message.max.bytes` (1,048,588, a record batch)
 * with room for the batch and record headers. The publisher sends a message this large alone.
 */
export const MAX_EVENT_BYTES = 1_000_000;

/**
 * The change event of an object read (key and value in the Confluent wire format, its `after` and `raw`
 * the reading's bytes), or the error that makes it a dead letter: an object that does not fit its record,
 * or an event too large for Kafka, is never published as a wrong value.
 */
export function changeEvent(
  s: EmitSettings,
  codec: StreamCodec,
  op: Op,
  reading: GoodReading,
  prevUpdatedAtMs: number | null,
  tsMs: number,
): { ok: true; message: Message } | { ok: false; error: Error } {
  if (reading.after === null) {
    const unmapped = reading.unmapped ?? { message: 'no record', code: 'mapping_failed' };
    return { ok: false, error: errorOf(unmapped) };
  }
  try {
    const value = codec.wire.event({
      op,
      tsMs,
      source: source(s, codec, op === 'r', reading.updatedAtMs, prevUpdatedAtMs, tsMs),
      after: reading.after,
      raw: s.includeRaw ? reading.json : null,
    });
    const message = { key: codec.wire.key(reading.id), value };
    const bytes = message.key.length + message.value.length;
    const limit = s.maxEventBytes ?? MAX_EVENT_BYTES;
    if (bytes > limit) {
      // The broker would refuse it and abort the transaction with every other event of the batch.
      throw new CdcError(
        `${codec.stream} ${reading.id}: the encoded event is ${bytes} bytes, over the ${limit}-byte limit of a Kafka message`,
        { code: 'too_large', kind: 'system', retriable: false },
      );
    }
    return { ok: true, message };
  } catch (error) {
    return { ok: false, error: error as Error };
  }
}

/** A delete: the `d` event (its `before` the object's key image), then the tombstone that lets
 * compaction drop the object. */
export function deleteEvents(
  s: EmitSettings,
  codec: StreamCodec,
  id: string,
  prevUpdatedAtMs: number | null,
  tsMs: number,
): Message[] {
  const key = codec.wire.key(id);
  const value = codec.wire.event({
    op: 'd',
    tsMs,
    source: source(s, codec, false, null, prevUpdatedAtMs, tsMs),
    after: null,
    raw: null,
    before: { id, updatedAtMs: prevUpdatedAtMs },
  });
  return [
    { key, value },
    { key, value: null },
  ];
}

function source(
  s: EmitSettings,
  codec: StreamCodec,
  snapshot: boolean,
  updatedAt: number | null,
  prev: number | null,
  tsMs: number,
): SourceInfo {
  return {
    connector: s.connector,
    workspace_id: s.workspaceId,
    stream: codec.stream,
    api_version: s.apiVersion,
    snapshot,
    updated_at: updatedAt,
    prev_updated_at: prev,
    version: packageVersion(),
    // When the change happened: Intercom's updated_at, else (no timestamps, or a delete found by
    // reconciliation) when the connector saw it.
    ts_ms: updatedAt ?? tsMs,
    snapshot_debezium: snapshot ? 'true' : 'false',
  };
}

/**
 * The dead-letter record: the original JSON, the stream and the error, keyed by object id (no key for an
 * item without one). It must fit in a Kafka message itself: its `raw` is the dead letters' bounded copy
 * (src/normalize/bounded-json.ts), cut to the start of its JSON as a string, with `raw_truncated: true`
 * and `raw_bytes` (the original size), when it is too large; an object of any depth can be a dead letter.
 */
export function deadLetter(
  stream: string,
  id: string,
  copy: DeadLetterCopy,
  error: Error,
  tsMs: number,
): Message {
  const head = JSON.stringify({
    stream,
    id,
    error: error.message.length > 2000 ? `${error.message.slice(0, 2000)}…` : error.message,
    code: (error as { code?: string }).code ?? 'unknown',
    ts_ms: tsMs,
    ...(copy.cutFrom !== undefined ? { raw_truncated: true, raw_bytes: copy.cutFrom } : {}),
  });
  return {
    key: id === '' ? null : id,
    // The copy's JSON text is spliced in as it is (JSON.stringify could not write a very deep object).
    value: `${head.slice(0, -1)},"raw":${copy.json}}`,
    headers: { stream, error: error.message.slice(0, 500) },
  };
}

/** What became of an object a decision said to publish. */
export type Published = 'published' | 'dead_letter';

export interface StreamEventsDeps {
  batch: ChangeBatch;
  codecs: ReadonlyMap<StreamName, StreamCodec>;
  emit: EmitSettings;
  /** all: a bad object goes to the dead-letter topic; none: it stops the stream (throws). */
  tolerance: 'all' | 'none';
  /** Event timestamps (`ts_ms`). */
  clock: () => number;
  /** Told of each object sent to the dead-letter topic, with why. */
  onDeadLetter?: (stream: StreamName, id: string, error: Error) => void;
}

/**
 * Writes decisions of one stream (and its children, which share its batch) into its batch as events and
 * the state records that cover them. An object that cannot be encoded is a dead letter, never a wrong
 * value; its state is recorded, so that it is not sent again until it changes.
 */
export class StreamEvents {
  constructor(private readonly d: StreamEventsDeps) {}

  /** The change event of a reading, and its new state. */
  publish(stream: StreamName, op: Op, reading: GoodReading, prevU: number | null): Published {
    const codec = this.codec(stream);
    const emitted = changeEvent(this.d.emit, codec, op, reading, prevU, this.d.clock());
    if (!emitted.ok) {
      this.reject(stream, reading, emitted.error);
      return 'dead_letter';
    }
    this.d.batch.addEvents(codec.topic, stream, op, [emitted.message]);
    this.d.batch.setObject(stream, reading.id, { u: reading.updatedAtMs, h: reading.hash });
    return 'published';
  }

  /** The object is gone: a `d` event, its tombstone, and the state forgets it. */
  remove(stream: StreamName, id: string, prevU: number | null): void {
    const codec = this.codec(stream);
    this.d.batch.addEvents(
      codec.topic,
      stream,
      'd',
      deleteEvents(this.d.emit, codec, id, prevU, this.d.clock()),
    );
    this.d.batch.setObject(stream, id, null);
  }

  /**
   * A bad object: to the dead-letter topic with its copy (with the state of its reading, when it was
   * read, so it is not re-sent until it changes), or, under errors.tolerance=none, the stream stops.
   * `object` is a reading that failed, or a good one whose event could not be written (`error`), or an
   * object no read could settle (its id and the copy to keep).
   */
  reject(
    stream: StreamName,
    object: FailedReading | GoodReading | { id: string; copy: DeadLetterCopy },
    error?: Error,
  ): void {
    const why = error ?? errorOf((object as FailedReading).error);
    if (this.d.tolerance === 'none') {
      throw new CdcError(`${stream} ${object.id}: ${why.message} (errors.tolerance=none stops the stream)`, {
        code: 'bad_object',
        kind: 'system',
        cause: why,
      });
    }
    this.d.onDeadLetter?.(stream, object.id, why);
    const good = 'ok' in object && object.ok ? object : undefined;
    const copy = good ? copyOfJson(good.json) : (object as { copy: DeadLetterCopy }).copy;
    this.d.batch.deadLetter(stream, deadLetter(stream, object.id, copy, why, this.d.clock()));
    if (good) this.d.batch.setObject(stream, good.id, { u: good.updatedAtMs, h: good.hash });
  }

  private codec(stream: StreamName): StreamCodec {
    const codec = this.d.codecs.get(stream);
    if (!codec) throw new CdcError(`no codec for stream ${stream}`, { code: 'internal', kind: 'system' });
    return codec;
  }
}

/** The error a reading's problem stands for (its message and code, as the thread that read it saw them). */
function errorOf(problem: Problem): CdcError {
  return new CdcError(problem.message, { code: problem.code, kind: 'system' });
}

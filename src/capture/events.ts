import { CdcError } from '../errors';
import { type Op, type Reading, type SourceInfo } from '../normalize';
import { deadLetterCopy } from '../normalize/bounded-json';
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

export type Emitted =
  | {
      ok: true;
      message: Message;
      /** The UTF-8 bytes of the event's raw JSON (a view into its value), or null without raw. */
      raw: Uint8Array | null;
    }
  | { ok: false; error: Error };

/**
 * The change event of an object, encoded (key and value in the Confluent wire format), or the error
 * that makes it a dead letter: a value that cannot be mapped or does not fit the schema is never
 * published as a wrong value.
 */
export function changeEvent(
  s: EmitSettings,
  codec: StreamCodec,
  change: {
    id: string;
    op: Op;
    object: Record<string, unknown>;
    updatedAtMs: number | null;
    prevUpdatedAtMs: number | null;
    /** The object's JSON, for `raw` when raw capture is on. */
    json: string;
  },
  tsMs: number,
): Emitted {
  try {
    const { value, raw } = codec.wire.event({
      op: change.op,
      tsMs,
      source: source(s, codec, change.op === 'r', change.updatedAtMs, change.prevUpdatedAtMs, tsMs),
      object: change.object,
      raw: s.includeRaw ? change.json : null,
    });
    const message = { key: codec.wire.key(change.id), value };
    const bytes = message.key.length + message.value.length;
    const limit = s.maxEventBytes ?? MAX_EVENT_BYTES;
    if (bytes > limit) {
      // The broker would refuse it and abort the transaction with every other event of the batch.
      throw new CdcError(
        `${codec.stream} ${change.id}: the encoded event is ${bytes} bytes, over the ${limit}-byte limit of a Kafka message`,
        { code: 'too_large', kind: 'system', retriable: false },
      );
    }
    return { ok: true, message, raw };
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
  const { value } = codec.wire.event({
    op: 'd',
    tsMs,
    source: source(s, codec, false, null, prevUpdatedAtMs, tsMs),
    object: null,
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
export function deadLetter(stream: string, id: string, object: unknown, error: Error, tsMs: number): Message {
  const copy = deadLetterCopy(object);
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
  publish(stream: StreamName, op: Op, reading: Reading & { ok: true }, prevU: number | null): Published {
    const codec = this.codec(stream);
    const emitted = changeEvent(
      this.d.emit,
      codec,
      {
        id: reading.id,
        op,
        object: reading.object,
        updatedAtMs: reading.updatedAtMs,
        prevUpdatedAtMs: prevU,
        json: reading.json,
      },
      this.d.clock(),
    );
    if (!emitted.ok) {
      this.reject(stream, reading.id, reading.object, emitted.error, reading);
      return 'dead_letter';
    }
    this.d.batch.addEvents(codec.topic, stream, op, [emitted.message]);
    this.d.batch.setObject(stream, reading.id, { u: reading.updatedAtMs, h: reading.hashOf(emitted.raw) });
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
   * A bad object: to the dead-letter topic (with the state of its reading, when it was read, so it is
   * not re-sent until it changes), or, under errors.tolerance=none, the stream stops.
   */
  reject(
    stream: StreamName,
    id: string,
    object: unknown,
    error: Error,
    reading?: Reading & { ok: true },
  ): void {
    if (this.d.tolerance === 'none') {
      throw new CdcError(`${stream} ${id}: ${error.message} (errors.tolerance=none stops the stream)`, {
        code: 'bad_object',
        kind: 'system',
        cause: error,
      });
    }
    this.d.onDeadLetter?.(stream, id, error);
    this.d.batch.deadLetter(stream, deadLetter(stream, id, object, error, this.d.clock()));
    if (reading) this.d.batch.setObject(stream, id, { u: reading.updatedAtMs, h: reading.hash });
  }

  private codec(stream: StreamName): StreamCodec {
    const codec = this.d.codecs.get(stream);
    if (!codec) throw new CdcError(`no codec for stream ${stream}`, { code: 'internal', kind: 'system' });
    return codec;
  }
}

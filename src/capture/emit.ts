import type { Message } from '../kafka/types';
import { CdcError } from '../errors';
import type { EventCodec } from '../kafka/wire';
import { contentHash, hashOfCanonical, safeCanonicalJson, stringifyDeep, toEpochMillis } from '../normalize';
import type { StreamName } from '../streams';
import type { StreamDef } from '../streams/definitions';
import type { Op } from './diff';

/** Everything needed to turn objects of one stream into Kafka messages. */
export interface StreamCodec {
  stream: StreamName;
  topic: string;
  /** Keys and values of the stream's events, in the Confluent wire format. */
  wire: EventCodec;
}

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

/** An object read from Intercom, with the two values the diff needs, or why they could not be read. */
export type Reading =
  | {
      ok: true;
      id: string;
      object: Record<string, unknown>;
      updatedAtMs: number | null;
      hash: string;
      /** The object's canonical JSON (keys sorted at every depth): the event's `raw`. */
      json: string;
      /** The hash, from the UTF-8 bytes of `json` when they were written already (the event's raw). */
      hashOf(jsonBytes: Uint8Array | null): string;
    }
  | { ok: false; id: string; object: unknown; error: Error };

/**
 * Reads the canonical JSON, `updated_at` and content hash of an object; an object too deep or not valid
 * Unicode, or a bad `updated_at`, makes a failed reading (a dead letter). The hash leaves out the fields
 * a stream names in `hashOmits`, so that every form the API returns one version in (list, search, GET)
 * hashes alike.
 */
export function read(
  def: Pick<StreamDef, 'name' | 'timestamped' | 'hashOmits'>,
  id: string,
  object: Record<string, unknown>,
): Reading {
  try {
    // First, before any other recursive step (mapping): too deep or not valid Unicode → dead letter.
    const json = safeCanonicalJson(object, def.name);
    const updatedAtMs = def.timestamped ? toEpochMillis(object.updated_at, `${def.name}.updated_at`) : null;
    return new GoodReading(id, object, updatedAtMs, json, def.hashOmits);
  } catch (error) {
    return { ok: false, id, object, error: error as Error };
  }
}

/**
 * A reading whose hash is computed when first asked for: the diff needs it only when `updated_at`
 * cannot decide, and the state records it once the object is published, when the canonical JSON was
 * just written as the event's `raw`: the hash is then taken of those bytes (hashOf), not encoded to
 * UTF-8 a second time. The canonical JSON serves both, unless the stream's hash leaves fields out.
 */
class GoodReading {
  readonly ok = true as const;
  private memo: string | undefined;

  constructor(
    readonly id: string,
    readonly object: Record<string, unknown>,
    readonly updatedAtMs: number | null,
    readonly json: string,
    private readonly omits: readonly string[] | undefined,
  ) {}

  get hash(): string {
    this.memo ??= this.omits ? contentHash(omit(this.object, this.omits)) : hashOfCanonical(this.json);
    return this.memo;
  }

  hashOf(jsonBytes: Uint8Array | null): string {
    if (this.memo === undefined && jsonBytes !== null && !this.omits) this.memo = hashOfCanonical(jsonBytes);
    return this.hash;
  }
}

function omit(object: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const copy = { ...object };
  for (const key of keys) delete copy[key];
  return copy;
}

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
      source: source(s, codec, change.op === 'r', change.updatedAtMs, change.prevUpdatedAtMs),
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

/** A delete: the `d` event, then the tombstone that lets compaction drop the object. */
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
    source: source(s, codec, false, null, prevUpdatedAtMs),
    object: null,
    raw: null,
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
) {
  return {
    connector: s.connector,
    workspace_id: s.workspaceId,
    stream: codec.stream,
    api_version: s.apiVersion,
    snapshot,
    updated_at: updatedAt,
    prev_updated_at: prev,
  };
}

/** Largest `raw` a dead letter carries whole (bytes of its JSON text); a larger one is cut (see deadLetter). */
export const DLQ_MAX_RAW_BYTES = 512 * 1024;
/** Characters of the JSON text kept when `raw` is cut: at most 6 bytes each once escaped (`\u00XX`). */
const DLQ_CUT_CHARS = 64 * 1024;

/**
 * The dead-letter record: the original JSON, the stream and the error, keyed by object id. It must fit
 * in a Kafka message itself: a `raw` whose JSON is over {@link DLQ_MAX_RAW_BYTES} becomes the start of
 * that JSON as a string, with `raw_truncated: true` and `raw_bytes` (the original size). The JSON is
 * written without recursion, so an object of any depth can be a dead letter.
 */
export function deadLetter(stream: string, id: string, object: unknown, error: Error, tsMs: number): Message {
  const rawText = stringifyDeep(object);
  const rawBytes = Buffer.byteLength(rawText);
  const cut = rawBytes > DLQ_MAX_RAW_BYTES;
  const head = JSON.stringify({
    stream,
    id,
    error: error.message.length > 2000 ? `${error.message.slice(0, 2000)}…` : error.message,
    code: (error as { code?: string }).code ?? 'unknown',
    ts_ms: tsMs,
    ...(cut ? { raw_truncated: true, raw_bytes: rawBytes } : {}),
  });
  // The raw JSON text is spliced in as it is (JSON.stringify could not write a very deep object).
  const raw = cut ? JSON.stringify(rawText.slice(0, DLQ_CUT_CHARS)) : rawText;
  return {
    key: id,
    value: `${head.slice(0, -1)},"raw":${raw}}`,
    headers: { stream, error: error.message.slice(0, 500) },
  };
}

import type { Message } from 'kafkajs';
import type { AvroCodec } from '../kafka/wire';
import { buildEnvelope, contentHash, mapRecord, toEpochMillis } from '../normalize';
import type { StreamName } from '../normalize';
import type { StreamDef } from '../streams/definitions';
import type { Op } from './diff';

/** Everything needed to turn objects of one stream into Kafka messages. */
export interface StreamCodec {
  stream: StreamName;
  topic: string;
  key: AvroCodec;
  value: AvroCodec;
  record: object;
}

export interface EmitSettings {
  connector: string;
  workspaceId: string;
  apiVersion: string;
  includeRaw: boolean;
  dlqTopic: string;
}

/** An object read from Intercom, with the two values the diff needs, or why they could not be read. */
export type Reading =
  | { ok: true; id: string; object: Record<string, unknown>; updatedAtMs: number | null; hash: string }
  | { ok: false; id: string; object: unknown; error: Error };

/**
 * Reads the `updated_at` and content hash of an object; a bad `updated_at` makes a failed reading. The
 * hash leaves out the fields a stream names in `hashOmits`, so that every form the API returns one
 * version in (list, search, GET) hashes alike.
 */
export function read(
  def: Pick<StreamDef, 'name' | 'timestamped' | 'hashOmits'>,
  id: string,
  object: Record<string, unknown>,
): Reading {
  try {
    const updatedAtMs = def.timestamped ? toEpochMillis(object.updated_at, `${def.name}.updated_at`) : null;
    return {
      ok: true,
      id,
      object,
      updatedAtMs,
      hash: contentHash(def.hashOmits ? omit(object, def.hashOmits) : object),
    };
  } catch (error) {
    return { ok: false, id, object, error: error as Error };
  }
}

function omit(object: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const copy = { ...object };
  for (const key of keys) delete copy[key];
  return copy;
}

export type Emitted = { ok: true; message: Message } | { ok: false; error: Error };

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
  },
  tsMs: number,
): Emitted {
  try {
    const after = mapRecord(codec.record, change.object, codec.stream);
    const envelope = buildEnvelope({
      op: change.op,
      tsMs,
      source: source(s, codec, change.op === 'r', change.updatedAtMs, change.prevUpdatedAtMs),
      after,
      raw: s.includeRaw ? JSON.stringify(change.object) : null,
    });
    return {
      ok: true,
      message: { key: codec.key.encode({ id: change.id }), value: codec.value.encode(envelope) },
    };
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
  const key = codec.key.encode({ id });
  const envelope = buildEnvelope({
    op: 'd',
    tsMs,
    source: source(s, codec, false, null, prevUpdatedAtMs),
    after: null,
    raw: null,
  });
  return [
    { key, value: codec.value.encode(envelope) },
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

/** The dead-letter record: the original JSON, the stream and the error, keyed by object id. */
export function deadLetter(stream: string, id: string, object: unknown, error: Error, tsMs: number): Message {
  return {
    key: id,
    value: JSON.stringify({
      stream,
      id,
      error: error.message,
      code: (error as { code?: string }).code ?? 'unknown',
      ts_ms: tsMs,
      raw: object,
    }),
    headers: { stream, error: error.message.slice(0, 500) },
  };
}

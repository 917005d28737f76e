import { CdcError } from '../errors';
import type { StreamName } from './schemas';

/** What happened to an object: `c` first sight, `u` a later change, `d` a delete, `r` a read during a
 * snapshot or backfill. */
export type Op = 'c' | 'u' | 'd' | 'r';

/** Where an event comes from (Avro record Source). Timestamps are epoch milliseconds or null. */
export interface SourceInfo {
  connector: string;
  workspace_id: string;
  stream: StreamName;
  api_version: string;
  /** True for events of a snapshot or backfill (op `r`, and deletes found while reconciling a snapshot). */
  snapshot: boolean;
  /** The object's updated_at; null for objects without timestamps (admins, teams, tags). */
  updated_at: number | null;
  /** The updated_at the state held before this event; null on first sight or without timestamps. */
  prev_updated_at: number | null;
}

/** The value of a change event, as the stream's `value` schema (record Envelope) encodes it. */
export interface EnvelopeValue {
  op: Op;
  ts_ms: number;
  source: SourceInfo;
  after: Record<string, unknown> | null;
  raw: string | null;
}

export interface EnvelopeArgs {
  op: Op;
  /** When the connector publishes the event: the injected clock's now, epoch ms. */
  tsMs: number;
  source: SourceInfo;
  /** The mapped record (mapRecord); null exactly when op is `d`. */
  after: Record<string, unknown> | null;
  /** The object's original JSON when raw capture is on, else null. */
  raw: string | null;
}

/**
 * Builds the envelope of one change event. Only the documented fields are copied, so the value matches
 * the schema whatever else the caller's objects carry. Throws CdcError `envelope_invalid` (a bug of the
 * caller) when `after` is null for c/u/r or set for d, or a timestamp is not an integer of milliseconds.
 */
export function buildEnvelope(args: EnvelopeArgs): EnvelopeValue {
  const { op, tsMs, source, after, raw } = args;
  if ((after === null) !== (op === 'd'))
    invalid(`op=${op} requires ${op === 'd' ? 'after=null' : 'an after record'}`);
  for (const [name, ms] of [
    ['ts_ms', tsMs],
    ['source.updated_at', source.updated_at],
    ['source.prev_updated_at', source.prev_updated_at],
  ] as const) {
    if (ms !== null && !Number.isSafeInteger(ms))
      invalid(`${name} must be integer epoch milliseconds, got ${ms}`);
  }
  return {
    op,
    ts_ms: tsMs,
    source: {
      connector: source.connector,
      workspace_id: source.workspace_id,
      stream: source.stream,
      api_version: source.api_version,
      snapshot: source.snapshot,
      updated_at: source.updated_at,
      prev_updated_at: source.prev_updated_at,
    },
    after,
    raw,
  };
}

function invalid(message: string): never {
  throw new CdcError(`buildEnvelope: ${message}`, {
    code: 'envelope_invalid',
    kind: 'system',
    retriable: false,
  });
}

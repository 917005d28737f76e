import { CdcError } from '../errors';
import type { AvroWriter } from './avro-writer';
import { SchemaError } from './errors';
import { keyImageObject, type KeyImage } from './key-image';
import { recordWriter, writeRecord } from './record-writer';
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
  /** The connector's version (Debezium's source.version). */
  version: string;
  /** When the change happened as far as the source tells (Debezium's source.ts_ms): updated_at, else
   * when the connector saw the change; epoch ms. */
  ts_ms: number;
  /** `snapshot` as Debezium spells it: "true" or "false". */
  snapshot_debezium: 'true' | 'false';
}

/** One change event, as the stream's `value` schema (record Envelope) carries it. */
export interface EventArgs {
  op: Op;
  /** When the connector publishes the event: the injected clock's now, epoch ms. */
  tsMs: number;
  source: SourceInfo;
  /**
   * The object as the stream's typed record (`after`), already in Avro binary (written by the record
   * writer, see encodeRecord; on a worker thread when the capture has workers); null exactly when op is
   * `d`.
   */
  after: Uint8Array | null;
  /** The UTF-8 bytes of the object's JSON when raw capture is on, else null. */
  raw: Uint8Array | null;
  /** What `before` tells of the object: its key image, exactly when op is `d`; null (or absent) for
   * c/u/r, whose earlier state the connector does not keep. */
  before?: KeyImage | null;
}

/** The envelope's fields and their types, in the order of schemas/envelope.avsc, which this writer
 * follows (`before` aside: the stream's record, defined there; `after` refers to it by its name,
 * RECORD here). */
const ENVELOPE =
  'op:enum ts_ms:long source:record before:[null,record] after:[null,RECORD] raw:[null,string]';
const SOURCE =
  'connector:string workspace_id:string stream:string api_version:string snapshot:boolean ' +
  'updated_at:[null,long] prev_updated_at:[null,long] version:[null,string] ts_ms:[null,long] ' +
  'snapshot_debezium:[null,string]';

/** `name:type …` of a record's fields, each type by its kind (`long`, `[null,record]`). */
function shape(record: unknown): string {
  const kind = (t: unknown): string =>
    Array.isArray(t) ? `[${t.map(kind).join(',')}]` : typeof t === 'string' ? t : String((t as Json)?.type);
  return (((record as Json)?.fields ?? []) as Json[])
    .map((f) => `${String(f.name)}:${kind(f.type)}`)
    .join(' ');
}

/**
 * Writes the value of one change event (record Envelope) as Avro binary: op, ts_ms, source, `before` (the
 * key image of a deleted object, src/normalize/key-image.ts; null for c/u/r), `after` (the object's
 * record, encoded before by the record writer) and raw. Only the
 * documented source fields are written. The envelope schema is checked when the writer is built: its
 * fields must be those of schemas/envelope.avsc, in that order, with `raw` last (so that the raw JSON is
 * the last bytes of the value), else SchemaError.
 *
 * Errors: CdcError `envelope_invalid` (a bug of the caller) when `after` is null for c/u/r or set for d,
 * when `before` is missing for d or set for c/u/r, or a timestamp is not an integer of milliseconds.
 */
export class EventWriter {
  private readonly ops: readonly string[];
  /** The stream's record (the second branch of `after`), compiled when the writer is built. */
  private readonly after: object;

  constructor(valueSchema: object) {
    const fields = ((valueSchema as Json).fields ?? []) as Json[];
    const recordName = String(((fields[3]?.type as Json[] | undefined)?.[1] as Json | undefined)?.name);
    if (shape(valueSchema) !== ENVELOPE.replace('RECORD', recordName) || shape(fields[2]!.type) !== SOURCE)
      throw new SchemaError(
        `event writer: the envelope must be that of schemas/envelope.avsc (${ENVELOPE}; source ${SOURCE})`,
      );
    this.ops = (fields[0]!.type as Json).symbols as string[];
    // The stream's record, for `after` (and `before`): defined at its first use, in `before`.
    this.after = (fields[3]!.type as unknown[])[1] as object;
    recordWriter(this.after); // a schema the record writer cannot handle fails here, at start
  }

  /** The stream's record (the type of `after`): what encodeRecord takes to write an `after`. */
  get record(): object {
    return this.after;
  }

  write(w: AvroWriter, e: EventArgs): void {
    const { op, tsMs, source, after, raw } = e;
    const before = e.before ?? null;
    if ((after === null) !== (op === 'd'))
      invalid(`op=${op} requires ${op === 'd' ? 'no after' : 'an after'}`);
    if ((before === null) === (op === 'd'))
      invalid(`op=${op} requires ${op === 'd' ? 'a before (the key image)' : 'no before'}`);
    millis('ts_ms', tsMs);
    millis('source.updated_at', source.updated_at);
    millis('source.prev_updated_at', source.prev_updated_at);
    millis('source.ts_ms', source.ts_ms);
    const opIndex = this.ops.indexOf(op);
    if (opIndex < 0) invalid(`unknown op ${op}`);
    w.byte(2 * opIndex);
    w.long(tsMs);
    w.string(source.connector);
    w.string(source.workspace_id);
    w.string(source.stream);
    w.string(source.api_version);
    w.boolean(source.snapshot);
    nullableLong(w, source.updated_at);
    nullableLong(w, source.prev_updated_at);
    w.byte(2);
    w.string(source.version);
    w.byte(2);
    w.long(source.ts_ms);
    w.byte(2);
    w.string(source.snapshot_debezium);
    if (before === null) w.byte(0);
    else {
      w.byte(2);
      writeRecord(w, this.after, keyImageObject(this.after, source.stream, before), source.stream);
    }
    if (after === null) w.byte(0);
    else {
      w.byte(2);
      w.append(after);
    }
    if (raw === null) w.byte(0);
    else {
      w.byte(2);
      w.long(raw.length);
      w.append(raw);
    }
  }
}

/** Writes the key of a change event (record Key {id}); the schema is checked when built. */
export class KeyWriter {
  constructor(keySchema: object) {
    const fields = ((keySchema as Json).fields ?? []) as Json[];
    if (fields.length !== 1 || fields[0]!.name !== 'id' || fields[0]!.type !== 'string')
      throw new SchemaError('key writer: the key must be the record Key {id: string} of schemas/key.avsc');
  }

  write(w: AvroWriter, id: string): void {
    w.string(id);
  }
}

type Json = Record<string, unknown>;

function nullableLong(w: AvroWriter, n: number | null): void {
  if (n === null) w.byte(0);
  else {
    w.byte(2);
    w.long(n);
  }
}

function millis(name: string, ms: number | null): void {
  if (ms !== null && !Number.isSafeInteger(ms))
    invalid(`${name} must be integer epoch milliseconds, got ${ms}`);
}

function invalid(message: string): never {
  throw new CdcError(`event writer: ${message}`, {
    code: 'envelope_invalid',
    kind: 'system',
    retriable: false,
  });
}

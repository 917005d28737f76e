import type { Kafka } from 'kafkajs';
import {
  NO_PROGRESS,
  type ObjectState,
  type StateStore as StateContract,
  type SnapshotProgress,
  type StreamProgress,
} from '../capture/contracts';
import type { Message } from './types';
import type { SignalRecord, SignalStore } from '../capture/signals';
import { CdcError } from '../errors';
import { kafkaError } from './errors';
import { ObjectTable } from './object-table';
import { readToEnd } from './read-to-end';

const VERSION = 1;

/**
 * The capture's state contract (src/capture/contracts.ts) held in memory, as restored from and written
 * to the compacted state topic. Keys: `<connector>` (the workspace the state belongs to),
 * `<connector>/<stream>` (progress), `<connector>/<stream>/<id>` (one object), `<connector>:signal:<id>`
 * (a signal received and how far it went) and `<connector>:signal:<id>#<n>` (objects a signalled snapshot
 * republished, one record per transaction; the signal's id URI-encoded, so neither has a `/`: releases
 * before signals ignore a key without `/` that is not `<connector>`); values: JSON versioned by `v` (1);
 * a tombstone (null) removes an object or a signal's part. Nothing else
 * holds progress. Each stream's objects are held in an ObjectTable (object-table.ts: fixed-width bytes
 * per object, about 60, instead of a Map entry of 260–300); the records are the same either way.
 */
export class StateStore implements StateContract, SignalStore {
  private readonly objects = new Map<string, ObjectTable>();
  private readonly progress = new Map<string, StreamProgress>();
  /**
   * The workspace this connector's state belongs to (the record keyed `<connector>`), once a release
   * that writes it ran; undefined before.
   */
  workspace: string | undefined;
  /** Signals received (`<connector>:signal:<id>`), by id. */
  private readonly signalRecords = new Map<string, SignalRecord>();
  /** Per signal id, the parts of its republished objects (`<connector>:signal:<id>#<n>`), by n. */
  private readonly signalParts = new Map<string, Map<number, { stream: string; ids: string[] }>>();
  /** The key prefix (`<connector>/<stream>/`) of the last object record applied, and its table. */
  private lastPrefix: Buffer | undefined;
  private lastTable: ObjectTable | undefined;

  constructor(readonly connector: string) {}

  /** What the state knows of an object: a fresh object on each call (callers only read it). */
  object(stream: string, id: string): ObjectState | undefined {
    return this.objects.get(stream)?.get(id);
  }

  ids(stream: string): IterableIterator<string> {
    return this.table(stream).keys();
  }

  size(stream?: string): number {
    if (stream) return this.objects.get(stream)?.size ?? 0;
    let n = 0;
    for (const table of this.objects.values()) n += table.size;
    return n;
  }

  /** An estimate of the bytes the objects' states hold in memory (of one stream, or of all). */
  bytes(stream?: string): number {
    if (stream) return this.objects.get(stream)?.bytes() ?? 0;
    let n = 0;
    for (const table of this.objects.values()) n += table.bytes();
    return n;
  }

  streamProgress(stream: string): StreamProgress {
    return this.progress.get(stream) ?? NO_PROGRESS;
  }

  private table(stream: string): ObjectTable {
    let t = this.objects.get(stream);
    if (!t) this.objects.set(stream, (t = new ObjectTable()));
    return t;
  }

  /** Records what a committed transaction (or the restored topic) says of one object; null forgets it. */
  setObject(stream: string, id: string, state: ObjectState | null): void {
    if (state) this.table(stream).set(id, state);
    else this.objects.get(stream)?.delete(id);
  }

  setProgress(stream: string, progress: StreamProgress): void {
    this.progress.set(stream, progress);
  }

  /**
   * Applies one committed record of the state topic (restore); records of other connectors are ignored.
   * An object record of the usual shape goes from its bytes straight into its stream's table (no string
   * or object per record: the same prefix `<connector>/<stream>/` as the previous record is recognized
   * by its bytes); any other record is decoded as JSON. Stream and id are decoded from the key's bytes
   * as strings of their own: substrings of one key string would each keep the whole key alive.
   */
  apply(key: Buffer, value: Buffer | null): void {
    const last = this.lastPrefix;
    if (
      last !== undefined &&
      key.length > last.length &&
      last.compare(key, 0, last.length) === 0 &&
      this.lastTable!.applyBytes(key, last.length, value)
    )
      return;
    const first = key.indexOf(0x2f); // '/'
    if (first < 0) {
      const text = key.toString();
      if (text === this.connector)
        this.workspace = value === null ? undefined : workspaceOf(parseRecord(value));
      else if (text.startsWith(this.signalPrefix)) this.applySignal(text, value);
      return;
    }
    if (key.toString('utf8', 0, first) !== this.connector) return;
    const second = key.indexOf(0x2f, first + 1);
    const stream = key.toString('utf8', first + 1, second < 0 ? key.length : second);
    if (second >= 0) {
      const table = this.table(stream);
      this.lastPrefix = Buffer.from(key.subarray(0, second + 1));
      this.lastTable = table;
      if (table.applyBytes(key, second + 1, value)) return;
    }
    const parsed = value === null ? null : parseRecord(value);
    if (second < 0) {
      if (parsed) this.setProgress(stream, progressOf(parsed));
      return;
    }
    const id = key.toString('utf8', second + 1);
    this.setObject(stream, id, parsed ? objectOf(parsed) : null);
  }

  private get signalPrefix(): string {
    return `${this.connector}:signal:`;
  }

  /** A record keyed `<connector>:signal:…` (see the class comment). */
  private applySignal(key: string, value: Buffer | null): void {
    const rest = key.slice(this.signalPrefix.length);
    const hash = rest.indexOf('#');
    let id: string;
    try {
      id = decodeURIComponent(hash < 0 ? rest : rest.slice(0, hash));
    } catch {
      throw new UnreadableStateRecord('a signal key needs a URI-encoded id');
    }
    if (hash < 0) {
      if (value === null) this.signalRecords.delete(id);
      else this.signalRecords.set(id, signalOf(parseRecord(value)));
      return;
    }
    const n = Number(rest.slice(hash + 1));
    if (!Number.isSafeInteger(n) || n < 0)
      throw new UnreadableStateRecord('a signal part needs a number after #');
    const parts = this.signalParts.get(id) ?? new Map<number, { stream: string; ids: string[] }>();
    if (value === null) parts.delete(n);
    else parts.set(n, signalPartOf(parseRecord(value)));
    if (parts.size > 0) this.signalParts.set(id, parts);
    else this.signalParts.delete(id);
  }

  signal(id: string): SignalRecord | undefined {
    return this.signalRecords.get(id);
  }

  signals(): [string, SignalRecord][] {
    return [...this.signalRecords];
  }

  setSignal(id: string, record: SignalRecord): void {
    this.signalRecords.set(id, record);
  }

  signalRecord(id: string, record: SignalRecord): Message {
    return {
      key: this.signalPrefix + encodeURIComponent(id),
      value: JSON.stringify({ v: VERSION, ...record }),
    };
  }

  republished(id: string, stream: string): string[] {
    const out: string[] = [];
    for (const part of this.signalParts.get(id)?.values() ?? [])
      if (part.stream === stream) out.push(...part.ids);
    return out;
  }

  releaseRepublished(id: string, stream: string): void {
    for (const part of this.signalParts.get(id)?.values() ?? []) if (part.stream === stream) part.ids = [];
  }

  signalPartNumbers(id: string): number[] {
    return [...(this.signalParts.get(id)?.keys() ?? [])];
  }

  signalPartRecord(id: string, n: number, part: { stream: string; ids: string[] } | null): Message {
    return {
      key: `${this.signalPrefix}${encodeURIComponent(id)}#${n}`,
      value: part === null ? null : JSON.stringify({ v: VERSION, ...part }),
    };
  }

  setSignalPart(id: string, n: number, part: { stream: string; ids: string[] } | null): void {
    const parts = this.signalParts.get(id) ?? new Map<number, { stream: string; ids: string[] }>();
    if (part === null) parts.delete(n);
    else parts.set(n, part);
    if (parts.size > 0) this.signalParts.set(id, parts);
    else this.signalParts.delete(id);
  }

  /** The record saying which workspace this connector's state belongs to. */
  workspaceRecord(workspaceId: string): Message {
    return { key: this.connector, value: JSON.stringify({ v: VERSION, workspace_id: workspaceId }) };
  }

  objectKey(stream: string, id: string): string {
    return `${this.connector}/${stream}/${id}`;
  }

  /** The state-topic message for an object (null state = tombstone). */
  objectRecord(stream: string, id: string, state: ObjectState | null): Message {
    return { key: this.objectKey(stream, id), value: state ? objectValue(state) : null };
  }

  progressKey(stream: string): string {
    return `${this.connector}/${stream}`;
  }

  progressRecord(stream: string, p: StreamProgress): Message {
    return { key: this.progressKey(stream), value: JSON.stringify({ v: VERSION, ...p }) };
  }
}

/** A state record that cannot be read: not JSON, an unknown version `v`, or a field of the wrong type. */
export class UnreadableStateRecord extends Error {}

/** A record's JSON object of version 1 (or without `v`, as the first releases wrote), else it is unreadable. */
function parseRecord(value: Buffer): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString());
  } catch {
    throw new UnreadableStateRecord('not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new UnreadableStateRecord('not a JSON object');
  const v = (parsed as { v?: unknown }).v;
  if (v !== undefined && v !== VERSION)
    throw new UnreadableStateRecord(`version v=${JSON.stringify(v)}, this release reads v=${VERSION}`);
  return parsed as Record<string, unknown>;
}

const timeOrNull = (x: unknown): x is number | null | undefined =>
  x === undefined || x === null || (typeof x === 'number' && Number.isFinite(x));

function workspaceOf(r: Record<string, unknown>): string {
  if (typeof r.workspace_id !== 'string')
    throw new UnreadableStateRecord('a workspace record needs workspace_id');
  return r.workspace_id;
}

function signalOf(r: Record<string, unknown>): SignalRecord {
  const signal = r.signal as SignalRecord['signal'] | undefined;
  if (
    (r.status !== 'running' && r.status !== 'done') ||
    typeof signal !== 'object' ||
    signal === null ||
    !Array.isArray(signal.streams) ||
    !Array.isArray(r.streamsDone)
  )
    throw new UnreadableStateRecord('a signal record needs status, signal.streams and streamsDone');
  return {
    status: r.status,
    signal,
    receivedMs: typeof r.receivedMs === 'number' ? r.receivedMs : 0,
    streamsDone: r.streamsDone as string[],
    ...(typeof r.counts === 'object' && r.counts !== null
      ? { counts: r.counts as SignalRecord['counts'] }
      : {}),
  };
}

function signalPartOf(r: Record<string, unknown>): { stream: string; ids: string[] } {
  if (typeof r.stream !== 'string' || !Array.isArray(r.ids) || !r.ids.every((x) => typeof x === 'string'))
    throw new UnreadableStateRecord('a signal part needs stream and ids');
  return { stream: r.stream, ids: r.ids as string[] };
}

function objectOf(r: Record<string, unknown>): ObjectState {
  if (!timeOrNull(r.u) || typeof r.h !== 'string')
    throw new UnreadableStateRecord('an object record needs u (a number or null) and h (a string)');
  return { u: r.u ?? null, h: r.h };
}

function progressOf(r: Record<string, unknown>): StreamProgress {
  if (!timeOrNull(r.watermark) || !timeOrNull(r.lastReconcile))
    throw new UnreadableStateRecord('a progress record needs watermark and lastReconcile as numbers or null');
  const snapshot = r.snapshot as SnapshotProgress | undefined;
  return {
    watermark: r.watermark ?? null,
    lastReconcile: r.lastReconcile ?? null,
    snapshotDone: r.snapshotDone === true,
    ...(snapshot && typeof snapshot.watermark === 'number' && Array.isArray(snapshot.done)
      ? { snapshot }
      : {}),
  };
}

/** Hashes as contentHash writes them (base64url): nothing to escape in JSON. */
const PLAIN_HASH = /^[A-Za-z0-9_-]*$/;

/** `{"v":1,"u":…,"h":"…"}`: JSON.stringify's text, written directly for hashes that need no escape. */
export function objectValue(state: ObjectState): string {
  const u = state.u;
  return (u === null || Number.isSafeInteger(u)) && PLAIN_HASH.test(state.h)
    ? `{"v":${VERSION},"u":${u},"h":"${state.h}"}`
    : JSON.stringify({ v: VERSION, u, h: state.h });
}

/** What restoring does with a record it cannot read. */
export interface RestoreOptions {
  /** all: the record is skipped and told of (the object or stream is read again); none: restore fails. */
  tolerance: 'all' | 'none';
  /** Told of each record skipped, with its key and why. */
  onSkipped?: (key: string, reason: string) => void;
}

/**
 * Reads the state topic from the beginning to its end (committed records only) into a StateStore.
 * Call it after the transactional producer connected: that fenced older instances and aborted their
 * open transaction, so the end of the log is stable. A record that cannot be read (see
 * UnreadableStateRecord) is skipped and told of, so that one bad record cannot keep the connector from
 * starting: the object it described is decided as unknown (published again), a stream whose progress it
 * was starts over with a first sync. Under `tolerance: 'none'` it fails the restore, naming the key.
 */
export async function restoreState(
  kafka: Kafka,
  topic: string,
  connector: string,
  options: RestoreOptions = { tolerance: 'all' },
): Promise<StateStore> {
  const store = new StateStore(connector);
  try {
    await readToEnd(kafka, [topic], `${connector}-restore`, (_topic, messages) => {
      for (const m of messages) {
        if (!m.key) continue;
        try {
          store.apply(m.key, m.value);
        } catch (error) {
          if (!(error instanceof UnreadableStateRecord)) throw error;
          const key = m.key.toString();
          if (options.tolerance === 'none')
            throw new CdcError(
              `state record ${key} in ${topic} cannot be read: ${error.message} (errors.tolerance=none stops here; ERRORS_TOLERANCE=all skips it)`,
              { code: 'state_unreadable', kind: 'system' },
            );
          options.onSkipped?.(key, error.message);
        }
      }
    });
  } catch (error) {
    throw kafkaError(`restoring state from ${topic}`, error); // a CdcError passes through as it is
  }
  return store;
}

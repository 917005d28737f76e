import type { Kafka } from 'kafkajs';
import {
  NO_PROGRESS,
  type ObjectState,
  type StateStore as StateContract,
  type SnapshotProgress,
  type StreamProgress,
} from '../capture/contracts';
import type { Message } from './types';
import { CdcError } from '../errors';
import { kafkaError } from './errors';
import { ObjectTable } from './object-table';
import { readToEnd } from './read-to-end';

const VERSION = 1;

/**
 * The capture's state contract (src/capture/contracts.ts) held in memory, as restored from and written
 * to the compacted state topic. Keys: `<connector>` (the workspace the state belongs to),
 * `<connector>/<stream>` (progress) and `<connector>/<stream>/<id>` (one object); values: JSON versioned
 * by `v` (1); a tombstone (null) removes an object. Nothing else
 * holds progress. Each stream's objects are held in an ObjectTable (object-table.ts: fixed-width bytes
 * per object, about 60, instead of a Map entry of 260–300); the records are the same either way.
 */
export class StateStore implements StateContract {
  private readonly objects = new Map<string, ObjectTable>();
  private readonly progress = new Map<string, StreamProgress>();
  /**
   * The workspace this connector's state belongs to (the record keyed `<connector>`), once a release
   * that writes it ran; undefined before.
   */
  workspace: string | undefined;
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
      if (key.toString() === this.connector)
        this.workspace = value === null ? undefined : workspaceOf(parseRecord(value));
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

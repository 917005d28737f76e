import type { Kafka } from 'kafkajs';
import {
  NO_PROGRESS,
  type ObjectState,
  type StateStore as StateContract,
  type SnapshotProgress,
  type StreamProgress,
} from '../capture/contracts';
import type { Message } from './types';
import { kafkaError } from './errors';
import { ObjectTable } from './object-table';
import { readToEnd } from './read-to-end';

const VERSION = 1;

/**
 * The capture's state contract (src/capture/contracts.ts) held in memory, as restored from and written
 * to the compacted state topic. Keys: `<connector>/<stream>` (progress) and `<connector>/<stream>/<id>`
 * (one object); values: JSON versioned by `v` (1); a tombstone (null) removes an object. Nothing else
 * holds progress. Each stream's objects are held in an ObjectTable (object-table.ts: fixed-width bytes
 * per object, about 60, instead of a Map entry of 260–300); the records are the same either way.
 */
export class StateStore implements StateContract {
  private readonly objects = new Map<string, ObjectTable>();
  private readonly progress = new Map<string, StreamProgress>();
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
    if (first < 0 || key.toString('utf8', 0, first) !== this.connector) return;
    const second = key.indexOf(0x2f, first + 1);
    const stream = key.toString('utf8', first + 1, second < 0 ? key.length : second);
    if (second >= 0) {
      const table = this.table(stream);
      this.lastPrefix = Buffer.from(key.subarray(0, second + 1));
      this.lastTable = table;
      if (table.applyBytes(key, second + 1, value)) return;
    }
    const parsed = value === null ? null : (JSON.parse(value.toString()) as Record<string, unknown>);
    if (second < 0) {
      if (parsed) {
        const snapshot = parsed.snapshot as SnapshotProgress | undefined;
        this.setProgress(stream, {
          watermark: (parsed.watermark as number | null) ?? null,
          lastReconcile: (parsed.lastReconcile as number | null) ?? null,
          snapshotDone: parsed.snapshotDone === true,
          ...(snapshot && Array.isArray(snapshot.done) ? { snapshot } : {}),
        });
      }
      return;
    }
    const id = key.toString('utf8', second + 1);
    this.setObject(
      stream,
      id,
      parsed ? { u: (parsed.u as number | null) ?? null, h: parsed.h as string } : null,
    );
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

/** Hashes as contentHash writes them (base64url): nothing to escape in JSON. */
const PLAIN_HASH = /^[A-Za-z0-9_-]*$/;

/** `{"v":1,"u":…,"h":"…"}`: JSON.stringify's text, written directly for hashes that need no escape. */
export function objectValue(state: ObjectState): string {
  const u = state.u;
  return (u === null || Number.isSafeInteger(u)) && PLAIN_HASH.test(state.h)
    ? `{"v":${VERSION},"u":${u},"h":"${state.h}"}`
    : JSON.stringify({ v: VERSION, u, h: state.h });
}

/**
 * Reads the state topic from the beginning to its end (committed records only) into a StateStore.
 * Call it after the transactional producer connected: that fenced older instances and aborted their
 * open transaction, so the end of the log is stable.
 */
export async function restoreState(kafka: Kafka, topic: string, connector: string): Promise<StateStore> {
  const store = new StateStore(connector);
  try {
    await readToEnd(kafka, [topic], `${connector}-restore`, (_topic, messages) => {
      for (const m of messages) if (m.key) store.apply(m.key, m.value);
    });
  } catch (error) {
    throw kafkaError(`restoring state from ${topic}`, error);
  }
  return store;
}

import type { Logger } from 'pino';
import { CdcError } from '../errors';
import type { ObjectState, StreamProgress } from '../kafka/state-store';
import type { StreamName } from '../normalize';
import type { ChangeBatch } from './batch';
import type { Op } from './diff';
import {
  changeEvent,
  deadLetter,
  deleteEvents,
  type EmitSettings,
  type Reading,
  type StreamCodec,
} from './emit';

/** What one walk did, for logs and the poll summary. */
export interface WalkCounts {
  read: number;
  published: number;
  deleted: number;
  deadLetters: number;
}

export function newCounts(): WalkCounts {
  return { read: 0, published: 0, deleted: 0, deadLetters: 0 };
}

export interface EmitterDeps {
  /** The stream whose batch this is (children are emitted into their parent's batch). */
  stream: StreamName;
  batch: ChangeBatch;
  codecs: ReadonlyMap<StreamName, StreamCodec>;
  emit: EmitSettings;
  tolerance: 'all' | 'none';
  clock: () => number;
  logger: Logger;
  /** The stream's progress as committed (the store's). */
  committedProgress: () => StreamProgress;
  onProgress?: (progress: StreamProgress) => void;
}

/**
 * Turns decisions into events and state records in the stream's batch: a change event with the
 * object's new state, a delete (`d` event, tombstone, state tombstone), a dead letter, progress. It also
 * keeps what the diff needs beyond the batch: the stream's progress including what is not committed yet,
 * and which objects a read found gone (so that no earlier read brings them back).
 */
export class StreamEmitter {
  private progress: StreamProgress | undefined;
  /** Object id → read sequence of the read that found it gone (404). */
  private readonly gone = new Map<string, number>();

  constructor(private readonly d: EmitterDeps) {}

  lookup(stream: StreamName, id: string): ObjectState | undefined {
    return this.d.batch.lookup(stream, id);
  }

  /** The stream's progress, with what walks of this run have added and not yet committed. */
  currentProgress(): StreamProgress {
    return this.progress ?? this.d.committedProgress();
  }

  /** Merges `patch` into the progress and adds the whole record to the batch, after what is already in it. */
  setProgress(patch: Partial<StreamProgress>): StreamProgress {
    const next: StreamProgress = { ...this.currentProgress(), ...patch };
    if (patch.snapshot === undefined && 'snapshot' in patch) delete next.snapshot;
    this.progress = next;
    this.d.batch.setProgress(this.d.stream, next);
    this.d.onProgress?.(next);
    return next;
  }

  /** Whether a read issued after `sequence` found the object gone: an older copy must not bring it back. */
  goneAfter(id: string, sequence: number): boolean {
    const at = this.gone.get(id);
    return at !== undefined && at > sequence;
  }

  /** A read (issued at `sequence`) found the object gone. */
  markGone(id: string, sequence: number): void {
    this.gone.set(id, Math.max(sequence, this.gone.get(id) ?? 0));
  }

  /** A read issued after the 404 shows the object again (an unarchived contact): it may come back. */
  markSeen(id: string, sequence: number): void {
    const at = this.gone.get(id);
    if (at !== undefined && sequence > at) this.gone.delete(id);
  }

  publish(
    stream: StreamName,
    op: Op,
    reading: Reading & { ok: true },
    prevU: number | null,
    counts: WalkCounts,
  ): void {
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
    if (!emitted.ok) return this.reject(stream, reading.id, reading.object, emitted.error, counts, reading);
    this.d.batch.addEvents(codec.topic, stream, op, [emitted.message]);
    this.d.batch.setObject(stream, reading.id, { u: reading.updatedAtMs, h: reading.hashOf(emitted.raw) });
    counts.published++;
  }

  /** The object is gone: a `d` event, its tombstone, and the state forgets it. */
  remove(stream: StreamName, id: string, counts: WalkCounts): void {
    const prev = this.d.batch.lookup(stream, id);
    if (!prev) return;
    const codec = this.codec(stream);
    this.d.batch.addEvents(
      codec.topic,
      stream,
      'd',
      deleteEvents(this.d.emit, codec, id, prev.u, this.d.clock()),
    );
    this.d.batch.setObject(stream, id, null);
    counts.deleted++;
  }

  /**
   * A bad object: to the dead-letter topic (its state is recorded so it is not re-sent until it
   * changes), or, under errors.tolerance=none, the stream stops.
   */
  reject(
    stream: StreamName,
    id: string,
    object: unknown,
    error: Error,
    counts: WalkCounts,
    reading?: Reading & { ok: true },
  ): void {
    if (this.d.tolerance === 'none') {
      throw new CdcError(`${stream} ${id}: ${error.message} (errors.tolerance=none stops the stream)`, {
        code: 'bad_object',
        kind: 'system',
        cause: error,
      });
    }
    this.d.logger.warn({ stream, id, err: error.message }, 'object sent to the dead-letter topic');
    this.d.batch.deadLetter(stream, deadLetter(stream, id, object, error, this.d.clock()));
    if (reading) this.d.batch.setObject(stream, id, { u: reading.updatedAtMs, h: reading.hash });
    counts.deadLetters++;
  }

  private codec(stream: StreamName): StreamCodec {
    const codec = this.d.codecs.get(stream);
    if (!codec) throw new CdcError(`no codec for stream ${stream}`, { code: 'internal', kind: 'system' });
    return codec;
  }
}

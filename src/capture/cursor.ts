import type { StreamName } from '../streams/names';
import type { ChangeBatch } from './batch';
import type { SnapshotProgress, StreamProgress } from './contracts';
import { addDone, type Slice } from './slices';

/**
 * The one writer of a stream's progress (its offset context). Every walk of the stream tells the cursor
 * what it finished, and the cursor adds the progress record to the stream's batch after whatever the
 * walk added before it. Contract:
 * - Progress is only ever written here; `progress` is the stream's progress with what walks of this
 *   run have recorded and not yet committed, the committed progress before that.
 * - A walk tells its cursor only after every read it made was decided on (its fetches drained), and the
 *   batch commits parts in order: so a watermark, a done slice or a reconciliation time never commits
 *   before the events it covers, and a crash at any instant re-reads what was not committed.
 * - The watermark never moves back.
 */
export class StreamCursor {
  private current: StreamProgress | undefined;

  constructor(
    readonly stream: StreamName,
    private readonly batch: Pick<ChangeBatch, 'setProgress'>,
    /** The stream's progress as committed (the store's). */
    private readonly committed: () => StreamProgress,
    /** Told of every progress written (metrics). */
    private readonly onProgress?: (progress: StreamProgress) => void,
  ) {}

  get progress(): StreamProgress {
    return this.current ?? this.committed();
  }

  /**
   * The first sync under way, or a new one from `watermark` (the newest `updated_at` before it started)
   * in `unit` slices; nothing is written until a slice is done.
   */
  snapshotPlan(watermark: number, unit: SnapshotProgress['unit']): SnapshotProgress {
    return this.progress.snapshot ?? { watermark, unit, done: [] };
  }

  /** A slice of the first sync was walked and decided on: recorded, so a restart does not walk it again. */
  sliceDone(plan: SnapshotProgress, slice: Slice): void {
    const snapshot = this.progress.snapshot ?? plan;
    this.write({ snapshot: { ...snapshot, done: addDone(snapshot.done, slice) } });
  }

  /**
   * The first sync is complete: incremental windows start from `watermark`, and a reconciliation is due
   * at once (offset-paged listings can skip an object that moves while they page).
   */
  snapshotDone(watermark: number): void {
    this.write({ watermark, lastReconcile: null, snapshotDone: true, snapshot: undefined });
  }

  /** An incremental window was decided on: the watermark moves to the newest `updated_at` it saw. */
  windowDone(newest: number | null): void {
    this.write({ watermark: maxOf(this.progress.watermark, newest) });
  }

  /** A full scan (every object listed, deletes found) was decided on at `nowMs`. */
  scanDone(newest: number | null, nowMs: number): void {
    this.write({
      watermark: maxOf(this.progress.watermark, newest),
      lastReconcile: nowMs,
      snapshotDone: true,
    });
  }

  /** A reconciliation was decided on at `nowMs`. */
  reconciled(nowMs: number): void {
    this.write({ lastReconcile: nowMs });
  }

  private write(patch: Partial<StreamProgress>): void {
    const next: StreamProgress = { ...this.progress, ...patch };
    if ('snapshot' in patch && patch.snapshot === undefined) delete next.snapshot;
    this.current = next;
    this.batch.setProgress(this.stream, next);
    this.onProgress?.(next);
  }
}

function maxOf(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.max(a, b);
}

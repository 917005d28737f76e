/**
 * Compact state of one stream: a row per object ever created, in creation order, held in typed arrays
 * (about 25 bytes per row). The JSON of a row is rebuilt on demand from (seed, row, version).
 */
export const FLAG_DELETED = 1;
export const FLAG_MERGED = 2;
/** Archived contacts: gone from every read like a delete, but kept so they can be unarchived. */
export const FLAG_ARCHIVED = 4;

export class RowTable {
  length = 0;
  createdAt: Uint32Array;
  updatedAt: Uint32Array;
  version: Uint32Array;
  /** Sim ms of the last create/update: search sees the row only once the index lag has passed. */
  changedAtMs: Float64Array;
  flags: Uint8Array;
  /** Whether `createdAt` never decreases with the row (rows are appended as they are created, unless
   * the clock was set back): then a range of `created_at` is a range of rows (see search/run.ts). */
  createdInOrder = true;

  constructor(capacity = 16) {
    const size = Math.max(16, capacity);
    this.createdAt = new Uint32Array(size);
    this.updatedAt = new Uint32Array(size);
    this.version = new Uint32Array(size);
    this.changedAtMs = new Float64Array(size);
    this.flags = new Uint8Array(size);
  }

  /** Appends a row and returns its number. */
  push(createdAt: number, updatedAt: number, changedAtMs: number): number {
    if (this.length === this.flags.length) this.grow();
    const row = this.length++;
    if (row > 0 && createdAt < (this.createdAt[row - 1] as number)) this.createdInOrder = false;
    this.createdAt[row] = createdAt;
    this.updatedAt[row] = updatedAt;
    this.changedAtMs[row] = changedAtMs;
    return row;
  }

  live(row: number): boolean {
    return row >= 0 && row < this.length && this.flags[row] === 0;
  }

  /** Rows not deleted or merged, in creation order. */
  liveRows(): number[] {
    const rows: number[] = [];
    for (let row = 0; row < this.length; row++) if (this.flags[row] === 0) rows.push(row);
    return rows;
  }

  private grow(): void {
    const size = this.flags.length * 2;
    this.createdAt = resized(this.createdAt, new Uint32Array(size));
    this.updatedAt = resized(this.updatedAt, new Uint32Array(size));
    this.version = resized(this.version, new Uint32Array(size));
    this.changedAtMs = resized(this.changedAtMs, new Float64Array(size));
    this.flags = resized(this.flags, new Uint8Array(size));
  }
}

function resized<T extends Uint32Array | Float64Array | Uint8Array>(from: T, to: T): T {
  to.set(from as never);
  return to;
}

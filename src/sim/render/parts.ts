/**
 * Conversation parts, without holding them: a conversation starts with `initialCount` parts spread
 * evenly up to `initialEnd`; parts added later keep their creation second; redactions are remembered
 * by part id. Part `position` 0 is the oldest.
 */
export class PartsStore {
  private initialCount = new Uint32Array(16);
  private initialEnd = new Uint32Array(16);
  private readonly added = new Map<number, number[]>();
  private readonly redacted = new Map<number, Map<number, number>>();

  /** Records the initial parts of conversation `row` (created at `createdAt`). */
  init(row: number, count: number, end: number): void {
    if (row >= this.initialCount.length) this.grow(row);
    this.initialCount[row] = count;
    this.initialEnd[row] = end;
  }

  count(row: number): number {
    return (this.initialCount[row] ?? 0) + (this.added.get(row)?.length ?? 0);
  }

  /** Appends a part created at `atSec`; returns its position. */
  add(row: number, atSec: number): number {
    const list = this.added.get(row) ?? [];
    list.push(atSec);
    this.added.set(row, list);
    return this.count(row) - 1;
  }

  createdAt(row: number, conversationCreatedAt: number, position: number): number {
    const initial = this.initialCount[row] ?? 0;
    if (position >= initial) return this.added.get(row)?.[position - initial] ?? conversationCreatedAt;
    const end = this.initialEnd[row] ?? conversationCreatedAt;
    return conversationCreatedAt + Math.floor(((position + 1) * (end - conversationCreatedAt)) / initial);
  }

  redact(row: number, position: number, atSec: number): void {
    const map = this.redacted.get(row) ?? new Map<number, number>();
    map.set(position, atSec);
    this.redacted.set(row, map);
  }

  /** The second a part was redacted, if it was. */
  redactedAt(row: number, position: number): number | undefined {
    return this.redacted.get(row)?.get(position);
  }

  private grow(row: number): void {
    let size = this.initialCount.length;
    while (size <= row) size *= 2;
    const count = new Uint32Array(size);
    const end = new Uint32Array(size);
    count.set(this.initialCount);
    end.set(this.initialEnd);
    this.initialCount = count;
    this.initialEnd = end;
  }
}

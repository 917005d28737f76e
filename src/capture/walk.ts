/**
 * Follows a walk over a list that should be sorted by `updated_at` descending (pure). The walk may stop
 * early once it is past the window, but only while every item so far arrived in that order: an API
 * that ignores the sort makes the walk read everything, which is slower and still correct.
 */
export class DescendingWalk {
  private previous = Number.POSITIVE_INFINITY;
  private sorted = true;
  private pastWindow = false;
  maxSeen: number | null = null;

  constructor(private readonly startMs: number) {}

  see(updatedAtMs: number | null): void {
    if (updatedAtMs === null) return;
    if (updatedAtMs > this.previous) this.sorted = false;
    this.previous = updatedAtMs;
    if (updatedAtMs < this.startMs) this.pastWindow = true;
    if (this.maxSeen === null || updatedAtMs > this.maxSeen) this.maxSeen = updatedAtMs;
  }

  /** True once an item older than the window was seen and the order held so far. */
  get canStop(): boolean {
    return this.sorted && this.pastWindow;
  }
}

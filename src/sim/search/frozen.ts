import type { SearchableStream } from '../types';

/** The copy of an object the search index keeps while it is frozen (Mutations.freezeSearch). */
export interface FrozenCopy {
  /** The object as search rendered it at the moment of freezing. */
  object: Readonly<Record<string, unknown>>;
  createdAt: number;
  updatedAt: number;
  /** Sim ms from which search shows the truth again. */
  untilMs: number;
}

/**
 * The stale entries of the search index, per stream and row. An entry wins over the row for search
 * only (match, sort, result), including after the row is deleted, until its `untilMs`.
 */
export class SearchFreezes {
  /** Rows search counts and never returns (Mutations.hideFromSearch), per stream. */
  readonly hidden: Record<SearchableStream, Set<number>> = {
    contacts: new Set(),
    conversations: new Set(),
    tickets: new Set(),
  };

  private readonly byStream: Record<SearchableStream, Map<number, FrozenCopy>> = {
    contacts: new Map(),
    conversations: new Map(),
    tickets: new Map(),
  };

  /** Keeps `copy` for `row` (replacing an earlier one). */
  freeze(stream: SearchableStream, row: number, copy: FrozenCopy): void {
    this.byStream[stream].set(row, copy);
  }

  /** The copies search must show at sim time `nowMs`; expired ones are forgotten. */
  active(stream: SearchableStream, nowMs: number): ReadonlyMap<number, FrozenCopy> {
    const copies = this.byStream[stream];
    for (const [row, copy] of copies) if (copy.untilMs <= nowMs) copies.delete(row);
    return copies;
  }
}

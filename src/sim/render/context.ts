import type { RowTable } from '../table';
import type { TableStream, WorkspaceSize } from '../types';
import type { PartsStore } from './parts';

/** What a renderer may read: ids, compact rows, and the workspace's fixed facts. Renderers are pure over it. */
export interface RenderContext {
  readonly seed: number;
  readonly workspaceId: string;
  readonly timezone: string;
  readonly createdAtSec: number;
  /** The size the workspace was generated with: links between objects point into these ranges. */
  readonly size: WorkspaceSize;
  readonly maxParts: number;
  readonly parts: PartsStore;
  table(stream: TableStream): RowTable;
  id(stream: TableStream, row: number): string;
}

/** A stable per-stream number mixed into every hash, so streams never share random sequences. */
export const STREAM_CODE: Record<TableStream, number> = {
  contacts: 1,
  companies: 2,
  conversations: 3,
  tickets: 4,
  admins: 5,
  teams: 6,
  tags: 7,
  segments: 8,
  articles: 9,
  help_center_collections: 10,
  data_attributes: 11,
};

/** Timestamps of a row as the API shows them (Unix seconds). */
export function times(
  ctx: RenderContext,
  stream: TableStream,
  row: number,
): { created: number; updated: number } {
  const t = ctx.table(stream);
  return { created: t.createdAt[row] as number, updated: t.updatedAt[row] as number };
}

/** The row of another stream an object links to, or undefined when that stream is empty. */
export function linked(count: number, pick: number): number | undefined {
  return count > 0 ? pick % count : undefined;
}

import { type IdCodec, idCodecs } from './ids';
import { hash32 } from './rng';
import { renderDataAttribute } from './render/attributes';
import { renderCompany } from './render/companies';
import { renderArticle, renderCollection } from './render/content';
import { type RenderContext, STREAM_CODE } from './render/context';
import { cutEmbedded, renderContact } from './render/contacts';
import { renderConversation } from './render/conversations';
import { renderAdmin, renderSegment, renderTag, renderTeam } from './render/directory';
import { PartsStore } from './render/parts';
import { renderTicket } from './render/tickets';
import { SearchFreezes } from './search/frozen';
import { RowTable } from './table';
import { TABLE_STREAMS, type TableStream, type WorkspaceSize } from './types';

export const DEFAULT_SIZE: WorkspaceSize = {
  contacts: 200,
  companies: 40,
  conversations: 100,
  tickets: 30,
  admins: 8,
  teams: 3,
  tags: 12,
  segments: 6,
  articles: 25,
  collections: 5,
  dataAttributes: 12,
  partsPerConversation: 6,
};

const SIZE_KEY: Record<TableStream, keyof WorkspaceSize> = {
  contacts: 'contacts',
  companies: 'companies',
  conversations: 'conversations',
  tickets: 'tickets',
  admins: 'admins',
  teams: 'teams',
  tags: 'tags',
  segments: 'segments',
  articles: 'articles',
  help_center_collections: 'collections',
  data_attributes: 'dataAttributes',
};

/** How far back generated objects were created, in days. */
const HISTORY_DAYS: Record<TableStream, number> = {
  contacts: 1095,
  companies: 1095,
  conversations: 730,
  tickets: 365,
  admins: 1500,
  teams: 1500,
  tags: 1200,
  segments: 900,
  articles: 900,
  help_center_collections: 900,
  data_attributes: 1200,
};

/** Streams whose objects carry `updated_at`; the others change only in content. */
export const HAS_UPDATED_AT: Record<TableStream, boolean> = {
  contacts: true,
  companies: true,
  conversations: true,
  tickets: true,
  admins: false,
  teams: false,
  tags: false,
  segments: true,
  articles: true,
  help_center_collections: true,
  data_attributes: true,
};

const RENDER: Record<TableStream, (ctx: RenderContext, row: number) => Record<string, unknown>> = {
  contacts: renderContact,
  companies: renderCompany,
  conversations: (ctx, row) => renderConversation(ctx, row, false),
  tickets: renderTicket,
  admins: renderAdmin,
  teams: renderTeam,
  tags: renderTag,
  segments: renderSegment,
  articles: renderArticle,
  help_center_collections: renderCollection,
  data_attributes: renderDataAttribute,
};

export interface WorkspaceConfig {
  seed: number;
  size: WorkspaceSize;
  timezone: string;
  startMs: number;
  maxParts: number;
  workspaceId?: string;
}

/**
 * The simulated workspace: one RowTable per stream plus the sparse patches that mutations with
 * explicit content left. Objects are rendered on demand; `render` is what every endpoint returns.
 */
export class Workspace implements RenderContext {
  readonly seed: number;
  readonly size: WorkspaceSize;
  readonly timezone: string;
  readonly workspaceId: string;
  readonly createdAtSec: number;
  readonly maxParts: number;
  readonly parts = new PartsStore();
  /** Objects whose search-index copy is held stale on demand (Mutations.freezeSearch). */
  readonly searchFreezes = new SearchFreezes();
  private readonly tables = {} as Record<TableStream, RowTable>;
  private readonly patches = {} as Record<TableStream, Map<number, Record<string, unknown>>>;
  private readonly codecs: Record<TableStream, IdCodec>;

  constructor(config: WorkspaceConfig) {
    this.seed = config.seed;
    this.size = config.size;
    this.timezone = config.timezone;
    this.maxParts = config.maxParts;
    this.workspaceId = config.workspaceId ?? `sim${hash32(config.seed, 0x51e).toString(36)}`;
    const startSec = Math.floor(config.startMs / 1000);
    this.createdAtSec = startSec - 1600 * 86_400;
    this.codecs = idCodecs(hash32(config.seed, 0x1d));
    for (const stream of TABLE_STREAMS) {
      this.patches[stream] = new Map();
      this.tables[stream] = this.generate(stream, this.size[SIZE_KEY[stream]], startSec);
    }
  }

  table(stream: TableStream): RowTable {
    return this.tables[stream];
  }

  id(stream: TableStream, row: number): string {
    return this.codecs[stream].encode(row, this.tables[stream].createdAt[row] ?? 0);
  }

  /** The row of a live object with this id, or undefined (unknown, deleted or merged). */
  liveRow(stream: TableStream, id: string): number | undefined {
    const row = this.codecs[stream].decode(id);
    if (row === undefined || !this.tables[stream].live(row) || this.id(stream, row) !== id) return undefined;
    return row;
  }

  /** The row an id names whatever its state (live, deleted, merged, archived), or undefined. */
  rowOf(stream: TableStream, id: string): number | undefined {
    const row = this.codecs[stream].decode(id);
    if (row === undefined || row >= this.tables[stream].length || this.id(stream, row) !== id)
      return undefined;
    return row;
  }

  /**
   * The object as the API returns it now (conversations without parts; see renderConversation; a
   * contact's embedded lists cut at ten items, see cutEmbedded).
   */
  render(stream: TableStream, row: number): Record<string, unknown> {
    const object = this.renderComplete(stream, row);
    return stream === 'contacts' ? cutEmbedded(object) : object;
  }

  /** The object as it is: as `render`, but a contact's embedded lists in full (`has_more` false). */
  renderComplete(stream: TableStream, row: number): Record<string, unknown> {
    return withPatch(RENDER[stream](this, row), this.patches[stream].get(row));
  }

  renderConversationWithParts(row: number): Record<string, unknown> {
    return withPatch(renderConversation(this, row, true), this.patches.conversations.get(row));
  }

  /** Remembers explicit content for a row; later patches merge over earlier ones. */
  patch(stream: TableStream, row: number, patch: Record<string, unknown> | undefined): void {
    if (!patch || Object.keys(patch).length === 0) return;
    this.patches[stream].set(row, withPatch(this.patches[stream].get(row) ?? {}, patch));
  }

  private generate(stream: TableStream, count: number, startSec: number): RowTable {
    const table = new RowTable(count);
    const span = HISTORY_DAYS[stream] * 86_400;
    const code = STREAM_CODE[stream];
    for (let row = 0; row < count; row++) {
      const created = startSec - span + Math.floor((row * span) / Math.max(1, count));
      // Skewed towards recent activity: squaring a uniform draw.
      const u = hash32(this.seed, code, row, 0x7d) / 4294967296;
      const updated = created + Math.floor((1 - u * u) * (startSec - created));
      table.push(created, updated, 0);
      if (stream === 'conversations') this.initParts(row, created, updated);
    }
    return table;
  }

  private initParts(row: number, created: number, updated: number): void {
    const avg = this.size.partsPerConversation;
    const count = avg <= 0 ? 0 : 1 + (hash32(this.seed, 0xa11, row) % Math.max(1, 2 * avg - 1));
    this.parts.init(row, count, updated > created ? updated : created);
  }
}

/** Shallow merge, one level deeper for nested objects such as `custom_attributes`. */
function withPatch(
  base: Record<string, unknown>,
  patch: Record<string, unknown> | undefined,
): Record<string, unknown> {
  if (!patch) return base;
  const out = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? { ...current, ...value } : value;
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

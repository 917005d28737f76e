import type { StreamName } from './names';

/**
 * How each stream is fetched, as data (README, "How it captures"). Streams that differ only in endpoint
 * and shape share one code path in the capture engine.
 *
 * - `search`: incremental windows on `updated_at` through the search endpoint; the first sync lists everything.
 * - `newest-first`: a list sorted by `updated_at` descending; an incremental poll stops once it is past the window.
 * - `full-scan`: list everything every poll and diff by `updated_at`; deletes found every poll.
 * - `snapshot`: small lists without timestamps, diffed by content hash; deletes found every poll.
 * - `children`: conversation parts, read from each conversation that changed.
 */
export type FetchStrategy = 'search' | 'newest-first' | 'full-scan' | 'snapshot' | 'children';

/** One way of listing every object of a stream. */
export type Listing =
  | { paging: 'cursor'; path: string; listKey: string }
  | { paging: 'pages'; path: string; listKey: string }
  | { paging: 'scroll'; path: string; listKey: string }
  | { paging: 'search-all'; path: string; listKey: string }
  | { paging: 'none'; path: string; listKey: string; query?: Record<string, string> };

/**
 * Objects of another stream that come inside this stream's object as its GET returns them (conversation
 * parts inside a conversation). A changed parent is fetched by id; its children are diffed and
 * published with it, in the same transaction.
 */
export interface ChildrenDef {
  stream: StreamName;
  /**
   * The children inside the fetched parent, each with its parent's id (a field of the child's record);
   * an item that is not an object is passed on as it is (the capture dead-letters it).
   */
  extract(parent: Record<string, unknown>, parentId: string): unknown[];
  /** The parent as its own event carries it: without the children, which are their own stream. */
  strip(parent: Record<string, unknown>): Record<string, unknown>;
}

/** The search endpoint of a stream read by `search`, and how its timestamps match. */
export interface SearchDef {
  path: string;
  listKey: string;
  /**
   * Timestamps are matched by calendar day (contacts), so windows reach back a day and snapshot slices
   * are whole days; otherwise by the second.
   */
  dayGranular: boolean;
}

interface CommonDef {
  name: StreamName;
  /** Whether objects carry `updated_at`; without it changes are found by content hash. */
  timestamped: boolean;
  /** Read from each changed object of this stream (see ChildrenDef). */
  children?: ChildrenDef;
  /** Every listing whose union is the whole stream (data attributes: one per model). */
  listings: Listing[];
  /** GET path of one object; a 404 there confirms a delete found by a paginated listing. */
  objectPath?: (id: string) => string;
  /**
   * Fields left out of the content hash: those present in one form of the object and not in another
   * (a conversation's GET carries its parts, its search result does not; parts are their own stream).
   */
  hashOmits?: readonly string[];
  /**
   * Lists embedded in part (at most ten items, `has_more`, the rest at `<objectPath>/<list>`): the
   * capture fetches the rest of each before it publishes the object (src/capture/stream.ts).
   */
  embeddedLists?: readonly string[];
  /** The object's id (undefined: none it can be told apart by); most objects have a string or integer `id`. */
  idOf?: (object: Record<string, unknown>) => string | undefined;
}

/**
 * One stream. The strategy is the one truth of how it is read: only `search` has a search endpoint,
 * only `children` a parent (the type admits nothing else).
 */
export type StreamDef = CommonDef &
  (
    | { strategy: 'search'; search: SearchDef; parent?: undefined }
    | { strategy: 'newest-first' | 'full-scan' | 'snapshot'; search?: undefined; parent?: undefined }
    | {
        strategy: 'children';
        search?: undefined;
        /** The stream this one's objects come inside of. */
        parent: StreamName;
      }
  );

/**
 * Whether a stream is read in windows of `updated_at` after its first sync (and so reconciled on a
 * schedule), rather than listed in full every poll.
 */
export function isWindowed(def: StreamDef): boolean {
  return def.strategy === 'search' || def.strategy === 'newest-first';
}

const one = (path: string) => (id: string) => `${path}/${encodeURIComponent(id)}`;

type Obj = Record<string, unknown>;

/** `GET /conversations/{id}` carries up to 500 parts under `conversation_parts.conversation_parts`. */
const CONVERSATION_PARTS: ChildrenDef = {
  stream: 'conversation_parts',
  extract: (conversation, conversationId) => {
    const container = (conversation.conversation_parts ?? {}) as Obj;
    const parts: unknown[] = Array.isArray(container.conversation_parts) ? container.conversation_parts : [];
    return parts.map((part) =>
      typeof part === 'object' && part !== null && !Array.isArray(part)
        ? { ...part, conversation_id: conversationId }
        : part,
    );
  },
  strip: (conversation) => {
    const container = (conversation.conversation_parts ?? {}) as Obj;
    const { conversation_parts: _parts, ...rest } = conversation;
    const stripped: Obj = {
      ...rest,
      conversation_parts: { type: container.type, total_count: container.total_count },
    };
    const missing = partsNotReturned(conversation);
    if (missing > 0) stripped[PARTS_NOT_RETURNED] = missing;
    return stripped;
  },
};

/**
 * The field that flags a conversation over the API's cap on parts (the 500 most recent): set by the
 * capture, not by Intercom, on the conversation read by id, and left out of its content hash (a search
 * page never carries it).
 */
export const PARTS_NOT_RETURNED = 'parts_not_returned';

/**
 * Parts `statistics.count_conversation_parts` counts beyond those the answer carries; 0 when it carries
 * them all or does not say.
 */
function partsNotReturned(conversation: Obj): number {
  const counted = (conversation.statistics as { count_conversation_parts?: unknown } | null | undefined)
    ?.count_conversation_parts;
  const container = conversation.conversation_parts as Obj | null | undefined;
  const carried = Array.isArray(container?.conversation_parts) ? container.conversation_parts.length : 0;
  return typeof counted === 'number' && Number.isSafeInteger(counted) && counted > carried
    ? counted - carried
    : 0;
}

export const STREAM_DEFS: Record<StreamName, StreamDef> = {
  contacts: {
    name: 'contacts',
    strategy: 'search',
    timestamped: true,
    search: { path: '/contacts/search', listKey: 'data', dayGranular: true },
    listings: [{ paging: 'cursor', path: '/contacts', listKey: 'data' }],
    objectPath: one('/contacts'),
    embeddedLists: ['tags', 'companies', 'notes', 'segments'],
  },
  conversations: {
    name: 'conversations',
    strategy: 'search',
    timestamped: true,
    search: { path: '/conversations/search', listKey: 'conversations', dayGranular: false },
    hashOmits: ['conversation_parts', PARTS_NOT_RETURNED],
    listings: [{ paging: 'cursor', path: '/conversations', listKey: 'conversations' }],
    objectPath: one('/conversations'),
    children: CONVERSATION_PARTS,
  },
  tickets: {
    name: 'tickets',
    strategy: 'search',
    timestamped: true,
    search: { path: '/tickets/search', listKey: 'tickets', dayGranular: false },
    listings: [{ paging: 'search-all', path: '/tickets/search', listKey: 'tickets' }],
    objectPath: one('/tickets'),
  },
  conversation_parts: {
    name: 'conversation_parts',
    strategy: 'children',
    timestamped: true,
    parent: 'conversations',
    listings: [],
  },
  articles: {
    name: 'articles',
    strategy: 'newest-first',
    timestamped: true,
    listings: [{ paging: 'pages', path: '/articles', listKey: 'data' }],
    objectPath: one('/articles'),
  },
  help_center_collections: {
    name: 'help_center_collections',
    strategy: 'newest-first',
    timestamped: true,
    listings: [{ paging: 'pages', path: '/help_center/collections', listKey: 'data' }],
    objectPath: one('/help_center/collections'),
  },
  companies: {
    name: 'companies',
    strategy: 'full-scan',
    timestamped: true,
    listings: [{ paging: 'scroll', path: '/companies/scroll', listKey: 'data' }],
    objectPath: one('/companies'),
  },
  segments: {
    name: 'segments',
    strategy: 'full-scan',
    timestamped: true,
    listings: [{ paging: 'none', path: '/segments', listKey: 'segments' }],
  },
  data_attributes: {
    name: 'data_attributes',
    strategy: 'full-scan',
    timestamped: true,
    listings: ['contact', 'company', 'conversation'].map((model) => ({
      paging: 'none' as const,
      path: '/data_attributes',
      listKey: 'data',
      query: { model },
    })),
    // Data attributes of the built-in models have no id: model and name tell them apart.
    idOf: (o) =>
      idValue(o.id) ??
      (typeof o.model === 'string' && typeof o.name === 'string' ? `${o.model}.${o.name}` : undefined),
  },
  admins: {
    name: 'admins',
    strategy: 'snapshot',
    timestamped: false,
    listings: [{ paging: 'none', path: '/admins', listKey: 'admins' }],
  },
  teams: {
    name: 'teams',
    strategy: 'snapshot',
    timestamped: false,
    listings: [{ paging: 'none', path: '/teams', listKey: 'teams' }],
  },
  tags: {
    name: 'tags',
    strategy: 'snapshot',
    timestamped: false,
    listings: [{ paging: 'none', path: '/tags', listKey: 'data' }],
  },
};

/** The streams read with a stream: itself and its children. */
export function withChildren(stream: StreamName): StreamName[] {
  const children = STREAM_DEFS[stream].children;
  return children ? [stream, children.stream] : [stream];
}

/**
 * The object's id, or undefined when it has none that can be trusted: an id is a non-empty string or a
 * finite number (Intercom's are strings; some are sent as integers). Objects without one cannot be
 * told apart, so the capture sends them to the dead-letter topic instead of guessing.
 */
export function idOf(def: StreamDef, object: Record<string, unknown>): string | undefined {
  return def.idOf ? def.idOf(object) : idValue(object.id);
}

/** A usable id value as a string, or undefined. */
export function idValue(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

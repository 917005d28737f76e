/** Public types of the Intercom API simulator (see index.ts for the entry points). */

/**
 * The simulator's own model of what Intercom holds (it imports nothing of the connector, so that it can
 * catch the connector's mistakes): each stream and where its objects live, in a table of their own or
 * inside their parent's rows (conversation parts inside conversations). A test checks that these are the
 * streams the connector captures.
 */
const STORED_IN = {
  contacts: 'table',
  companies: 'table',
  conversations: 'table',
  tickets: 'table',
  admins: 'table',
  teams: 'table',
  tags: 'table',
  segments: 'table',
  articles: 'table',
  help_center_collections: 'table',
  data_attributes: 'table',
  conversation_parts: 'conversations',
} as const;

export type SimStream = keyof typeof STORED_IN;

/** The streams held as rows of their own; conversation parts live inside their conversations. */
export type TableStream = { [S in SimStream]: (typeof STORED_IN)[S] extends 'table' ? S : never }[SimStream];

export const SIM_STREAMS = Object.keys(STORED_IN) as readonly SimStream[];

export const TABLE_STREAMS = SIM_STREAMS.filter(
  (s): s is TableStream => STORED_IN[s] === 'table',
) as readonly TableStream[];

export interface WorkspaceSize {
  contacts: number;
  companies: number;
  conversations: number;
  tickets: number;
  admins: number;
  teams: number;
  tags: number;
  segments: number;
  articles: number;
  collections: number;
  dataAttributes: number;
  /** Average number of parts a generated conversation starts with. */
  partsPerConversation: number;
}

export interface RateLimitOptions {
  limit: number;
  /** Window length, real (wall) milliseconds; default 10,000. */
  windowMs?: number;
}

/**
 * A delay added to every API answer, on real (wall) time: log-normal with median `ms` and a tail fitted
 * so that its 99th percentile is `p99Ms` (absent or equal to `ms`: every answer takes `ms`). Search pages
 * (`POST …/search`) use `searchMs` (default `ms`) and `searchP99Ms` (default: `searchMs` with the same
 * tail shape as GETs, i.e. the same p99/median ratio). 0 = no delay. Draws come from a generator seeded
 * by the workspace seed. The delay runs after the rate limiter counted the request (Intercom counts at
 * arrival) and after the answer was computed (it shows the workspace as it was on arrival), before it
 * is written; `/_sim/` admin routes are never delayed. Every value is a non-negative number of ms and
 * each p99 is at least its median (otherwise a ConfigError).
 */
export interface LatencyOptions {
  ms: number;
  p99Ms?: number;
  searchMs?: number;
  searchP99Ms?: number;
}

export interface OAuthOptions {
  clientId: string;
  clientSecret: string;
  /** Also return `refresh_token` and `expires_in`, expire access tokens, honour the refresh grant. */
  refresh?: boolean;
  /** Lifetime of access tokens in refresh mode, real seconds; default 3600. */
  expiresInSec?: number;
}

export interface SimulatorOptions {
  /** Default 1; same seed => same workspace and same mutations. */
  seed?: number;
  size?: Partial<WorkspaceSize>;
  /** IANA workspace timezone, default 'UTC'. */
  timezone?: string;
  /** Which day contact search matches timestamps by; default 'workspace'. */
  dayBoundary?: 'workspace' | 'utc';
  /** Default 0. New and updated records stay invisible to SEARCH (not to lists or GET by id) for this long, in sim time. */
  searchLagMs?: number;
  /** Default manual, starting 2026-01-05T00:00:00Z. */
  clock?: { mode: 'manual'; startMs?: number } | { mode: 'real' };
  /** Default null = unlimited (headers still sent, against 1,000,000 per window). Windows run on real time. */
  rateLimit?: RateLimitOptions | null;
  /** Accept only this bearer token; default: any non-empty token. */
  token?: string;
  /**
   * The only `Intercom-Version` accepted (a workspace pinned to one version); default: every version
   * Intercom serves (1.0–1.4, 2.0–2.14, `Unstable`), all answered with 2.14's shapes. Another value gets
   * 400 `intercom_version_invalid`. A missing header means the app default (accepted).
   */
  apiVersion?: string;
  oauth?: OAuthOptions;
  /** Parts returned by GET /conversations/{id}: the most recent ones; default 500. */
  maxParts?: number;
  /** App `id_code` returned by /me; default derived from the seed. */
  workspaceId?: string;
  /** Default none. Per-answer delay, see LatencyOptions; `RunningSimulator.setLatency` changes it at runtime. */
  latency?: LatencyOptions | null;
  /** Default none: no webhooks. Posts a signed notification of each change to a URL (see WebhookOptions). */
  webhooks?: WebhookOptions;
  /** The wall clock for rate-limit windows, token and code expiry, scroll expiry; default Date.now (tests inject one). */
  wallClock?: () => number;
}

export interface ChangeRecord {
  seq: number;
  stream: SimStream;
  id: string;
  op: 'c' | 'u' | 'd';
  /** Unix seconds as the API shows it after the change; null for objects without `updated_at` and for deletes. */
  updatedAt: number | null;
  /** Sim time of the change, epoch ms. */
  atMs: number;
  /** The conversation of a conversation part. */
  parentId?: string;
}

export interface GroundTruth {
  log(): readonly ChangeRecord[];
  /** Live ids now (not deleted, not merged). */
  ids(stream: SimStream): string[];
  /**
   * The object exactly as the API would return it now (conversations with their parts), but a
   * contact's embedded lists (tags, companies, notes) in full, with `has_more` false: what a capture
   * that reads the rest of each list publishes.
   */
  get(stream: SimStream, id: string): Record<string, unknown> | undefined;
  /** Archived ids now (contacts: `mutate.archive` or `POST /contacts/{id}/archive`); absent from `ids` and `get`. */
  archived(stream: SimStream): string[];
}

/** The streams with a search endpoint (`POST /contacts/search`, `/conversations/search`, `/tickets/search`). */
export type SearchableStream = 'contacts' | 'conversations' | 'tickets';

export interface Mutations {
  /** Creates an object at clock.now() and returns its id. Overrides are merged over the generated JSON
   * (`conversation_parts` accept `conversation_id` to choose the conversation). */
  create(stream: SimStream, overrides?: Record<string, unknown>): string;
  /** Bumps `updated_at` to now where the object has one and changes its content; conversations get a new part;
   * a conversation part is redacted. */
  update(stream: SimStream, id: string, patch?: Record<string, unknown>): void;
  /** Hard delete / archive: the object disappears from everything. */
  remove(stream: SimStream, id: string): void;
  /** Contacts: `from` vanishes from list and search; `into` is updated. */
  merge(fromContactId: string, intoContactId: string): void;
  /** Contacts: like `remove` (logged `d`, gone from every read), but kept for `unarchive`. Archiving an
   * archived contact does nothing. */
  archive(contactId: string): void;
  /** Contacts: an archived contact comes back with `updated_at` = now, logged `c`; a live one is left alone. */
  unarchive(contactId: string): void;
  /**
   * A stale search index on demand. From now until `forMs` of SIM time have passed, the search endpoint
   * of `stream` keeps the object exactly as it is rendered now: its results show that copy, and queries
   * and sort match against it, even after the object is updated, deleted, merged or archived meanwhile
   * (a deleted object stays listed). Lists, GET by id and the ground truth show the truth throughout;
   * afterwards search does too. The frozen copy counts as indexed whatever `searchLagMs` says. Freezing
   * a frozen object takes a new copy and a new end. Logs no change. The object must be live.
   * Two versions sharing one second: update (v1), freezeSearch(…, 90_000), update again in the same
   * second (v2): search shows v1 for 90 s while GET shows v2, with the same `updated_at`. An object
   * deleted while search keeps listing it: freezeSearch, then remove.
   */
  freezeSearch(stream: SearchableStream, id: string, forMs: number): void;
  /**
   * A gap in the search index on demand: from now on the search endpoint of `stream` counts the object
   * in `total_count` but never returns it in a page (lists, GET by id and the ground truth still show
   * it). Logs no change. The object must be live.
   */
  hideFromSearch(stream: SearchableStream, id: string): void;
  /**
   * Adds `count` parts to a conversation at once (one `u` of the conversation, a `c` per part): with more
   * than `maxParts` in all, GET returns only the latest `maxParts` while
   * `statistics.count_conversation_parts` counts them all. Returns the new parts' ids.
   */
  addParts(conversationId: string, count: number): string[];
  /** `count` random mutations at clock.now() (same-second bursts when called without advancing). */
  random(count: number, opts?: { streams?: SimStream[] }): void;
  /** Advances the clock in steps of `stepMs`, doing `perStep` random mutations after each step. */
  run(opts: { durationMs: number; stepMs: number; perStep: number; streams?: SimStream[] }): void;
}

export interface FaultMatch {
  method?: string;
  path?: string | RegExp;
}

export type FaultSpec =
  | { kind: 'status'; status: number; match?: FaultMatch; times?: number }
  | {
      kind: 'reset' | 'timeout' | 'truncated' | 'malformed' | 'wrongVersion';
      match?: FaultMatch;
      times?: number;
    }
  | { kind: 'badTimestamp'; field: string; match?: FaultMatch; times?: number }
  /** A 429 as Intercom's limiter sends it (`X-RateLimit-*` with 0 remaining, reset `retryAfterSec` from
   * now), before the route runs; `Retry-After` too when `retryAfterHeader` (undocumented by Intercom). */
  | {
      kind: 'rateLimited';
      retryAfterSec?: number;
      retryAfterHeader?: boolean;
      match?: FaultMatch;
      times?: number;
    }
  /** Adversarial payloads: the objects with these ids, wherever they appear in a good answer, are
   * changed as `objects[id]` says (the workspace itself keeps its good version). */
  | { kind: 'corrupt'; objects: Record<string, ObjectCorruption>; match?: FaultMatch; times?: number }
  /** Items put first into every list of a good answer (a top-level array): `null`, objects without an
   * id, or anything else an API should never send. */
  | { kind: 'extraItems'; items: unknown[]; match?: FaultMatch; times?: number }
  /** A good answer without its list: every top-level array removed (`type`, `pages`, `total_count`
   * stay), as a 200 that lost its `data`. */
  | { kind: 'dropList'; match?: FaultMatch; times?: number }
  /** A good answer whose `total_count` lies: `value` instead of the true count (when it has one). */
  | { kind: 'totalCount'; value: number; match?: FaultMatch; times?: number };

/** How one object is spoiled in an answer. */
export interface ObjectCorruption {
  /** Dot paths (`name`, `custom_attributes.deep`) → the value sent instead; intermediate objects are
   * created. A value `{ $json: text }` is spliced in as raw JSON text (e.g. nesting deeper than
   * JSON.stringify can write); `{ $bytes: [..] }` becomes a string of those raw bytes, so the body is
   * no longer valid UTF-8. */
  set?: Record<string, unknown>;
  /** Top-level fields removed from the object. */
  remove?: string[];
}

export interface Faults {
  /** Queues a fault for the next `times` (default 1; Infinity allowed) API requests it matches. */
  add(f: FaultSpec): void;
  clear(): void;
}

export interface SimStats {
  requests: number;
  byStatus: Record<string, number>;
  byRoute: Record<string, number>;
  rateLimited: number;
  /** API requests that came without an `Intercom-Version` header. */
  missingVersion: number;
  /** API requests whose answer was written in full (not those the client gave up on, nor reset or held by a fault). */
  answered: number;
  /** API requests being served now: arrived, not yet answered or abandoned (latency included). */
  inFlight: number;
  /** The most API requests ever served at once since the start. */
  maxInFlight: number;
}

/** Where the simulator posts its webhook notifications, signed with which secret, with which faults. */
export interface WebhookOptions {
  /** The subscription's endpoint, e.g. http://127.0.0.1:8090/webhooks. */
  url: string;
  /** The app's client secret: the key of X-Hub-Signature. */
  secret: string;
  /** Deliveries of one notification before it is abandoned (non-2xx or no answer in 5 s); default 3. */
  maxAttempts?: number;
  /** Real ms before a notification is delivered again; default 1000. */
  retryDelayMs?: number;
  faults?: WebhookFaults;
}

/** Webhook faults, each off by default. Delays are real ms. */
export interface WebhookFaults {
  /** Every delivery waits this long (late notifications). */
  delayMs?: number;
  /** Plus a random 0..jitterMs each: deliveries arrive out of order within that span. */
  jitterMs?: number;
  /** Share of notifications delivered twice (same id, same body), 0 to 1. */
  duplicateRate?: number;
  /** Share of notifications followed by a forged one (another item, signed with a key not the app's), 0 to 1. */
  forgedRate?: number;
}

/** What the webhook sender did. */
export interface WebhookStats {
  /** Notifications made (one per change Intercom notifies). */
  notifications: number;
  /** Requests sent, retries, duplicates and forgeries included. */
  deliveries: number;
  duplicates: number;
  forged: number;
  /** Notifications given up after maxAttempts. */
  abandoned: number;
  /** Answers by HTTP status (`error`: none within 5 s, or no connection). */
  byStatus: Record<string, number>;
}

/** The webhook sender of a running simulator. */
export interface SimWebhooks {
  stats(): WebhookStats;
  /** Resolves once nothing is waiting to be delivered or in flight. */
  idle(): Promise<void>;
}

export interface RunningSimulator {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** Sim time, epoch ms. */
  readonly clock: { now(): number; advance(ms: number): void; set(ms: number): void };
  readonly mutate: Mutations;
  readonly truth: GroundTruth;
  readonly faults: Faults;
  setRateLimit(rl: RateLimitOptions | null): void;
  /** Replaces the per-answer latency (null: none) for requests arriving from now; ConfigError when invalid. */
  setLatency(latency: LatencyOptions | null): void;
  stats(): SimStats;
  /** Present when started with `webhooks`. */
  readonly webhooks?: SimWebhooks;
  close(): Promise<void>;
}

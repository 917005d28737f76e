import { AvroWriter } from './avro-writer';
import { deadLetterCopy, type DeadLetterCopy } from './bounded-json';
import { contentHash, hashOfCanonical } from './hash';
import { safeCanonicalJson } from './inspect';
import { writeRecord } from './record-writer';
import { toEpochMillis } from './timestamp';

/**
 * Reading an object as Intercom returned it: everything the capture's diff and events need of it, so
 * that the object itself can be dropped once read (pure; this is the work the capture's worker threads
 * do, src/capture/prepare.ts): its `updated_at` in epoch ms, its content hash, its canonical JSON as
 * UTF-8 (the event's `raw`) and its typed record in Avro binary (the event's `after`). A reading is plain
 * data (strings, numbers, byte views), so that it crosses threads by structured clone. The object given
 * is already under its stream's field policy (src/normalize/policy.ts; prepare.ts applies it first), so
 * that every copy made here, the dead letter's too, is of the policed object.
 */

/** What a reading needs to know of the object's stream. */
export interface ReadingRules {
  name: string;
  /** Whether objects carry `updated_at`. */
  timestamped: boolean;
  /** Fields left out of the content hash (present in one form of the object and not in another). */
  hashOmits?: readonly string[];
  /**
   * Lists the object embeds in part (a contact's `tags`, `companies`, `notes`, `segments`: at most ten
   * items, with `has_more` and the URL of the rest); see `incomplete`.
   */
  embeddedLists?: readonly string[];
}

/** Whether a value is a JSON object (not null, not an array): what an API object must be. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Why an object cannot be published as it is: what a dead letter says (message and code). */
export interface Problem {
  message: string;
  code: string;
}

/** An object read: the values the diff needs and the bytes of its event. */
export interface GoodReading {
  ok: true;
  id: string;
  updatedAtMs: number | null;
  /** The content hash (sha256 of the canonical JSON, base64url; see src/normalize/hash.ts). */
  hash: string;
  /** The object's canonical JSON (keys sorted at every depth), UTF-8: the event's `raw`. */
  json: Uint8Array;
  /** The object as the stream's record, in Avro binary (`after`); null when it does not fit the record. */
  after: Uint8Array | null;
  /** Why `after` is null: the object goes to the dead-letter topic when a decision publishes it. */
  unmapped: Problem | null;
  /**
   * The embedded lists (ReadingRules.embeddedLists) that say `has_more: true`: the capture fetches the
   * rest before it publishes the object. Absent when none does.
   */
  incomplete?: string[];
}

/** An object that could not be read (too deep, not valid Unicode, a bad `updated_at`, not an object). */
export interface FailedReading {
  ok: false;
  /** The object's id, or '' when it has none that can be trusted. */
  id: string;
  error: Problem;
  /** The dead letter's copy of the object as it came. */
  copy: DeadLetterCopy;
}

/** An object read, or why it could not be. */
export type Reading = GoodReading | FailedReading;

/** Writes the readings of the thread that has no writer of its own to pass (see `read`). */
const shared = new AvroWriter();

/**
 * Reads an object: its canonical JSON, `updated_at`, content hash and record. An object too deep or not
 * valid Unicode, or a bad `updated_at`, makes a failed reading (a dead letter); an object that does not
 * fit its record reads with `after` null and the mapping error in `unmapped`. The hash leaves out the
 * fields a stream names in `hashOmits`, so that every form the API returns one version in (list,
 * search, GET) hashes alike. The bytes are views of `w`'s slabs (never written over).
 */
export function read(
  rules: ReadingRules,
  record: object,
  id: string,
  object: Record<string, unknown>,
  w: AvroWriter = shared,
): Reading {
  let text: string;
  let updatedAtMs: number | null;
  try {
    // First, before any other recursive step (mapping): too deep or not valid Unicode → dead letter.
    text = safeCanonicalJson(object, rules.name);
    updatedAtMs = rules.timestamped ? toEpochMillis(object.updated_at, `${rules.name}.updated_at`) : null;
  } catch (error) {
    return failed(id, error, object);
  }
  w.start();
  w.string(text);
  const at = w.lastStringOffset;
  const json = w.finish().subarray(at);
  const hash = rules.hashOmits ? contentHash(omit(object, rules.hashOmits)) : hashOfCanonical(json);
  let after: Uint8Array | null = null;
  let unmapped: Problem | null = null;
  try {
    w.start();
    writeRecord(w, record, object, rules.name);
    after = w.finish();
  } catch (error) {
    unmapped = problemOf(error);
  }
  const incomplete = rules.embeddedLists?.filter(
    (key) => (object[key] as { has_more?: unknown })?.has_more === true,
  );
  return incomplete?.length
    ? { ok: true, id, updatedAtMs, hash, json, after, unmapped, incomplete }
    : { ok: true, id, updatedAtMs, hash, json, after, unmapped };
}

/** A failed reading of `object` (kept as the dead letter's bounded copy). */
export function failed(id: string, error: unknown, object: unknown): FailedReading {
  return { ok: false, id, error: problemOf(error), copy: deadLetterCopy(object) };
}

/** The same reading without an `updated_at` to order it by (one that cannot be trusted). */
export function untimed(reading: GoodReading): GoodReading {
  return { ...reading, updatedAtMs: null };
}

/** The `updated_at` of an object in epoch ms, or null when it has none that reads. */
export function updatedAtOf(rules: ReadingRules, object: Record<string, unknown>): number | null {
  if (!rules.timestamped) return null;
  try {
    return toEpochMillis(object.updated_at, `${rules.name}.updated_at`);
  } catch {
    return null;
  }
}

/** The message and code of any thrown value (`fallbackCode` when it has no string code). */
export function problemOf(error: unknown, fallbackCode = 'unknown'): Problem {
  const e = error as { message?: unknown; code?: unknown };
  return {
    message: typeof e?.message === 'string' ? e.message : String(error),
    code: typeof e?.code === 'string' ? e.code : fallbackCode,
  };
}

function omit(object: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const copy = { ...object };
  for (const key of keys) delete copy[key];
  return copy;
}

import { contentHash, hashOfCanonical } from './hash';
import { safeCanonicalJson } from './inspect';
import { toEpochMillis } from './timestamp';

/**
 * Reading an object as Intercom returned it: its canonical JSON, its `updated_at` in epoch ms and its
 * content hash, the three values the capture's diff and events need (pure).
 */

/** What a reading needs to know of the object's stream. */
export interface ReadingRules {
  name: string;
  /** Whether objects carry `updated_at`. */
  timestamped: boolean;
  /** Fields left out of the content hash (present in one form of the object and not in another). */
  hashOmits?: readonly string[];
}

/** Whether a value is a JSON object (not null, not an array): what an API object must be. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An object read from Intercom, with the two values the diff needs, or why they could not be read. */
export type Reading =
  | {
      ok: true;
      id: string;
      object: Record<string, unknown>;
      updatedAtMs: number | null;
      hash: string;
      /** The object's canonical JSON (keys sorted at every depth): the event's `raw`. */
      json: string;
      /** The hash, from the UTF-8 bytes of `json` when they were written already (the event's raw). */
      hashOf(jsonBytes: Uint8Array | null): string;
      /** The same reading without an `updated_at` to order it by (one that cannot be trusted). */
      untimed(): Reading & { ok: true };
    }
  | { ok: false; id: string; object: unknown; error: Error };

/**
 * Reads the canonical JSON, `updated_at` and content hash of an object; an object too deep or not valid
 * Unicode, or a bad `updated_at`, makes a failed reading (a dead letter). The hash leaves out the fields
 * a stream names in `hashOmits`, so that every form the API returns one version in (list, search, GET)
 * hashes alike.
 */
export function read(rules: ReadingRules, id: string, object: Record<string, unknown>): Reading {
  try {
    // First, before any other recursive step (mapping): too deep or not valid Unicode → dead letter.
    const json = safeCanonicalJson(object, rules.name);
    const updatedAtMs = rules.timestamped
      ? toEpochMillis(object.updated_at, `${rules.name}.updated_at`)
      : null;
    return new GoodReading(id, object, updatedAtMs, json, rules.hashOmits);
  } catch (error) {
    return { ok: false, id, object, error: error as Error };
  }
}

/**
 * A reading whose hash is computed when first asked for: the diff needs it only when `updated_at`
 * cannot decide, and the state records it once the object is published, when the canonical JSON was
 * just written as the event's `raw`: the hash is then taken of those bytes (hashOf), not encoded to
 * UTF-8 a second time. The canonical JSON serves both, unless the stream's hash leaves fields out.
 */
class GoodReading {
  readonly ok = true as const;
  private memo: string | undefined;

  constructor(
    readonly id: string,
    readonly object: Record<string, unknown>,
    readonly updatedAtMs: number | null,
    readonly json: string,
    private readonly omits: readonly string[] | undefined,
  ) {}

  get hash(): string {
    this.memo ??= this.omits ? contentHash(omit(this.object, this.omits)) : hashOfCanonical(this.json);
    return this.memo;
  }

  hashOf(jsonBytes: Uint8Array | null): string {
    if (this.memo === undefined && jsonBytes !== null && !this.omits) this.memo = hashOfCanonical(jsonBytes);
    return this.hash;
  }

  untimed(): GoodReading {
    return new GoodReading(this.id, this.object, null, this.json, this.omits);
  }
}

function omit(object: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const copy = { ...object };
  for (const key of keys) delete copy[key];
  return copy;
}

import { createHash } from 'node:crypto';

/**
 * Canonical JSON of a JSON value: object keys sorted by code unit at every depth, no whitespace.
 * Otherwise JSON.stringify's rules apply (toJSON is honoured; undefined, functions and symbols are
 * dropped from objects and become null in arrays; NaN and Infinity become null). Two values that
 * differ only in key order have the same canonical JSON.
 */
export function canonicalJson(value: unknown): string {
  return write(value) ?? 'null';
}

/**
 * The content hash of a JSON value: sha256 of its canonical JSON, base64url (43 characters). Stable
 * across key order and processes; any change of a value, a key or an array's order changes it. The
 * state keeps it for objects without a reliable `updated_at` (admins, teams, tags).
 */
export function contentHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('base64url');
}

function write(value: unknown): string | undefined {
  if (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { toJSON?: unknown }).toJSON === 'function'
  ) {
    return write((value as { toJSON(): unknown }).toJSON());
  }
  if (Array.isArray(value)) return `[${value.map((item) => write(item) ?? 'null').join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries: string[] = [];
    for (const key of Object.keys(value).sort()) {
      const text = write((value as Record<string, unknown>)[key]);
      if (text !== undefined) entries.push(`${JSON.stringify(key)}:${text}`);
    }
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) as string | undefined;
}

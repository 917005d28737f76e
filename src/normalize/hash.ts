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

/** Keys that JSON.stringify would write as they are (the common case), to skip escaping them. */
const PLAIN_KEY = /^[A-Za-z0-9_$.-]*$/;

/**
 * Canonical JSON by string concatenation (V8 joins ropes cheaply), keys sorted once per object and
 * quoted without JSON.stringify when they need no escaping. Same output as sorting and stringifying.
 */
function write(value: unknown): string | undefined {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      break;
    case 'bigint':
      return JSON.stringify(value) as string; // throws, as JSON.stringify does
    default:
      return undefined; // undefined, functions, symbols
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function')
    return write((value as { toJSON(): unknown }).toJSON());
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      out += write(value[i]) ?? 'null';
    }
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    const text = write(record[key]);
    if (text === undefined) continue;
    if (!first) out += ',';
    first = false;
    out += PLAIN_KEY.test(key) ? `"${key}":` : `${JSON.stringify(key)}:`;
    out += text;
  }
  return `${out}}`;
}

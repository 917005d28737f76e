import * as crypto from 'node:crypto';

/**
 * Canonical JSON of a JSON value: object keys sorted by code unit at every depth, no whitespace.
 * Otherwise JSON.stringify's rules apply (toJSON is honoured; undefined, functions and symbols are
 * dropped from objects and become null in arrays; NaN and Infinity become null). Two values that
 * differ only in key order have the same canonical JSON.
 */
export function canonicalJson(value: unknown): string {
  return write(value, 0, Infinity) ?? 'null';
}

/** Thrown by the writer at an object or array nested `maxDepth` levels deep. */
const TOO_DEEP = new Error('nested too deep');

/**
 * The canonical JSON of `value`, or undefined when an object or array in it is nested `maxDepth` levels
 * deep or more (the root is at level 0): the walk stops there, so that no depth overflows the stack.
 */
export function canonicalJsonWithin(value: unknown, maxDepth: number): string | undefined {
  try {
    return write(value, 0, maxDepth) ?? 'null';
  } catch (error) {
    if (error === TOO_DEEP) return undefined;
    throw error;
  }
}

/**
 * The content hash of a JSON value: sha256 of its canonical JSON, base64url (43 characters). Stable
 * across key order and processes; any change of a value, a key or an array's order changes it. The
 * state keeps it for objects without a reliable `updated_at` (admins, teams, tags).
 */
export function contentHash(value: unknown): string {
  return hashOfCanonical(canonicalJson(value));
}

/** The content hash of a value whose canonical JSON is `canonical`, as text or as its UTF-8 bytes (the
 * same digest: the hash is taken of the UTF-8 bytes). */
export function hashOfCanonical(canonical: string | Uint8Array): string {
  return oneShot
    ? oneShot('sha256', canonical, 'base64url')
    : crypto.createHash('sha256').update(canonical).digest('base64url');
}

/** `crypto.hash` (Node 20.12 and later): the same digest without a Hash object per call. */
const oneShot = (
  crypto as { hash?: (algorithm: string, data: string | Uint8Array, encoding: 'base64url') => string }
).hash;

/** A key as canonical JSON writes it before its value (quoted once per object shape, see orderOf). */
function quote(key: string): string {
  return `${JSON.stringify(key)}:`;
}

/**
 * The sorted order of one list of keys, with each key already quoted (`"key":`, and `,"key":` for a
 * key after the first), so that objects of one shape (every contact of a page has the same keys in
 * the same order) are sorted and quoted once.
 */
interface KeyOrder {
  keys: readonly string[];
  sorted: readonly string[];
  first: readonly string[];
  later: readonly string[];
}

/**
 * Key orders met so far, by first and then last key (most Intercom objects start with `type`, so the
 * first key alone says little; keys parsed from JSON are internalized strings, whose hash V8 keeps, so
 * the two look-ups build no string). Each bucket holds a few shapes and replaces its oldest when full;
 * the whole cache is cleared when it grows past its cap.
 */
const orders = new Map<string, Map<string, KeyOrder[]>>();
let ordersHeld = 0;
const MAX_ORDERS = 4096;
const SHAPES_PER_BUCKET = 8;

function orderOf(keys: string[]): KeyOrder {
  const n = keys.length;
  const head = keys[0]!;
  const tail = keys[n - 1]!;
  let byTail = orders.get(head);
  let shapes = byTail?.get(tail);
  if (shapes !== undefined) {
    next: for (const order of shapes) {
      const known = order.keys;
      if (known.length !== n) continue;
      for (let i = 1; i < n - 1; i++) if (known[i] !== keys[i]) continue next;
      return order;
    }
  }
  const sorted = keys.slice().sort();
  const order: KeyOrder = {
    keys,
    sorted,
    first: sorted.map(quote),
    later: sorted.map((key) => `,${quote(key)}`),
  };
  if (ordersHeld >= MAX_ORDERS) {
    orders.clear();
    ordersHeld = 0;
    byTail = undefined;
    shapes = undefined;
  }
  if (byTail === undefined) orders.set(head, (byTail = new Map()));
  if (shapes === undefined) byTail.set(tail, (shapes = []));
  if (shapes.length >= SHAPES_PER_BUCKET) shapes.shift();
  else ordersHeld++;
  shapes.push(order);
  return order;
}

/**
 * Canonical JSON by string concatenation (V8 joins ropes cheaply), with each shape of object sorted
 * and its keys quoted once (orderOf). Same output as sorting every object's keys and stringifying.
 */
function write(value: unknown, depth: number, maxDepth: number): string | undefined {
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
    return write((value as { toJSON(): unknown }).toJSON(), depth, maxDepth);
  if (depth >= maxDepth) throw TOO_DEEP;
  const inner = depth + 1;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    let out = `[${write(value[0], inner, maxDepth) ?? 'null'}`;
    for (let i = 1; i < value.length; i++) out += `,${write(value[i], inner, maxDepth) ?? 'null'}`;
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length === 0) return '{}';
  const { sorted, first, later } = orderOf(keys);
  let out = '';
  for (let i = 0; i < sorted.length; i++) {
    const text = write(record[sorted[i]!], inner, maxDepth);
    if (text === undefined) continue;
    out += out === '' ? `{${first[i]}${text}` : `${later[i]}${text}`;
  }
  return out === '' ? '{}' : `${out}}`;
}

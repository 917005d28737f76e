import { CdcError } from '../errors';
import {
  AvroWriter,
  EventWriter,
  failed,
  isJsonObject,
  loadStreamSchemas,
  read,
  type GoodReading,
  type Reading,
} from '../normalize';
import { STREAM_DEFS, idOf, type StreamDef } from '../streams/definitions';
import type { StreamName } from '../streams/names';

/**
 * Preparing an answer of Intercom for the capture: the text of a page or of one fetched object becomes
 * readings (src/normalize/reading.ts), so that the capture's thread never parses, hashes or encodes an
 * object; it diffs readings and writes their bytes into events. Pure: the same on a worker thread
 * (workers.ts) as inline.
 *
 * How an answer is prepared travels with its request (`Read.prepare`, src/capture/contracts.ts): the
 * client hands the text of each success to the preparer with it, and resolves with what comes back.
 */

/** How to prepare an answer: a page of a stream's listing, or one object fetched by id. */
export type Preparation =
  | { kind: 'page'; stream: StreamName; listKey: string }
  | {
      kind: 'object';
      stream: StreamName;
      id: string;
      /** The stream's children are captured: read them, and the object without them. */
      children: boolean;
    }
  | {
      /**
       * An object whose embedded lists said `has_more`, with the rest fetched: the text is
       * `{"object": <the object's JSON>, "lists": {<list>: [<every item>], …}}` (see completeLists); the
       * reading keeps `hash`, the hash of the object as the API returned it (with its lists cut), so
       * that every copy of one version hashes alike.
       */
      kind: 'complete';
      stream: StreamName;
      id: string;
      hash: string;
    };

/** A page's body as prepared: the body, with its list (`listKey`) made of readings. */
export type PreparedPage = Record<string, unknown>;

/** A fetched object as prepared: itself (without its children when they are read) and its children. */
export interface PreparedObject {
  own: Reading;
  children: Reading[];
}

const utf8 = new TextDecoder();

/**
 * Prepares the text of an answer (or its UTF-8 bytes; a sequence that is not UTF-8 reads as U+FFFD, as
 * Node's decoding of an HTTP body does), or returns undefined when it is not a JSON object (the client then
 * takes it for a cut-off or garbled answer and retries). A page whose list is missing or not an array
 * is returned as it came (the pagination says what is wrong with it). Throws only on a bug (an unknown
 * stream).
 */
export function prepare(text: string | Uint8Array, how: Preparation, w?: AvroWriter): object | undefined {
  let body: unknown;
  try {
    body = JSON.parse(typeof text === 'string' ? text : utf8.decode(text));
  } catch {
    return undefined;
  }
  if (!isJsonObject(body)) return undefined;
  const def = defOf(how.stream);
  if (how.kind === 'complete') {
    const { object, lists } = body;
    if (!isJsonObject(object) || !isJsonObject(lists)) return undefined;
    const own = read(def, recordOf(def.name), how.id, completeLists(object, lists), w);
    return { own: own.ok ? { ...own, hash: how.hash } : own, children: [] } satisfies PreparedObject;
  }
  if (how.kind === 'page') {
    const list = body[how.listKey];
    if (Array.isArray(list)) {
      const n = list.length;
      body[how.listKey] = list.map((item, i) =>
        readItem(def, item, () => `item ${i + 1} of a page of ${n}`, w),
      );
    }
    return body;
  }
  const children = how.children ? def.children : undefined;
  const own = read(def, recordOf(def.name), how.id, children ? children.strip(body) : body, w);
  if (!children) return { own, children: [] } satisfies PreparedObject;
  const childDef = defOf(children.stream);
  const parts = children.extract(body, how.id);
  return {
    own,
    children: parts.map((child, i) =>
      readItem(childDef, child, () => `part ${i + 1} of ${def.name} ${how.id}`, w),
    ),
  } satisfies PreparedObject;
}

/**
 * The object with each of `lists` (its name → every item, as `GET <object>/<name>` lists them) in full
 * in place of the embedded part: the embedded list keeps its fields (`type`, `url`), its `data` becomes
 * one reference per item in the order of the full list (the embedded reference itself where it has one
 * of that id, else `{type, id, url}` in the embedded references' form), `total_count` their number and
 * `has_more` false. A list the object does not embed as an object is left as it is.
 */
export function completeLists(
  object: Record<string, unknown>,
  lists: Record<string, unknown>,
): Record<string, unknown> {
  const out = { ...object };
  for (const [name, items] of Object.entries(lists)) {
    const embedded = object[name];
    if (!isJsonObject(embedded) || !Array.isArray(items)) continue;
    const refs: unknown[] = Array.isArray(embedded.data) ? embedded.data : [];
    const byId = new Map<string, unknown>();
    let urlPrefix = `/${name}/`;
    for (const ref of refs) {
      if (!isJsonObject(ref) || (typeof ref.id !== 'string' && typeof ref.id !== 'number')) continue;
      const id = String(ref.id);
      byId.set(id, ref);
      if (typeof ref.url === 'string' && ref.url.endsWith(`/${id}`)) urlPrefix = ref.url.slice(0, -id.length);
    }
    const data = items.map((item) => {
      if (!isJsonObject(item) || (typeof item.id !== 'string' && typeof item.id !== 'number')) return item;
      const id = String(item.id);
      return (
        byId.get(id) ?? { ...(item.type !== undefined && { type: item.type }), id, url: `${urlPrefix}${id}` }
      );
    });
    out[name] = { ...embedded, data, total_count: data.length, has_more: false };
  }
  return out;
}

/** The readings a prepared answer holds (to pack their bytes for another thread). */
export function readingsOf(prepared: object, how: Preparation): Reading[] {
  if (how.kind !== 'page') {
    const { own, children } = prepared as PreparedObject;
    return [own, ...children];
  }
  const list = (prepared as PreparedPage)[how.listKey];
  return Array.isArray(list) ? (list as Reading[]) : [];
}

/**
 * An item of a listing, or a child, read; an item that is not an object with an id is a failed reading
 * with id '' (`invalid_item`: a dead letter that says where it was).
 */
function readItem(def: StreamDef, item: unknown, where: () => string, w?: AvroWriter): Reading {
  const object = isJsonObject(item) ? item : undefined;
  const id = object ? idOf(def, object) : undefined;
  if (object && id !== undefined) return read(def, recordOf(def.name), id, object, w);
  const what = object
    ? 'an object without an id (a non-empty string or a number)'
    : `${describe(item)}, not an object`;
  const error = new CdcError(`${def.name}: ${where()} is ${what}`, { code: 'invalid_item', kind: 'system' });
  return failed('', error, item);
}

/** Whether a reading is one of an item that was not an object with an id (see readItem). */
export function isInvalidItem(reading: Reading): boolean {
  return !reading.ok && reading.id === '';
}

/** A reading that can be published (a type guard for the capture). */
export function isGood(reading: Reading): reading is GoodReading {
  return reading.ok;
}

const records = new Map<StreamName, object>();

/** The stream's record (the type of its events' `after`), from the schema files, once per stream. */
function recordOf(stream: StreamName): object {
  let record = records.get(stream);
  if (record === undefined) {
    record = new EventWriter(loadStreamSchemas(stream).value).record;
    records.set(stream, record);
  }
  return record;
}

function defOf(stream: StreamName): StreamDef {
  const def = STREAM_DEFS[stream] as StreamDef | undefined;
  if (!def) throw new CdcError(`prepare: unknown stream ${stream}`, { code: 'internal', kind: 'system' });
  return def;
}

/** A short description of a value that is not an object, for a dead letter's message. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? 'a string' : `a ${typeof value}`;
}

/**
 * Moves the bytes of `readings` (each `json` and `after`) into one new buffer, and points the readings
 * at it: what a worker thread transfers with its answer, instead of copying each view's slab.
 */
export function packReadings(readings: readonly Reading[]): ArrayBuffer {
  let total = 0;
  for (const r of readings) if (r.ok) total += r.json.length + (r.after?.length ?? 0);
  const buffer = new ArrayBuffer(total);
  const bytes = new Uint8Array(buffer);
  let at = 0;
  const move = (view: Uint8Array): Uint8Array => {
    bytes.set(view, at);
    const moved = new Uint8Array(buffer, at, view.length);
    at += view.length;
    return moved;
  };
  for (const r of readings) {
    if (!r.ok) continue;
    r.json = move(r.json);
    if (r.after) r.after = move(r.after);
  }
  return buffer;
}

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
import { applyPolicy, compilePolicy, type CompiledPolicy, type PolicySettings } from '../normalize/policy';
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
 *
 * The field policy (src/normalize/policy.ts) is applied to each object as soon as it is parsed, before
 * it is read: every reading (its `raw`, `after` and hash) and every failed reading's dead-letter copy is
 * made of the policed object.
 */

/** The field policy of each stream that has one, ready to apply (compilePolicies). */
export type Policies = ReadonlyMap<StreamName, CompiledPolicy>;

/** No field policy. */
export const NO_POLICIES: Policies = new Map();

/** The field policies of `settings` compiled against each stream's record (none without settings). */
export function compilePolicies(settings: PolicySettings | undefined): Policies {
  const out = new Map<StreamName, CompiledPolicy>();
  for (const [stream, policy] of Object.entries(settings?.streams ?? {})) {
    const compiled = compilePolicy(policy, settings!.secret, recordOf(defOf(stream as StreamName).name));
    if (compiled) out.set(stream as StreamName, compiled);
  }
  return out;
}

/** How to prepare an answer: a page of a stream's listing, or one object fetched by id. */
export type Preparation =
  | { kind: 'page'; stream: StreamName; listKey: string }
  | {
      kind: 'object';
      stream: StreamName;
      id: string;
      /** The stream's children are captured: read them, and the object without them. */
      children: boolean;
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
 * is returned as it came (the pagination says what is wrong with it). Each object is policed by its
 * stream's entry of `policies` before it is read. Throws only on a bug (an unknown stream).
 */
export function prepare(
  text: string | Uint8Array,
  how: Preparation,
  w?: AvroWriter,
  policies: Policies = NO_POLICIES,
): object | undefined {
  let body: unknown;
  try {
    body = JSON.parse(typeof text === 'string' ? text : utf8.decode(text));
  } catch {
    return undefined;
  }
  if (!isJsonObject(body)) return undefined;
  const def = defOf(how.stream);
  if (how.kind === 'page') {
    const list = body[how.listKey];
    if (Array.isArray(list)) {
      const n = list.length;
      body[how.listKey] = list.map((item, i) =>
        readItem(def, item, () => `item ${i + 1} of a page of ${n}`, w, policies),
      );
    }
    return body;
  }
  const children = how.children ? def.children : undefined;
  const object = police(policies, def.name, children ? children.strip(body) : body);
  const own = read(def, recordOf(def.name), how.id, object, w);
  if (!children) return { own, children: [] } satisfies PreparedObject;
  const childDef = defOf(children.stream);
  const parts = children.extract(body, how.id);
  return {
    own,
    children: parts.map((child, i) =>
      readItem(childDef, child, () => `part ${i + 1} of ${def.name} ${how.id}`, w, policies),
    ),
  } satisfies PreparedObject;
}

/** The readings a prepared answer holds (to pack their bytes for another thread). */
export function readingsOf(prepared: object, how: Preparation): Reading[] {
  if (how.kind === 'object') {
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
function readItem(
  def: StreamDef,
  item: unknown,
  where: () => string,
  w: AvroWriter | undefined,
  policies: Policies,
): Reading {
  const found = isJsonObject(item) ? item : undefined;
  const id = found ? idOf(def, found) : undefined;
  // The id is taken first: no policy may change what keys an object.
  const object = found && police(policies, def.name, found);
  if (object && id !== undefined) return read(def, recordOf(def.name), id, object, w);
  const what = object
    ? 'an object without an id (a non-empty string or a number)'
    : `${describe(item)}, not an object`;
  const error = new CdcError(`${def.name}: ${where()} is ${what}`, { code: 'invalid_item', kind: 'system' });
  return failed('', error, object ?? item);
}

/** The object with its stream's policy applied (the object itself when the stream has none). */
function police(
  policies: Policies,
  stream: StreamName,
  object: Record<string, unknown>,
): Record<string, unknown> {
  const policy = policies.get(stream);
  return policy ? applyPolicy(policy, object) : object;
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

/**
 * The contact sink's input: an upsert record read and checked, custom attributes mapped to Intercom's
 * names.
 */
import { CdcError } from '../../errors';
import { RejectedRecord } from '../rejected';
import { toEpochMillis } from '../../normalize/timestamp';
import { stringifyDeep } from '../../normalize/inspect';

/**
 * One input record of the contact sink, read and checked: what the user wants Intercom to hold for one
 * contact. Fields left out (absent or null) are left as Intercom has them; timestamps are Unix seconds,
 * as Intercom's write API takes them; custom attributes carry their Intercom names.
 */
export interface ContactUpsert {
  externalId?: string;
  email?: string;
  role?: 'user' | 'lead';
  fields: Partial<Record<ContactField, string | number | boolean>>;
  customAttributes: Record<string, string | number | boolean>;
  /** true: archive; false: unarchive; absent: leave as it is (an archived contact stays archived). */
  archived?: boolean;
}

/** Standard fields written as given (besides the identity: external_id, email, role). */
export const CONTACT_FIELDS = [
  'name',
  'phone',
  'avatar',
  'owner_id',
  'signed_up_at',
  'last_seen_at',
  'unsubscribed_from_emails',
] as const;
export type ContactField = (typeof CONTACT_FIELDS)[number];

const STRING_FIELDS = new Set<string>(['external_id', 'email', 'name', 'phone', 'avatar']);
const TIMESTAMP_FIELDS = new Set<string>(['signed_up_at', 'last_seen_at']);
/** Every field the input may carry (the Avro schema schemas/sink/contact_upsert.avsc has exactly these). */
export const INPUT_FIELDS: ReadonlySet<string> = new Set<string>([
  ...STRING_FIELDS,
  ...TIMESTAMP_FIELDS,
  'role',
  'owner_id',
  'unsubscribed_from_emails',
  'custom_attributes',
  'archived',
]);

/**
 * Longest value, in UTF-16 code units, of each string the input may carry; a longer one rejects the
 * record (`invalid_field`) before any other check reads it, so that every check runs on bounded input.
 * Emails: 254, the longest address SMTP can carry (RFC 5321's path limit); URLs: 2,048; timestamps
 * written as text: 64; every other string (external_id, name, phone, a custom attribute's value): 1,024.
 */
export const MAX_CHARS = {
  email: 254,
  avatar: 2_048,
  timestamp: 64,
  text: 1_024,
} as const;
/** Most custom attributes one record may carry (Intercom's workspaces hold at most a few hundred). */
export const MAX_CUSTOM_ATTRIBUTES = 1_000;

/**
 * Whether `s` has the shape of an email address: no whitespace, exactly one `@` with something before
 * it, and a `.` after the `@` with something on both sides (what `/^[^\s@]+@[^\s@]+\.[^\s@]+$/` says).
 * Each step is one pass over the text, so the check is linear in its length (that regex backtracks:
 * quadratic on `a@` followed by many dots and a space).
 */
export function looksLikeEmail(s: string): boolean {
  const at = s.indexOf('@');
  if (at <= 0 || s.indexOf('@', at + 1) !== -1 || /\s/.test(s)) return false;
  const dot = s.indexOf('.', at + 2);
  return dot !== -1 && dot < s.length - 1;
}

/**
 * An email as the sink compares it: Unicode NFKC-normalized (so that compatibility forms, such as
 * full-width letters, compare equal to their plain form), then case-folded with toLowerCase. Intercom
 * matches emails without regard to case.
 */
export function emailKey(email: string): string {
  return email.normalize('NFKC').toLowerCase();
}

/**
 * Input attribute name → Intercom attribute name, from `SINK_CONTACTS_ATTRIBUTES` (`name` or
 * `input=intercom`).
 */
export function attributeMapping(list: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const entry of list) {
    const [input, intercom] = entry.split('=');
    map.set(input!, intercom ?? input!);
  }
  return map;
}

export interface ParseOptions {
  attributes: ReadonlyMap<string, string>;
  unmapped: 'reject' | 'ignore';
}

/**
 * A capture change event (this project's envelope: `op`, `source`, `after`), e.g. when the sink reads
 * the connector's own contacts topic. The sink never writes those back: that would loop.
 */
export function isChangeEvent(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.op === 'string' && typeof v.source === 'object' && 'after' in v;
}

/** Reads one decoded input value (JSON object, or the record Avro decoding gave) into a ContactUpsert. */
export function parseUpsert(value: unknown, options: ParseOptions): ContactUpsert {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new RejectedRecord('invalid_record', 'the record is not an object');
  const v = value as Record<string, unknown>;
  const unknown = Object.keys(v).filter((k) => !INPUT_FIELDS.has(k));
  if (unknown.length)
    throw new RejectedRecord(
      'unknown_field',
      `unknown field(s) ${unknown.join(', ')}; the input schema is schemas/sink/contact_upsert.avsc (custom attributes go under custom_attributes)`,
    );
  const present = (k: string) => v[k] !== undefined && v[k] !== null;
  const text = (k: string): string | undefined => {
    if (!present(k)) return undefined;
    if (typeof v[k] !== 'string')
      throw new RejectedRecord('invalid_field', `${k}: expected a non-empty string, got ${show(v[k])}`);
    const value = bounded(
      v[k],
      k,
      k === 'email' ? MAX_CHARS.email : k === 'avatar' ? MAX_CHARS.avatar : MAX_CHARS.text,
    );
    if (value.trim() === '')
      throw new RejectedRecord('invalid_field', `${k}: expected a non-empty string, got ${show(value)}`);
    return value;
  };

  const externalId = text('external_id');
  const email = text('email');
  if (externalId === undefined && email === undefined)
    throw new RejectedRecord(
      'no_identity',
      'the record has neither external_id nor email: nothing to match on',
    );
  if (email !== undefined && !looksLikeEmail(email))
    throw new RejectedRecord('invalid_field', `email: not an email address, got ${show(email)}`);

  let role: ContactUpsert['role'];
  if (present('role')) {
    if (v.role !== 'user' && v.role !== 'lead')
      throw new RejectedRecord('invalid_field', `role: expected user or lead, got ${show(v.role)}`);
    role = v.role;
  }

  const fields: ContactUpsert['fields'] = {};
  for (const k of CONTACT_FIELDS) {
    if (!present(k)) continue;
    if (STRING_FIELDS.has(k)) fields[k] = text(k)!;
    else if (TIMESTAMP_FIELDS.has(k)) fields[k] = seconds(v[k], k);
    else if (k === 'owner_id') {
      if (typeof v[k] === 'string') bounded(v[k], k, MAX_CHARS.timestamp);
      const n = typeof v[k] === 'string' && /^\d+$/.test(v[k]) ? Number(v[k]) : v[k];
      if (!Number.isSafeInteger(n))
        throw new RejectedRecord(
          'invalid_field',
          `owner_id: expected an admin id (integer), got ${show(v[k])}`,
        );
      fields[k] = n as number;
    } else if (typeof v[k] !== 'boolean')
      throw new RejectedRecord('invalid_field', `${k}: expected true or false, got ${show(v[k])}`);
    else fields[k] = v[k];
  }

  let archived: boolean | undefined;
  if (present('archived')) {
    if (typeof v.archived !== 'boolean')
      throw new RejectedRecord('invalid_field', `archived: expected true or false, got ${show(v.archived)}`);
    archived = v.archived;
  }

  return {
    externalId,
    email,
    role,
    fields,
    customAttributes: customAttributes(v.custom_attributes, options),
    archived,
  };
}

function customAttributes(raw: unknown, options: ParseOptions): ContactUpsert['customAttributes'] {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw new RejectedRecord(
      'invalid_field',
      `custom_attributes: expected an object (a map), got ${show(raw)}`,
    );
  const entries = Object.entries(raw as Record<string, unknown>);
  if (entries.length > MAX_CUSTOM_ATTRIBUTES)
    throw new RejectedRecord(
      'invalid_field',
      `custom_attributes: ${entries.length} attributes, more than the ${MAX_CUSTOM_ATTRIBUTES} a record may carry`,
    );
  const out: ContactUpsert['customAttributes'] = {};
  const unmapped: string[] = [];
  for (const [name, value] of entries) {
    if (value === null || value === undefined) continue;
    const target = options.attributes.get(name);
    if (target === undefined) {
      unmapped.push(name);
      continue;
    }
    const plain = unwrapUnion(value);
    if (typeof plain === 'string') bounded(plain, `custom_attributes.${name}`, MAX_CHARS.text);
    if (typeof plain === 'number' && !Number.isFinite(plain))
      throw new RejectedRecord('invalid_field', `custom_attributes.${name}: not a finite number`);
    if (typeof plain !== 'string' && typeof plain !== 'number' && typeof plain !== 'boolean')
      throw new RejectedRecord(
        'invalid_field',
        `custom_attributes.${name}: expected a string, number or boolean, got ${show(value)}`,
      );
    out[target] = plain;
  }
  if (unmapped.length && options.unmapped === 'reject')
    throw new RejectedRecord(
      'unmapped_attribute',
      `custom attribute(s) ${unmapped.join(', ')} not in SINK_CONTACTS_ATTRIBUTES; add them (name or input=intercom) or set SINK_CONTACTS_UNMAPPED_ATTRIBUTES=ignore`,
    );
  return out;
}

/** Avro JSON-style unions (`{"string": "x"}`) as some producers encode them in JSON; plain values pass. */
function unwrapUnion(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const entries = Object.entries(value);
  if (
    entries.length === 1 &&
    ['string', 'long', 'int', 'double', 'float', 'boolean'].includes(entries[0]![0])
  )
    return entries[0]![1];
  return value;
}

/** Unix seconds for Intercom; the input may say ISO 8601, Unix seconds or milliseconds, or a Date. */
function seconds(value: unknown, path: string): number {
  if (typeof value === 'string') bounded(value, path, MAX_CHARS.timestamp);
  try {
    const ms = value instanceof Date ? value.getTime() : toEpochMillis(value, path);
    if (ms === null || !Number.isFinite(ms)) throw new Error('not a time');
    return Math.floor(ms / 1000);
  } catch (error) {
    throw new RejectedRecord(
      'invalid_field',
      error instanceof CdcError ? error.message : `${path}: expected a timestamp, got ${show(value)}`,
    );
  }
}

/** `value`, or a RejectedRecord `invalid_field` when it is longer than `max` characters. */
function bounded(value: string, path: string, max: number): string {
  if (value.length > max)
    throw new RejectedRecord(
      'invalid_field',
      `${path}: ${value.length} characters, longer than the ${max} allowed (starts ${show(value)})`,
    );
  return value;
}

/** A short preview of a value for a message: at most 80 characters, written without recursion. */
function show(value: unknown): string {
  const s =
    typeof value === 'string'
      ? JSON.stringify(value.slice(0, 80))
      : value === undefined || typeof value === 'function' || typeof value === 'symbol'
        ? String(value)
        : stringifyDeep(value);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

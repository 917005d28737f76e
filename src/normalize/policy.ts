import { createHmac } from 'node:crypto';
import { canonicalJson } from './hash';
import type { StreamName, StreamSchemas } from './schemas';

/**
 * The field policy (README "Field policy"): per stream, the fields to drop, mask or hash before an
 * object becomes anything else. The capture applies it to each object as it is parsed
 * (src/capture/prepare.ts), so that the event's `after`, its `raw`, the content hash and every dead
 * letter are made of the policed object alone: what the policy takes away never leaves the worker
 * thread that parsed it.
 *
 * A path is names joined by dots, into the object as Intercom returns it (`email`,
 * `custom_attributes.ssn`, `location.city`); a list on the way is entered element by element
 * (`social_profiles.data.url`), and a list at the end is policed element by element. A name cannot
 * hold a dot.
 * - drop: the field is removed (in `after` a nullable field reads null);
 * - mask: a non-null value becomes a fixed value of the field's type in the stream's record: `****`
 *   for a string (and for a field that only `raw` has), 0 for a number or a timestamp, false for a
 *   boolean;
 * - hash: a non-null value becomes the HMAC-SHA256 of its text (a string's own text, another value's
 *   canonical JSON) keyed by the secret, in lowercase hex: the same value hashes alike in every
 *   process that has the same secret, so that consumers can still join and count on it.
 * A null value stays null.
 */

export const ACTIONS = ['drop', 'mask', 'hash'] as const;
export type Action = (typeof ACTIONS)[number];

/** One stream's policy as the configuration writes it. */
export type StreamPolicy = { readonly [A in Action]?: readonly string[] };
/** Every stream's policy (`fieldPolicy.streams`). */
export type FieldPolicies = { readonly [S in StreamName]?: StreamPolicy };

/** What a policy needs to run (plain data: it crosses to the worker threads). */
export interface PolicySettings {
  streams: FieldPolicies;
  /** The key of `hash` (never logged, never in an error). */
  secret: string;
}

/** The mask of a string, and of a field only `raw` has. */
export const STRING_MASK = '****';
/** Least length of the secret. */
export const MIN_SECRET_LENGTH = 16;
/** The name of the custom property that tells, in the registered schema, how the policy changed a field. */
export const SCHEMA_PROPERTY = 'intercomcdc.field_policy';
/** How `hash` hashes, as the registered schema says it. */
export const HASH_FUNCTION = 'HMAC-SHA256, lowercase hex, keyed by the field policy secret';

/** Fields no policy may touch: the key, and what orders an object (`updated_at`). */
const PROTECTED: readonly string[] = ['id', 'updated_at'];
/** data_attributes of the built-in models are keyed by `model.name`. */
const PROTECTED_BY_STREAM: { readonly [S in StreamName]?: readonly string[] } = {
  data_attributes: ['model', 'name'],
};

interface Rule {
  path: readonly string[];
  action: Action;
  /** The value a mask writes. */
  mask: unknown;
}

/** A stream's policy, ready to apply (compilePolicy). */
export interface CompiledPolicy {
  readonly rules: readonly Rule[];
  readonly secret: string;
}

type Json = Record<string, unknown>;

/**
 * A stream's policy ready to apply: each path with the mask its type in `record` (the stream's Avro
 * record) takes. Undefined when the policy names no path. Assumes a policy that policyProblems passed.
 */
export function compilePolicy(
  policy: StreamPolicy | undefined,
  secret: string,
  record: object,
): CompiledPolicy | undefined {
  const rules: Rule[] = [];
  for (const action of ACTIONS) {
    for (const path of policy?.[action] ?? []) {
      const segments = path.split('.');
      const at = typeAt(record as Json, segments);
      rules.push({ path: segments, action, mask: action === 'mask' ? maskOf(at.type) : undefined });
    }
  }
  return rules.length ? { rules, secret } : undefined;
}

/**
 * The object with the policy applied. The object given is not changed: what the policy touches is
 * copied (the objects on each path), the rest is shared.
 */
export function applyPolicy(policy: CompiledPolicy, object: Json): Json {
  let out: unknown = object;
  for (const rule of policy.rules) out = step(out, rule, 0, policy.secret);
  return out as Json;
}

function step(value: unknown, rule: Rule, i: number, secret: string): unknown {
  if (Array.isArray(value)) {
    let changed = false;
    const out = value.map((item) => {
      const next = step(item, rule, i, secret);
      changed ||= next !== item;
      return next;
    });
    return changed ? out : value;
  }
  if (typeof value !== 'object' || value === null) return value;
  const name = rule.path[i]!;
  if (!Object.prototype.hasOwnProperty.call(value, name)) return value;
  const inner = (value as Json)[name];
  const copy: Json = { ...(value as Json) };
  if (i < rule.path.length - 1) {
    const next = step(inner, rule, i + 1, secret);
    if (next === inner) return value;
    copy[name] = next;
  } else if (rule.action === 'drop') {
    delete copy[name];
  } else {
    copy[name] = replace(inner, rule, secret);
  }
  return copy;
}

/** The masked or hashed value (a list element by element; null stays null). */
function replace(value: unknown, rule: Rule, secret: string): unknown {
  if (value === null || value === undefined) return value;
  if (Array.isArray(value)) return value.map((item) => replace(item, rule, secret));
  if (rule.action === 'mask') return rule.mask;
  return hmac(secret, typeof value === 'string' ? value : canonicalJson(value));
}

/** HMAC-SHA256 of `text`'s UTF-8 keyed by `secret`, lowercase hex (64 characters). */
export function hmac(secret: string, text: string): string {
  return createHmac('sha256', secret).update(text, 'utf8').digest('hex');
}

/** Where a path leads in a record schema: the Avro type there (undefined: only `raw` has it). */
interface TypeAt {
  type: unknown;
  /** The path ends at a key of a map (a custom attribute): removing it leaves a valid map. */
  mapKey: boolean;
  /** The path ends at a field of a record that is not nullable. */
  required: boolean;
}

/** The Avro type a path leads to in `record` (lists are entered, as the policy enters them). */
function typeAt(record: Json, path: readonly string[]): TypeAt {
  const named = namedTypes(record);
  let type: unknown = record;
  let mapKey = false;
  let required = false;
  for (const name of path) {
    const t = items(resolve(type, named), named);
    mapKey = false;
    if (isRecord(t)) {
      const field = (t.fields as Json[]).find((f) => f.name === name);
      if (!field) return { type: undefined, mapKey: false, required: false };
      type = field.type;
      required = !(Array.isArray(type) && type.includes('null'));
    } else if (isObject(t) && t.type === 'map') {
      type = t.values;
      mapKey = true;
      required = false;
    } else {
      return { type: undefined, mapKey: false, required: false };
    }
  }
  return { type: items(resolve(type, named), named), mapKey, required };
}

/** The branches of a type other than null, each a definition (names resolved). */
function branches(type: unknown, named: ReadonlyMap<string, Json>): unknown[] {
  const list = Array.isArray(type) ? type : [type];
  return list.filter((b) => b !== 'null').map((b) => (typeof b === 'string' ? (named.get(b) ?? b) : b));
}

/** A type without its null branch (when one branch is left), names resolved. */
function resolve(type: unknown, named: ReadonlyMap<string, Json>): unknown {
  const rest = branches(type, named);
  return rest.length === 1 ? rest[0] : rest;
}

/** The element type of a list (entered as the policy enters lists), or the type itself. */
function items(type: unknown, named: ReadonlyMap<string, Json>): unknown {
  let t = type;
  while (isObject(t) && t.type === 'array') t = resolve(t.items, named);
  return t;
}

function namedTypes(record: Json): Map<string, Json> {
  const named = new Map<string, Json>();
  const visit = (t: unknown): void => {
    if (Array.isArray(t)) return t.forEach(visit);
    if (!isObject(t)) return;
    if (typeof t.name === 'string' && ['record', 'enum', 'fixed'].includes(String(t.type))) {
      if (named.has(t.name)) return;
      named.set(t.name, t);
    }
    if (t.type === 'record') (t.fields as Json[]).forEach((f) => visit(f.type));
    else if (t.type === 'array') visit(t.items);
    else if (t.type === 'map') visit(t.values);
  };
  visit(record);
  return named;
}

/** The primitive kinds a (resolved) type admits: string, number, boolean, or other. */
function kinds(type: unknown): Set<string> {
  const out = new Set<string>();
  for (const b of Array.isArray(type) ? type : [type]) {
    const name = isObject(b) ? String(b.type) : String(b);
    if (name === 'string') out.add('string');
    else if (['int', 'long', 'float', 'double'].includes(name)) out.add('number');
    else if (name === 'boolean') out.add('boolean');
    else out.add('other');
  }
  return out;
}

/** The mask of a field of type `type` (undefined: only `raw` has the field). */
function maskOf(type: unknown): unknown {
  if (type === undefined) return STRING_MASK;
  const k = kinds(type);
  if (k.has('string')) return STRING_MASK;
  if (k.has('number')) return 0;
  if (k.has('boolean')) return false;
  return STRING_MASK;
}

/**
 * What is wrong with a stream's policy, each problem naming its key under `key`
 * (`fieldPolicy.streams.contacts.hash[0]: …`): an unknown action, a list that is not of paths, a path
 * that is not names joined by dots, a protected field (the key, `updated_at`), a path under another, or
 * one the record cannot hold after the change (a required field dropped, a hash into a number, a mask
 * of a whole record or map). Never echoes the secret.
 */
export function policyProblems(stream: StreamName, policy: unknown, record: object, key: string): string[] {
  if (!isObject(policy)) return [`${key}: must be an object of drop / mask / hash lists of paths`];
  const problems: string[] = [];
  const seen: { path: string; where: string }[] = [];
  for (const [action, list] of Object.entries(policy)) {
    if (!(ACTIONS as readonly string[]).includes(action)) {
      problems.push(`${key}.${action}: not an action (${ACTIONS.join(', ')})`);
      continue;
    }
    if (!Array.isArray(list) || list.some((p) => typeof p !== 'string')) {
      problems.push(`${key}.${action}: must be a list of paths (e.g. ["email", "custom_attributes.ssn"])`);
      continue;
    }
    (list as string[]).forEach((path, i) => {
      const where = `${key}.${action}[${i}]`;
      const problem = pathProblem(stream, action as Action, path, record);
      if (problem) return problems.push(`${where}: ${JSON.stringify(path)} ${problem}`);
      const overlap = seen.find(
        (s) => s.path === path || s.path.startsWith(`${path}.`) || path.startsWith(`${s.path}.`),
      );
      if (overlap)
        return problems.push(`${where}: ${JSON.stringify(path)} overlaps ${overlap.where} (${overlap.path})`);
      seen.push({ path, where });
    });
  }
  return problems;
}

function pathProblem(stream: StreamName, action: Action, path: string, record: object): string | undefined {
  const segments = path.split('.');
  // eslint-disable-next-line no-control-regex
  if (segments.some((s) => s === '' || s === '__proto__' || /[\u0000-\u001f]/.test(s)))
    return 'is not a path: names joined by single dots, e.g. custom_attributes.ssn';
  const head = segments[0]!;
  if (PROTECTED.includes(path) || head === 'id' || (PROTECTED_BY_STREAM[stream] ?? []).includes(head))
    return 'is what keys or orders the object: no policy may change it';
  const at = typeAt(record as Json, segments);
  if (at.type === undefined) return undefined;
  const k = kinds(at.type);
  if (action === 'drop' && at.required && !at.mapKey)
    return 'is required in the record: it cannot be dropped (mask it)';
  if (action === 'hash' && !k.has('string'))
    return 'is not a string in the record: a hash would not fit it (mask or drop it)';
  if (action === 'mask' && !k.has('string') && !k.has('number') && !k.has('boolean'))
    return 'is a record, map or list of them: mask or hash its fields, or drop it';
  return undefined;
}

/**
 * The stream's schemas saying what the policy does: the record (the type of `before` and `after`) gets
 * the custom property `intercomcdc.field_policy` with the policy's lists and the hash function, and each
 * top-level field a path names or enters gets the same property (`{drop|mask|hash: [paths]}`) and a
 * sentence in its `doc`. Types, names and defaults do not change, so that the value schema stays
 * BACKWARD compatible with every release. The schemas as given when the policy names no path.
 */
export function annotateSchemas(schemas: StreamSchemas, policy: StreamPolicy | undefined): StreamSchemas {
  const lists = Object.fromEntries(ACTIONS.filter((a) => policy?.[a]?.length).map((a) => [a, policy![a]]));
  if (Object.keys(lists).length === 0) return schemas;
  const value = JSON.parse(JSON.stringify(schemas.value)) as Json;
  const recordField = (value.fields as Json[]).find(
    (f) => Array.isArray(f.type) && f.type.some((b) => isRecord(b)),
  );
  const record = (recordField!.type as unknown[]).find((b) => isRecord(b)) as Json;
  record[SCHEMA_PROPERTY] = { ...lists, ...(lists.hash ? { hash_function: HASH_FUNCTION } : {}) };
  for (const field of record.fields as Json[]) {
    const name = String(field.name);
    const mine = Object.fromEntries(
      Object.entries(lists)
        .map(([a, paths]) => [a, paths!.filter((p) => p === name || p.startsWith(`${name}.`))] as const)
        .filter(([, paths]) => paths.length > 0),
    );
    if (Object.keys(mine).length === 0) continue;
    field[SCHEMA_PROPERTY] = mine;
    const said = Object.entries(mine)
      .map(([a, paths]) => `${PAST[a as Action]}: ${paths.join(', ')}`)
      .join('; ');
    field.doc = `${String(field.doc ?? '')} Field policy: ${said}.`.trim();
  }
  return { ...schemas, value };
}

const PAST: Record<Action, string> = { drop: 'dropped', mask: 'masked', hash: 'hashed' };

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isRecord(value: unknown): value is Json {
  return isObject(value) && value.type === 'record';
}

/**
 * What is wrong with `fieldPolicy` (the configuration's streams and secret), each problem naming its
 * key: an unknown stream (with a "did you mean"), a stream's problems (policyProblems, against
 * `recordOf(stream)`), a hash without a secret or with one too short. Never echoes the secret.
 */
export function fieldPolicyProblems(
  streams: unknown,
  secret: string,
  known: readonly StreamName[],
  recordOf: (stream: StreamName) => object,
  suggest: (name: string) => string | undefined,
): string[] {
  if (!isObject(streams)) return [];
  const problems: string[] = [];
  let hashes = false;
  for (const [stream, policy] of Object.entries(streams)) {
    const key = `fieldPolicy.streams.${stream}`;
    if (!(known as readonly string[]).includes(stream)) {
      const near = suggest(stream);
      problems.push(
        `${key}: unknown stream${near ? `; did you mean ${near}?` : ''} (known: ${known.join(', ')})`,
      );
      continue;
    }
    const name = stream as StreamName;
    problems.push(...policyProblems(name, policy, recordOf(name), key));
    if (isObject(policy) && Array.isArray(policy.hash) && policy.hash.length > 0) hashes = true;
  }
  if (hashes && secret.length < MIN_SECRET_LENGTH)
    problems.push(
      secret
        ? `fieldPolicy.secret: must be at least ${MIN_SECRET_LENGTH} characters; set a longer FIELD_POLICY_SECRET`
        : 'fieldPolicy.secret: a stream hashes fields: set FIELD_POLICY_SECRET or FIELD_POLICY_SECRET_FILE',
    );
  return problems;
}

/**
 * Validation of the bodies of `POST /contacts` and `PUT /contacts/{id}` (create_contact_request and
 * update_contact_request of the OpenAPI file): pure, over what the workspace knows (its custom contact
 * attributes and its admins). Errors are Intercom's `error.list` with the offending `field`.
 */
import { randomUUID } from 'node:crypto';
import { ApiError } from './api-error';
import type { AttributeType } from './render/attributes';

/** A 400 that names the request field at fault, as Intercom's error objects may. */
export class FieldError extends ApiError {
  constructor(
    readonly field: string,
    message: string,
    code = 'parameter_invalid',
  ) {
    super(400, code, message);
  }

  override body(): Record<string, unknown> {
    return {
      type: 'error.list',
      request_id: randomUUID(),
      errors: [{ code: this.apiCode, message: this.message, field: this.field }],
    };
  }
}

export interface ContactFields {
  role?: 'user' | 'lead';
  external_id?: string | null;
  email?: string | null;
  phone?: string | null;
  name?: string | null;
  avatar?: string | null;
  signed_up_at?: number | null;
  last_seen_at?: number | null;
  owner_id?: number | null;
  unsubscribed_from_emails?: boolean | null;
}

/** The fields a request sets (absent keys are left alone); `custom_attributes: null` clears them all. */
export interface ContactInput {
  fields: ContactFields;
  customAttributes?: Record<string, unknown> | null;
}

export interface ContactRules {
  /** The workspace's custom data attributes of model `contact`: name → data type. */
  attributes: ReadonlyMap<string, AttributeType>;
  isAdmin(id: number): boolean;
}

type Kind = 'string' | 'timestamp' | 'integer' | 'boolean';
const FIELD_KINDS: Record<Exclude<keyof ContactFields, 'role'>, Kind> = {
  external_id: 'string',
  email: 'string',
  phone: 'string',
  name: 'string',
  avatar: 'string',
  signed_up_at: 'timestamp',
  last_seen_at: 'timestamp',
  owner_id: 'integer',
  unsubscribed_from_emails: 'boolean',
};

const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

const KIND_TEXT: Record<Kind, string> = {
  string: 'a string',
  timestamp: 'an integer (Unix seconds)',
  integer: 'an integer',
  boolean: 'a boolean',
};

function isKind(value: unknown, kind: Kind): boolean {
  switch (kind) {
    case 'string':
      return typeof value === 'string';
    case 'timestamp':
      return Number.isSafeInteger(value) && (value as number) >= 0;
    case 'integer':
      return Number.isSafeInteger(value);
    case 'boolean':
      return typeof value === 'boolean';
  }
}

/** Whether `value` fits a custom attribute of `type`; null always does (it clears the attribute). */
export function fitsAttribute(type: AttributeType, value: unknown): boolean {
  if (value === null) return true;
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return Number.isSafeInteger(value);
    case 'float':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'date':
      // Unix seconds, or an ISO 8601 date (both forms occur in real workspaces).
      return (
        (Number.isSafeInteger(value) && (value as number) >= 0) ||
        (typeof value === 'string' && ISO_DATE.test(value) && !Number.isNaN(Date.parse(value)))
      );
  }
}

/**
 * Checks a create (`mode: 'create'`) or update body and returns what it sets. Throws a 400 FieldError:
 * `parameter_invalid` for wrong types and values, `parameter_not_found` for unknown custom attributes.
 * A create needs `email` or `external_id`; its `role` defaults to user.
 */
export function parseContactInput(
  body: unknown,
  mode: 'create' | 'update',
  rules: ContactRules,
): ContactInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new FieldError('body', 'The request body must be a JSON object');
  }
  const raw = body as Record<string, unknown>;
  const fields: ContactFields = {};
  const set = fields as Record<string, unknown>;

  if ('role' in raw && !(mode === 'create' && raw.role === null)) {
    if (raw.role !== 'user' && raw.role !== 'lead')
      throw new FieldError('role', `role must be 'user' or 'lead', got ${JSON.stringify(raw.role)}`);
    fields.role = raw.role;
  }
  for (const [field, kind] of Object.entries(FIELD_KINDS) as [keyof typeof FIELD_KINDS, Kind][]) {
    if (!(field in raw)) continue;
    const value = raw[field];
    if (value === null) {
      // A create has nothing to clear: null means absent.
      if (mode === 'update') set[field] = null;
      continue;
    }
    if (!isKind(value, kind))
      throw new FieldError(
        field,
        `${field} must be ${KIND_TEXT[kind]} or null, got ${JSON.stringify(value)}`,
      );
    set[field] = value;
  }

  if (typeof fields.email === 'string' && !EMAIL.test(fields.email))
    throw new FieldError('email', `email ${JSON.stringify(fields.email)} is not a valid email address`);
  if (fields.external_id === '') throw new FieldError('external_id', 'external_id must not be empty');
  if (typeof fields.avatar === 'string' && !/^https?:\/\/[^\s]+$/.test(fields.avatar))
    throw new FieldError(
      'avatar',
      `avatar must be an http(s) image URL, got ${JSON.stringify(fields.avatar)}`,
    );
  if (typeof fields.owner_id === 'number' && !rules.isAdmin(fields.owner_id))
    throw new FieldError('owner_id', `owner_id ${fields.owner_id} is not an admin of this workspace`);
  if (mode === 'create' && fields.email === undefined && fields.external_id === undefined)
    throw new FieldError('email', 'A contact must have an email or an external_id');

  const input: ContactInput = { fields };
  if ('custom_attributes' in raw) {
    const custom = raw.custom_attributes;
    if (custom === null) {
      if (mode === 'update') input.customAttributes = null;
    } else if (typeof custom !== 'object' || Array.isArray(custom)) {
      throw new FieldError('custom_attributes', 'custom_attributes must be an object');
    } else {
      input.customAttributes = checkedAttributes(custom as Record<string, unknown>, rules);
    }
  }
  return input;
}

function checkedAttributes(custom: Record<string, unknown>, rules: ContactRules): Record<string, unknown> {
  for (const [name, value] of Object.entries(custom)) {
    const type = rules.attributes.get(name);
    const field = `custom_attributes.${name}`;
    if (type === undefined)
      throw new FieldError(field, `Custom attribute '${name}' does not exist`, 'parameter_not_found');
    if (!fitsAttribute(type, value))
      throw new FieldError(
        field,
        `Custom attribute '${name}' is of type ${type}, got ${JSON.stringify(value)}`,
      );
  }
  return { ...custom };
}

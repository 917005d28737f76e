/** The contact sink's plan, pure: the bodies to send for a record against the contact Intercom holds. */
import { emailKey, type ContactUpsert } from './input';

/** A contact as Intercom's API returns it (the fields the sink reads). */
export type IntercomContact = Record<string, unknown> & { id: string };

/**
 * The body of a create: every field the record gives, the role defaulting to `defaultRole` (Intercom
 * requires one).
 */
export function createBody(upsert: ContactUpsert, defaultRole: 'user' | 'lead'): Record<string, unknown> {
  return {
    role: upsert.role ?? defaultRole,
    ...(upsert.externalId !== undefined ? { external_id: upsert.externalId } : {}),
    ...(upsert.email !== undefined ? { email: upsert.email } : {}),
    ...upsert.fields,
    ...(Object.keys(upsert.customAttributes).length ? { custom_attributes: upsert.customAttributes } : {}),
  };
}

/**
 * The body of a PUT that brings `current` to what the record says: only the fields whose values differ
 * (custom attributes one by one), or null when Intercom already holds every value. This is the sink's
 * loop and replay guard: a write whose values Intercom holds is never sent.
 */
export function updateBody(current: IntercomContact, upsert: ContactUpsert): Record<string, unknown> | null {
  const body: Record<string, unknown> = {};
  if (upsert.role !== undefined && current.role !== upsert.role) body.role = upsert.role;
  if (upsert.externalId !== undefined && current.external_id !== upsert.externalId)
    body.external_id = upsert.externalId;
  // Intercom keeps emails as given but matches them without regard to case (emailKey).
  if (upsert.email !== undefined && emailKey(String(current.email ?? '')) !== emailKey(upsert.email))
    body.email = upsert.email;
  for (const [field, wanted] of Object.entries(upsert.fields)) {
    if (!sameValue(currentField(current, field), wanted)) body[field] = wanted;
  }
  const attributes = (current.custom_attributes ?? {}) as Record<string, unknown>;
  const changed: Record<string, unknown> = {};
  for (const [name, wanted] of Object.entries(upsert.customAttributes)) {
    if (!sameValue(attributes[name], wanted)) changed[name] = wanted;
  }
  if (Object.keys(changed).length) body.custom_attributes = changed;
  return Object.keys(body).length ? body : null;
}

/** The value of a standard field in Intercom's read form (avatar is an object there, a URL in writes). */
function currentField(current: IntercomContact, field: string): unknown {
  const value = current[field];
  if (field === 'avatar' && typeof value === 'object' && value !== null)
    return (value as { image_url?: unknown }).image_url ?? null;
  return value;
}

/** Equal as Intercom stores them: numbers compare by value (`5` and `5.0`), numeric strings stay strings. */
function sameValue(current: unknown, wanted: unknown): boolean {
  if (current === wanted) return true;
  if (typeof current === 'number' && typeof wanted === 'number') return Math.abs(current - wanted) < 1e-9;
  return false;
}

/**
 * The id Intercom names in a 409 on create (`… already exists with id=…`), and whether that contact is
 * archived.
 */
export function conflictOf(message: string): { id: string; archived: boolean } | undefined {
  const m = /already exists with id=([A-Za-z0-9_-]+)/.exec(message);
  if (!m) return undefined;
  return { id: m[1]!, archived: /archived/i.test(message) };
}

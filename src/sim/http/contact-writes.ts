/**
 * Contact writes (CreateContact, UpdateContact, ArchiveContact, UnarchiveContact) and
 * ShowContactByExternalId. Writes go through the MutationEngine, so the ground-truth log, search lag,
 * `truth.ids` and `truth.get` see them exactly as they see `mutate.*`.
 *
 * Content: a created contact holds what the request gave and Intercom's defaults (nulls, no activity);
 * an updated or unarchived contact keeps every other field as it was (its rendered JSON is frozen into
 * its patch), so only the keys a request names change, plus `updated_at`.
 */
import { ApiError, notFound } from '../api-error';
import { type ContactInput, type ContactRules, parseContactInput } from '../contact-input';
import { type AttributeType, customAttributes } from '../render/attributes';
import { FLAG_ARCHIVED } from '../table';
import type { Workspace } from '../workspace';
import type { ApiContext } from './context';

interface Identity {
  version: number;
  externalId: string | null;
  email: string | null;
  role: unknown;
}

/** Identity of each contact row by row version: a contact's content changes only with its version. */
const identities = new WeakMap<Workspace, Map<number, Identity>>();

function identity(ws: Workspace, row: number): Identity {
  let cache = identities.get(ws);
  if (!cache) identities.set(ws, (cache = new Map()));
  const version = ws.table('contacts').version[row] as number;
  const hit = cache.get(row);
  if (hit && hit.version === version) return hit;
  const contact = ws.render('contacts', row);
  const fresh: Identity = {
    version,
    externalId: typeof contact.external_id === 'string' ? contact.external_id : null,
    email: typeof contact.email === 'string' ? contact.email.toLowerCase() : null,
    role: contact.role,
  };
  cache.set(row, fresh);
  return fresh;
}

/** The first live contact matching, else the first archived one; deleted and merged ones never count. */
function holder(
  ws: Workspace,
  matches: (who: Identity) => boolean,
  exceptRow?: number,
): { row: number; archived: boolean } | undefined {
  const table = ws.table('contacts');
  let archived: number | undefined;
  for (let row = 0; row < table.length; row++) {
    const flags = table.flags[row] as number;
    if (row === exceptRow || (flags !== 0 && flags !== FLAG_ARCHIVED)) continue;
    if (flags === 0 && matches(identity(ws, row))) return { row, archived: false };
    if (flags === FLAG_ARCHIVED && archived === undefined && matches(identity(ws, row))) archived = row;
  }
  return archived === undefined ? undefined : { row: archived, archived: true };
}

/**
 * 409 when another contact holds the identity the write gives: the same `external_id`, or, for a user
 * without `external_id`, the same email as another user (emails compare case-insensitively).
 */
function assertUnique(
  ws: Workspace,
  after: { externalId: string | null; email: string | null; role: unknown },
  check: { externalId: boolean; email: boolean },
  exceptRow?: number,
): void {
  let found: ReturnType<typeof holder>;
  if (check.externalId && after.externalId !== null) {
    found = holder(ws, (who) => who.externalId === after.externalId, exceptRow);
  } else if (check.email && after.externalId === null && after.role === 'user' && after.email !== null) {
    const email = after.email.toLowerCase();
    found = holder(ws, (who) => who.role === 'user' && who.email === email, exceptRow);
  }
  if (!found) return;
  const id = ws.id('contacts', found.row);
  throw new ApiError(
    409,
    'conflict',
    found.archived
      ? `An archived contact matching those details already exists with id=${id}`
      : `A contact matching those details already exists with id=${id}`,
  );
}

/** The workspace's custom contact attributes (live data attributes) and its admins. */
export function contactRules(ws: Workspace): ContactRules {
  const attributes = new Map<string, AttributeType>();
  for (const row of ws.table('data_attributes').liveRows()) {
    const a = ws.render('data_attributes', row);
    if (a.model === 'contact' && a.custom === true)
      attributes.set(a.name as string, a.data_type as AttributeType);
  }
  return { attributes, isAdmin: (id) => ws.liveRow('admins', String(id)) !== undefined };
}

function emptyList(contactId: string, kind: string): Record<string, unknown> {
  return { type: 'list', data: [], url: `/contacts/${contactId}/${kind}`, total_count: 0, has_more: false };
}

/** What the request's fields make of a contact's JSON (`custom_attributes` merge key by key). */
function applyInput(contact: Record<string, unknown>, input: ContactInput): Record<string, unknown> {
  const out: Record<string, unknown> = { ...contact };
  for (const [key, value] of Object.entries(input.fields)) {
    if (key === 'avatar') out.avatar = { type: 'avatar', image_url: value };
    else if (key === 'unsubscribed_from_emails') out.unsubscribed_from_emails = value ?? false;
    else out[key] = value;
    if (key === 'email')
      out.email_domain = typeof value === 'string' ? (value.split('@')[1] ?? '').toLowerCase() : null;
  }
  const current = (contact.custom_attributes ?? {}) as Record<string, unknown>;
  if (input.customAttributes === null)
    out.custom_attributes = Object.fromEntries(Object.keys(current).map((k) => [k, null]));
  else if (input.customAttributes !== undefined)
    out.custom_attributes = { ...current, ...input.customAttributes };
  return out;
}

/** A contact created through the API: what the request gave, Intercom's defaults for the rest. */
function createdContact(ws: Workspace, input: ContactInput): Record<string, unknown> {
  const base: Record<string, unknown> = {
    role: 'user',
    external_id: null,
    email: null,
    email_domain: null,
    phone: null,
    name: null,
    owner_id: null,
    has_hard_bounced: false,
    marked_email_as_spam: false,
    unsubscribed_from_emails: false,
    signed_up_at: null,
    last_seen_at: null,
    last_replied_at: null,
    last_contacted_at: null,
    last_email_opened_at: null,
    last_email_clicked_at: null,
    language_override: null,
    browser: null,
    browser_version: null,
    browser_language: null,
    os: null,
    location: { type: 'location', country: null, region: null, city: null },
    avatar: { type: 'avatar', image_url: null },
    social_profiles: { type: 'list', data: [] },
    custom_attributes: Object.fromEntries(customAttributes(ws, 'contact').map((a) => [a.name, null])),
  };
  return applyInput(base, input);
}

function contactRow(ctx: ApiContext): { id: string; row: number | undefined } {
  const id = decodeURIComponent(ctx.params[0] as string);
  return { id, row: ctx.ws.rowOf('contacts', id) };
}

const missing = (id: string): ApiError => notFound(`contact ${id} not found`);

export function createContact(ctx: ApiContext): Record<string, unknown> {
  const { ws, engine } = ctx;
  const input = parseContactInput(ctx.body, 'create', contactRules(ws));
  const contact = createdContact(ws, input);
  const externalId = (contact.external_id as string | null) ?? null;
  assertUnique(
    ws,
    { externalId, email: contact.email as string | null, role: contact.role },
    { externalId: true, email: true },
  );
  const id = engine.create('contacts', contact);
  const row = ws.liveRow('contacts', id) as number;
  // The embedded lists name the new id: same instant, same version, part of the creation.
  ws.patch('contacts', row, {
    tags: emptyList(id, 'tags'),
    notes: emptyList(id, 'notes'),
    companies: emptyList(id, 'companies'),
  });
  return ws.render('contacts', row);
}

/** A partial update; every successful call bumps `updated_at` and logs a change, changed or not. */
export function updateContact(ctx: ApiContext): Record<string, unknown> {
  const { ws, engine } = ctx;
  const { id } = contactRow(ctx);
  const row = ws.liveRow('contacts', id);
  if (row === undefined) throw missing(id);
  const input = parseContactInput(ctx.body, 'update', contactRules(ws));
  // In full: the update's patch keeps every item of the contact's embedded lists.
  const before = ws.renderComplete('contacts', row);
  const after = applyInput(before, input);
  const externalId = typeof after.external_id === 'string' ? after.external_id : null;
  const email = typeof after.email === 'string' ? after.email : null;
  if (input.fields.email !== undefined || input.fields.external_id !== undefined) {
    if (externalId === null && email === null)
      throw new ApiError(400, 'parameter_invalid', 'A contact must keep an email or an external_id');
  }
  const lower = (v: unknown): unknown => (typeof v === 'string' ? v.toLowerCase() : v);
  assertUnique(
    ws,
    { externalId, email, role: after.role },
    {
      externalId: externalId !== before.external_id,
      email:
        lower(email) !== lower(before.email) ||
        after.role !== before.role ||
        externalId !== before.external_id,
    },
    row,
  );
  engine.update('contacts', id, after);
  return ws.render('contacts', row);
}

/** The contact of an archive or unarchive request, live or archived; anything else is a 404. */
function archivable(ctx: ApiContext): { id: string; row: number; flags: number } {
  const { id, row } = contactRow(ctx);
  const flags = row === undefined ? undefined : ctx.ws.table('contacts').flags[row];
  if (row === undefined || flags === undefined || (flags !== 0 && flags !== FLAG_ARCHIVED)) throw missing(id);
  return { id, row, flags };
}

function archiveBody(ws: Workspace, id: string, row: number, archived: boolean): Record<string, unknown> {
  const externalId = ws.render('contacts', row).external_id;
  return { type: 'contact', id, external_id: externalId ?? null, archived };
}

/** Live → archived (logged like a delete); archived → the same answer, nothing changes. */
export function archiveContact(ctx: ApiContext): Record<string, unknown> {
  const { id, row, flags } = archivable(ctx);
  if (flags === 0) ctx.engine.archive(id);
  return archiveBody(ctx.ws, id, row, true);
}

/** Archived → live with `updated_at` = now (logged like a create); live → the same answer, nothing changes. */
export function unarchiveContact(ctx: ApiContext): Record<string, unknown> {
  const { id, row, flags } = archivable(ctx);
  if (flags === FLAG_ARCHIVED) ctx.engine.unarchive(id);
  return archiveBody(ctx.ws, id, row, false);
}

/** The live user with this external_id; leads are not found (the endpoint supports users only). */
export function findByExternalId(ctx: ApiContext): Record<string, unknown> {
  const externalId = decodeURIComponent(ctx.params[0] as string);
  const table = ctx.ws.table('contacts');
  for (let row = 0; row < table.length; row++) {
    if (table.flags[row] !== 0) continue;
    const who = identity(ctx.ws, row);
    if (who.role === 'user' && who.externalId === externalId) return ctx.ws.render('contacts', row);
  }
  throw notFound(`user with external_id ${externalId} not found`);
}

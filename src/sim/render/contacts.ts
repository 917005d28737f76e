import { type Rand, rand } from '../rng';
import { type AttributeSpec, customAttributes } from './attributes';
import { type RenderContext, STREAM_CODE, linked, times } from './context';
import { BROWSERS, DOMAINS, FIRST_NAMES, LANGUAGES, LAST_NAMES, OSES, PLACES, PLANS } from './vocab';

const DAY = 86_400;
/** Embedded lists inside a contact stop at this many items and say `has_more`. */
const EMBEDDED_LIMIT = 10;
/** The lists a contact embeds (at most EMBEDDED_LIMIT items each), each served in full at `url`. */
export const EMBEDDED_LISTS = ['tags', 'companies', 'notes', 'segments'] as const;

/**
 * A contact with its embedded lists in full (`has_more` false): the truth, which `cutEmbedded` turns
 * into what GET /contacts, search and GET /contacts/{id} return. Identity (name, email, role) depends
 * on the row only; activity fields and custom attributes change with every version.
 */
export function renderContact(ctx: RenderContext, row: number): Record<string, unknown> {
  return buildContact(ctx, row).contact;
}

/**
 * The contact as the API returns it: each embedded list of more than ten items cut to its first ten,
 * with `total_count` the whole list's length and `has_more` true (the rest is at the list's `url`).
 */
export function cutEmbedded(contact: Record<string, unknown>): Record<string, unknown> {
  let out = contact;
  for (const key of EMBEDDED_LISTS) {
    const list = contact[key] as { data?: unknown } | undefined;
    if (!list || !Array.isArray(list.data) || list.data.length <= EMBEDDED_LIMIT) continue;
    if (out === contact) out = { ...contact };
    out[key] = {
      ...list,
      data: list.data.slice(0, EMBEDDED_LIMIT),
      total_count: list.data.length,
      has_more: true,
    };
  }
  return out;
}

/**
 * Every tag row of a generated contact, in the order its embedded `tags` list shows them (which stops
 * at the first ten); distinct. GET /contacts/{id}/tags lists these.
 */
export function contactTagRows(ctx: RenderContext, row: number): number[] {
  return buildContact(ctx, row).tagRows;
}

function buildContact(
  ctx: RenderContext,
  row: number,
): { contact: Record<string, unknown>; tagRows: number[] } {
  const id = ctx.id('contacts', row);
  const { created, updated } = times(ctx, 'contacts', row);
  const version = ctx.table('contacts').version[row] as number;
  const who = rand(ctx.seed, STREAM_CODE.contacts, row);
  const now = rand(ctx.seed, STREAM_CODE.contacts, row, version + 1);
  const first = who.pick(FIRST_NAMES);
  const last = who.pick(LAST_NAMES);
  const domain = who.pick(DOMAINS);
  const email = `${first}.${last}.${row}@${domain}`.toLowerCase().replace(/[^a-z0-9.@-]/g, '');
  const isUser = who.bool(0.7);
  const place = who.pick(PLACES);
  const phone = who.bool(0.4) ? `+1555${String(row % 10_000_000).padStart(7, '0')}` : null;
  const ownerId =
    ctx.size.admins > 0 && who.bool(0.5) ? Number(ctx.id('admins', who.int(ctx.size.admins))) : null;
  const browserLanguage = who.pick(LANGUAGES);
  const tagRows = pickTagRows(ctx, who);
  const companies = companyRefs(ctx, who);
  const seen = (p: number): number | null =>
    now.bool(p) ? Math.max(created, updated - now.int(30 * DAY)) : null;
  const contact = {
    type: 'contact',
    id,
    workspace_id: ctx.workspaceId,
    external_id: isUser ? `user-${row}` : null,
    role: isUser ? 'user' : 'lead',
    email,
    email_domain: domain,
    phone,
    name: `${first} ${last}`,
    owner_id: ownerId,
    has_hard_bounced: now.bool(0.02),
    marked_email_as_spam: now.bool(0.01),
    unsubscribed_from_emails: now.bool(0.1),
    created_at: created,
    updated_at: updated,
    signed_up_at: isUser ? created : null,
    last_seen_at: seen(0.8),
    last_replied_at: seen(0.3),
    last_contacted_at: seen(0.4),
    last_email_opened_at: seen(0.3),
    last_email_clicked_at: seen(0.1),
    language_override: null,
    browser: now.pick(BROWSERS),
    browser_version: `${now.between(100, 140)}.0.0`,
    browser_language: browserLanguage,
    os: now.pick(OSES),
    android_app_name: null,
    android_app_version: null,
    android_device: null,
    android_os_version: null,
    android_sdk_version: null,
    android_last_seen_at: null,
    ios_app_name: null,
    ios_app_version: null,
    ios_device: null,
    ios_os_version: null,
    ios_sdk_version: null,
    ios_last_seen_at: null,
    custom_attributes: contactAttributes(customAttributes(ctx, 'contact'), now, updated),
    avatar: { type: 'avatar', image_url: null },
    tags: embeddedList(
      id,
      'tags',
      tagRows.map((tagRow) => tagRef(ctx, tagRow)),
    ),
    notes: embeddedList(id, 'notes', []),
    companies: embeddedList(id, 'companies', companies),
    location: { type: 'location', country: place[0], region: place[1], city: place[2] },
    social_profiles: { type: 'list', data: [] },
  };
  return { contact, tagRows };
}

/** Values by type; dates come as Unix seconds or, for some contacts, ISO 8601 strings (both occur in real workspaces). */
function contactAttributes(specs: AttributeSpec[], r: Rand, updated: number): Record<string, unknown> {
  const isoDates = r.bool(0.3);
  const out: Record<string, unknown> = {};
  for (const spec of specs) {
    if (r.bool(0.1)) {
      out[spec.name] = null;
      continue;
    }
    const value = {
      string: () => (spec.options ? r.pick(spec.options) : r.pick(PLANS)),
      integer: () => r.between(1, 500),
      float: () => Math.round(r.next() * 1000) / 100,
      boolean: () => r.bool(),
      date: () => {
        const sec = updated + r.between(-90, 90) * DAY;
        return isoDates ? new Date(sec * 1000).toISOString().replace('.000Z', 'Z') : sec;
      },
    }[spec.dataType]();
    out[spec.name] = value;
  }
  return out;
}

/**
 * Up to twelve distinct tag rows. Each one is drawn at random; a draw that lands on a tag the contact
 * already has takes the next tag not yet taken (a contact never lists a tag twice), and the number of
 * draws stays what it was, so every other seeded field is unchanged.
 */
function pickTagRows(ctx: RenderContext, r: Rand): number[] {
  const count = r.bool(0.7) ? 0 : r.between(1, Math.min(12, ctx.size.tags));
  const rows: number[] = [];
  for (let i = 0; i < count; i++) {
    let tagRow = linked(ctx.size.tags, r.int(1 << 30) + i) as number;
    while (rows.includes(tagRow)) tagRow = (tagRow + 1) % ctx.size.tags;
    rows.push(tagRow);
  }
  return rows;
}

function tagRef(ctx: RenderContext, tagRow: number): Record<string, unknown> {
  const id = ctx.id('tags', tagRow);
  return { type: 'tag', id, url: `/tags/${id}` };
}

function companyRefs(ctx: RenderContext, r: Rand): Record<string, unknown>[] {
  const companyRow = linked(ctx.size.companies, r.int(1 << 30));
  if (companyRow === undefined || r.bool(0.4)) return [];
  const id = ctx.id('companies', companyRow);
  return [{ type: 'company', id, url: `/companies/${id}` }];
}

function embeddedList(
  contactId: string,
  kind: string,
  items: Record<string, unknown>[],
): Record<string, unknown> {
  return {
    type: 'list',
    data: items,
    url: `/contacts/${contactId}/${kind}`,
    total_count: items.length,
    has_more: false,
  };
}

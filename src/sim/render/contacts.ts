import { type Rand, rand } from '../rng';
import { type AttributeSpec, customAttributes } from './attributes';
import { type RenderContext, STREAM_CODE, linked, times } from './context';
import { BROWSERS, DOMAINS, FIRST_NAMES, LANGUAGES, LAST_NAMES, OSES, PLACES, PLANS } from './vocab';

const DAY = 86_400;
/** Embedded lists inside a contact stop at this many items and say `has_more`. */
const EMBEDDED_LIMIT = 10;

/**
 * A contact as GET /contacts, search and GET /contacts/{id} return it. Identity (name, email, role)
 * depends on the row only; activity fields and custom attributes change with every version.
 */
export function renderContact(ctx: RenderContext, row: number): Record<string, unknown> {
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
  const seen = (p: number): number | null =>
    now.bool(p) ? Math.max(created, updated - now.int(30 * DAY)) : null;
  return {
    type: 'contact',
    id,
    workspace_id: ctx.workspaceId,
    external_id: isUser ? `user-${row}` : null,
    role: isUser ? 'user' : 'lead',
    email,
    email_domain: domain,
    phone: who.bool(0.4) ? `+1555${String(row % 10_000_000).padStart(7, '0')}` : null,
    name: `${first} ${last}`,
    owner_id:
      ctx.size.admins > 0 && who.bool(0.5) ? Number(ctx.id('admins', who.int(ctx.size.admins))) : null,
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
    browser_language: who.pick(LANGUAGES),
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
    tags: embeddedList(id, 'tags', tagRefs(ctx, who)),
    notes: embeddedList(id, 'notes', []),
    companies: embeddedList(id, 'companies', companyRefs(ctx, who)),
    location: { type: 'location', country: place[0], region: place[1], city: place[2] },
    social_profiles: { type: 'list', data: [] },
  };
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

function tagRefs(ctx: RenderContext, r: Rand): Record<string, unknown>[] {
  const count = r.bool(0.7) ? 0 : r.between(1, Math.min(12, ctx.size.tags));
  const refs: Record<string, unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const tagRow = linked(ctx.size.tags, r.int(1 << 30) + i) as number;
    const id = ctx.id('tags', tagRow);
    refs.push({ type: 'tag', id, url: `/tags/${id}` });
  }
  return refs;
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
    data: items.slice(0, EMBEDDED_LIMIT),
    url: `/contacts/${contactId}/${kind}`,
    total_count: items.length,
    has_more: items.length > EMBEDDED_LIMIT,
  };
}

import { partId } from '../ids';
import { type Rand, rand } from '../rng';
import { type RenderContext, STREAM_CODE, linked, times } from './context';
import { sentence } from './vocab';

const SOURCE_TYPES = ['conversation', 'email', 'conversation', 'push', 'sms', 'whatsapp'] as const;
const STATES = ['open', 'closed', 'snoozed'] as const;
const PART_TYPES = ['comment', 'comment', 'comment', 'note', 'assignment', 'close', 'open'] as const;
const PART_SALT = 0x9a57;

/**
 * A conversation as search and list return it (no parts), or with `withParts` as GET
 * /conversations/{id} returns it: the `maxParts` most recent parts, oldest first, while
 * `statistics.count_conversation_parts` counts them all.
 */
export function renderConversation(
  ctx: RenderContext,
  row: number,
  withParts = false,
): Record<string, unknown> {
  const { created, updated } = times(ctx, 'conversations', row);
  const version = ctx.table('conversations').version[row] as number;
  const who = rand(ctx.seed, STREAM_CODE.conversations, row);
  const now = rand(ctx.seed, STREAM_CODE.conversations, row, version + 1);
  const contactRow = linked(ctx.size.contacts, who.int(1 << 30));
  const contactId = contactRow === undefined ? undefined : ctx.id('contacts', contactRow);
  const adminRow = linked(ctx.size.admins, now.int(1 << 30));
  const teamRow = linked(ctx.size.teams, now.int(1 << 30));
  const state = now.pick(STATES);
  const partCount = ctx.parts.count(row);
  const conversation: Record<string, unknown> = {
    type: 'conversation',
    id: ctx.id('conversations', row),
    title: null,
    created_at: created,
    updated_at: updated,
    waiting_since: state === 'open' && now.bool(0.5) ? updated : null,
    snoozed_until: state === 'snoozed' ? updated + 86_400 : null,
    open: state !== 'closed',
    state,
    read: now.bool(0.6),
    priority: now.bool(0.1) ? 'priority' : 'not_priority',
    admin_assignee_id: adminRow === undefined ? null : Number(ctx.id('admins', adminRow)),
    team_assignee_id: teamRow === undefined ? null : Number(ctx.id('teams', teamRow)),
    tags: { type: 'tag.list', tags: [] },
    conversation_rating: null,
    source: {
      type: who.pick(SOURCE_TYPES),
      id: String(500_000_000 + row),
      delivered_as: 'customer_initiated',
      subject: '',
      body: `<p>${sentence((n) => who.int(n), 8)}</p>`,
      author: contactId
        ? { type: 'user', id: contactId, name: null, email: `contact-${contactRow}@example.com` }
        : { type: 'bot', id: '0', name: 'Operator', email: 'operator@intercom.io' },
      attachments: [],
      url: null,
      redacted: false,
    },
    contacts: {
      type: 'contact.list',
      contacts: contactId ? [{ type: 'contact', id: contactId, external_id: null }] : [],
    },
    teammates: {
      type: 'admin.list',
      teammates: adminRow === undefined ? [] : [{ type: 'admin', id: ctx.id('admins', adminRow) }],
    },
    custom_attributes: { priority_reason: now.pick(['none', 'sla', 'vip']), issue_count: now.between(0, 9) },
    first_contact_reply: { created_at: created, type: 'conversation', url: null },
    sla_applied: null,
    statistics: {
      type: 'conversation_statistics',
      first_contact_reply_at: created,
      last_contact_reply_at: updated,
      count_reopens: now.between(0, 3),
      count_assignments: now.between(0, 4),
      count_conversation_parts: partCount,
    },
    linked_objects: { type: 'list', total_count: 0, has_more: false, data: [] },
    ai_agent_participated: false,
  };
  if (withParts) conversation.conversation_parts = renderParts(ctx, row, created, partCount);
  return conversation;
}

function renderParts(
  ctx: RenderContext,
  row: number,
  created: number,
  count: number,
): Record<string, unknown> {
  const first = Math.max(0, count - ctx.maxParts);
  const parts: Record<string, unknown>[] = [];
  for (let position = first; position < count; position++)
    parts.push(renderPart(ctx, row, created, position));
  return { type: 'conversation_part.list', conversation_parts: parts, total_count: parts.length };
}

/** One part; a redacted part keeps its id and creation time, loses its body and gets a new `updated_at`. */
export function renderPart(
  ctx: RenderContext,
  row: number,
  created: number,
  position: number,
): Record<string, unknown> {
  const r = rand(ctx.seed, STREAM_CODE.conversations, row, PART_SALT, position);
  const partCreated = ctx.parts.createdAt(row, created, position);
  const redactedAt = ctx.parts.redactedAt(row, position);
  const partType = r.pick(PART_TYPES);
  return {
    type: 'conversation_part',
    id: partId(row, position),
    part_type: partType,
    body: redactedAt !== undefined ? '' : partType === 'comment' || partType === 'note' ? body(r) : null,
    created_at: partCreated,
    updated_at: redactedAt ?? partCreated,
    notified_at: partCreated,
    assigned_to: null,
    author: author(ctx, r),
    attachments: [],
    external_id: null,
    redacted: redactedAt !== undefined,
  };
}

function body(r: Rand): string {
  return `<p>${sentence((n) => r.int(n), r.between(3, 14))}</p>`;
}

function author(ctx: RenderContext, r: Rand): Record<string, unknown> {
  const adminRow = linked(ctx.size.admins, r.int(1 << 30));
  if (adminRow !== undefined && r.bool(0.6)) {
    return {
      type: 'admin',
      id: ctx.id('admins', adminRow),
      name: `Admin ${adminRow}`,
      email: `admin${adminRow}@example.com`,
    };
  }
  const contactRow = linked(ctx.size.contacts, r.int(1 << 30)) ?? 0;
  return {
    type: 'user',
    id: ctx.id('contacts', contactRow),
    name: null,
    email: `contact-${contactRow}@example.com`,
  };
}

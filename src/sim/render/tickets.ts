import { rand } from '../rng';
import { type RenderContext, STREAM_CODE, linked, times } from './context';
import { sentence } from './vocab';

const STATES = [
  { id: '1', category: 'submitted', label: 'Submitted' },
  { id: '2', category: 'in_progress', label: 'In progress' },
  { id: '3', category: 'waiting_on_customer', label: 'Waiting on customer' },
  { id: '4', category: 'resolved', label: 'Resolved' },
] as const;
const TYPES = [
  { id: '11', category: 'Customer', name: 'Bug report' },
  { id: '12', category: 'Back-office', name: 'Refund' },
  { id: '13', category: 'Tracker', name: 'Outage' },
] as const;

/** A ticket as POST /tickets/search and GET /tickets/{id} return it. `admin_assignee_id` is '0' when unassigned. */
export function renderTicket(ctx: RenderContext, row: number): Record<string, unknown> {
  const { created, updated } = times(ctx, 'tickets', row);
  const version = ctx.table('tickets').version[row] as number;
  const who = rand(ctx.seed, STREAM_CODE.tickets, row);
  const now = rand(ctx.seed, STREAM_CODE.tickets, row, version + 1);
  const type = who.pick(TYPES);
  const state = now.pick(STATES);
  const contactRow = linked(ctx.size.contacts, who.int(1 << 30));
  const adminRow = now.bool(0.7) ? linked(ctx.size.admins, now.int(1 << 30)) : undefined;
  const teamRow = now.bool(0.5) ? linked(ctx.size.teams, now.int(1 << 30)) : undefined;
  const ticket: Record<string, unknown> = {
    type: 'ticket',
    id: ctx.id('tickets', row),
    ticket_id: String(row + 1),
    category: type.category,
    ticket_attributes: {
      _default_title_: `${type.name}: ${sentence((n) => who.int(n), 4)}`,
      _default_description_: sentence((n) => now.int(n), 12),
    },
    ticket_state: {
      type: 'ticket_state',
      id: state.id,
      category: state.category,
      internal_label: state.label,
      external_label: state.label,
    },
    ticket_type: {
      type: 'ticket_type',
      id: type.id,
      category: type.category,
      name: type.name,
      icon: '🎟️',
      workspace_id: ctx.workspaceId,
      archived: false,
      created_at: ctx.createdAtSec,
      updated_at: ctx.createdAtSec,
    },
    contacts: {
      type: 'contact.list',
      contacts:
        contactRow === undefined
          ? []
          : [{ type: 'contact', id: ctx.id('contacts', contactRow), external_id: null }],
    },
    admin_assignee_id: adminRow === undefined ? '0' : ctx.id('admins', adminRow),
    team_assignee_id: teamRow === undefined ? '0' : ctx.id('teams', teamRow),
    created_at: created,
    updated_at: updated,
    open: state.category !== 'resolved',
    linked_objects: { type: 'list', total_count: 0, has_more: false, data: [] },
    is_shared: type.category === 'Customer',
  };
  if (state.category === 'waiting_on_customer' && now.bool(0.3)) ticket.snoozed_until = updated + 2 * 86_400;
  return ticket;
}

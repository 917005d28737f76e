/**
 * Searchable fields per stream, as data: each field's type and how to read it from the rendered
 * object (a dotted path by default). `id`, `created_at` and `updated_at` read the compact rows
 * directly, so the common `updated_at` window never renders an object.
 */
/** `id`: a string that also orders (`>`, `<`…), by plain string comparison of the ids. */
export type FieldType = 'string' | 'id' | 'integer' | 'float' | 'boolean' | 'date' | 'any';

export interface FieldDef {
  type: FieldType;
  /** Reads the value (or values: any one matching is enough) from the rendered object. */
  read?: (obj: Record<string, unknown>) => unknown;
  /** Read from the rows without rendering. */
  column?: 'id' | 'created_at' | 'updated_at';
}

export type SearchStream = 'contacts' | 'conversations' | 'tickets';

export interface StreamFields {
  /** `day`: timestamps match by calendar day (contacts); `inclusive`: `>`/`<` include the bound, second precision. */
  dateMode: 'day' | 'inclusive';
  fields: Record<string, FieldDef>;
  /** Prefixes open to any sub-field (custom attributes), with the type of their values. */
  prefixes: Record<string, FieldType>;
}

const common: Record<string, FieldDef> = {
  id: { type: 'id', column: 'id' },
  created_at: { type: 'date', column: 'created_at' },
  updated_at: { type: 'date', column: 'updated_at' },
};

/** The ids of the objects in `obj[path][key]` (embedded lists). */
function idsAt(path: string, key: string): (obj: Record<string, unknown>) => unknown {
  return (obj) => {
    const list = (obj[path] as Record<string, unknown> | undefined)?.[key];
    return Array.isArray(list) ? list.map((item) => (item as Record<string, unknown>).id) : [];
  };
}

function words(path: string): (obj: Record<string, unknown>) => unknown {
  return (obj) =>
    String(readPath(obj, path) ?? '')
      .replace(/<[^>]*>/g, ' ')
      .split(/\s+/)
      .filter(Boolean);
}

function types(type: FieldType, names: string[]): Record<string, FieldDef> {
  return Object.fromEntries(names.map((name) => [name, { type }]));
}

export const SEARCH_FIELDS: Record<SearchStream, StreamFields> = {
  contacts: {
    dateMode: 'day',
    prefixes: { 'custom_attributes.': 'any' },
    fields: {
      ...common,
      ...types('string', [
        'role',
        'name',
        'avatar',
        'email',
        'email_domain',
        'phone',
        'external_id',
        'language_override',
        'browser',
        'browser_language',
        'os',
        'location.country',
        'location.region',
        'location.city',
        'ios_app_version',
        'ios_device',
        'ios_os_version',
        'ios_app_name',
        'ios_sdk_version',
        'android_app_version',
        'android_device',
        'android_app_name',
        'android_sdk_version',
      ]),
      ...types('date', [
        'signed_up_at',
        'last_seen_at',
        'last_contacted_at',
        'last_replied_at',
        'last_email_opened_at',
        'last_email_clicked_at',
        'ios_last_seen_at',
        'android_last_seen_at',
      ]),
      ...types('boolean', ['unsubscribed_from_emails', 'marked_email_as_spam', 'has_hard_bounced']),
      owner_id: { type: 'integer' },
      tag_id: { type: 'string', read: idsAt('tags', 'data') },
      company_id: { type: 'string', read: idsAt('companies', 'data') },
      segment_id: { type: 'string', read: () => [] },
    },
  },
  conversations: {
    dateMode: 'inclusive',
    prefixes: { 'custom_attributes.': 'any' },
    fields: {
      ...common,
      ...types('string', [
        'source.type',
        'source.id',
        'source.delivered_as',
        'source.subject',
        'source.author.id',
        'source.author.type',
        'source.author.name',
        'source.author.email',
        'source.url',
        'state',
        'priority',
        'channel_initiated',
        'statistics.last_closed_by_id',
        'ai_agent.resolution_state',
        'ai_agent.last_answer_type',
      ]),
      ...types('date', [
        'waiting_since',
        'snoozed_until',
        'statistics.first_contact_reply_at',
        'statistics.first_assignment_at',
        'statistics.first_admin_reply_at',
        'statistics.first_close_at',
        'statistics.last_assignment_at',
        'statistics.last_assignment_admin_reply_at',
        'statistics.last_contact_reply_at',
        'statistics.last_admin_reply_at',
        'statistics.last_close_at',
      ]),
      ...types('integer', [
        'admin_assignee_id',
        'team_assignee_id',
        'statistics.time_to_assignment',
        'statistics.time_to_admin_reply',
        'statistics.time_to_first_close',
        'statistics.time_to_last_close',
        'statistics.median_time_to_reply',
        'statistics.count_reopens',
        'statistics.count_assignments',
        'statistics.count_conversation_parts',
      ]),
      ...types('boolean', ['open', 'read', 'ai_agent_participated']),
      'source.body': { type: 'string', read: words('source.body') },
      contact_ids: { type: 'string', read: idsAt('contacts', 'contacts') },
      teammate_ids: { type: 'string', read: idsAt('teammates', 'teammates') },
      tag_ids: { type: 'string', read: idsAt('tags', 'tags') },
    },
  },
  tickets: {
    dateMode: 'inclusive',
    prefixes: { 'ticket_attribute.': 'any', 'ticket_attributes.': 'any' },
    fields: {
      ...common,
      ...types('string', ['category', 'admin_assignee_id', 'team_assignee_id']),
      open: { type: 'boolean' },
      snoozed_until: { type: 'date' },
      title: { type: 'string', read: (o) => readPath(o, 'ticket_attributes._default_title_') },
      description: { type: 'string', read: (o) => readPath(o, 'ticket_attributes._default_description_') },
      state: { type: 'string', read: (o) => readPath(o, 'ticket_state.category') },
      ticket_type_id: { type: 'string', read: (o) => readPath(o, 'ticket_type.id') },
      contact_ids: { type: 'string', read: idsAt('contacts', 'contacts') },
    },
  },
};

/** The definition of `field` in a stream, or undefined when the field is not searchable. */
export function fieldDef(stream: SearchStream, field: string): FieldDef | undefined {
  const spec = SEARCH_FIELDS[stream];
  const exact = spec.fields[field];
  if (exact) return exact;
  for (const [prefix, type] of Object.entries(spec.prefixes)) {
    if (field.startsWith(prefix) && field.length > prefix.length) {
      const path = prefix === 'ticket_attribute.' ? `ticket_attributes.${field.slice(prefix.length)}` : field;
      return { type, read: (o) => readPath(o, path) };
    }
  }
  return undefined;
}

export function readPath(obj: Record<string, unknown>, path: string): unknown {
  let current: unknown = obj;
  for (const key of path.split('.')) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

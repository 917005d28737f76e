/**
 * Every stream the connector captures, the one list of their names: each has a definition
 * (definitions.ts: what it is and how it is fetched), `schemas/<stream>.avsc` and a topic
 * `<prefix>.<stream>`. Pure data, imported by every layer (normalize included).
 */
export const STREAMS = [
  'contacts',
  'conversations',
  'conversation_parts',
  'tickets',
  'companies',
  'admins',
  'teams',
  'tags',
  'segments',
  'articles',
  'help_center_collections',
  'data_attributes',
] as const;
export type StreamName = (typeof STREAMS)[number];

/** Whether `value` names a stream. */
export function isStreamName(value: unknown): value is StreamName {
  return (STREAMS as readonly unknown[]).includes(value);
}

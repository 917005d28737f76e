/**
 * Id schemes, as data: each stream's ids look like Intercom's (24-hex object ids, numeric strings)
 * and encode the row, so an id decodes to its row without an index.
 */
import type { SimStream } from './types';

export interface IdCodec {
  encode(row: number, createdAtSec: number): string;
  /** The row an id names, or undefined when it cannot be one of ours. */
  decode(id: string): number | undefined;
}

/** Object-id-like: 8 hex of the creation second, 6 hex of the workspace tag, 10 hex of the row. */
function hexCodec(tag: number): IdCodec {
  const tagHex = (tag & 0xffffff).toString(16).padStart(6, '0');
  return {
    encode: (row, createdAtSec) =>
      createdAtSec.toString(16).padStart(8, '0').slice(-8) + tagHex + row.toString(16).padStart(10, '0'),
    decode: (id) => {
      if (!/^[0-9a-f]{24}$/.test(id) || id.slice(8, 14) !== tagHex) return undefined;
      return parseInt(id.slice(14), 16);
    },
  };
}

function numericCodec(base: number): IdCodec {
  return {
    encode: (row) => String(base + row),
    decode: (id) => {
      if (!/^[0-9]{1,15}$/.test(id)) return undefined;
      const row = Number(id) - base;
      return row >= 0 ? row : undefined;
    },
  };
}

const NUMERIC_BASES: Partial<Record<SimStream, number>> = {
  conversations: 100_000_000,
  tickets: 300_000,
  admins: 991_200_000,
  teams: 4_100_000,
  tags: 7_200_000,
  articles: 9_300_000,
  help_center_collections: 8_400_000,
  data_attributes: 100_000,
};

/** The codec of each table stream for a workspace tag (derived from the seed). */
export function idCodecs(tag: number): Record<Exclude<SimStream, 'conversation_parts'>, IdCodec> {
  const num = (stream: SimStream): IdCodec => numericCodec(NUMERIC_BASES[stream] as number);
  return {
    contacts: hexCodec(tag),
    companies: hexCodec(tag ^ 0x5a5a5a),
    segments: hexCodec(tag ^ 0xa5a5a5),
    conversations: num('conversations'),
    tickets: num('tickets'),
    admins: num('admins'),
    teams: num('teams'),
    tags: num('tags'),
    articles: num('articles'),
    help_center_collections: num('help_center_collections'),
    data_attributes: num('data_attributes'),
  };
}

/** Conversation parts: numeric ids that carry the conversation row and the part's position in it. */
export const PART_ID_BASE = 10_000_000_000;
export const MAX_PARTS_PER_CONVERSATION = 100_000;

export function partId(conversationRow: number, position: number): string {
  return String(PART_ID_BASE + conversationRow * MAX_PARTS_PER_CONVERSATION + position);
}

export function decodePartId(id: string): { conversationRow: number; position: number } | undefined {
  if (!/^[0-9]{11,16}$/.test(id)) return undefined;
  const n = Number(id) - PART_ID_BASE;
  if (n < 0) return undefined;
  return {
    conversationRow: Math.floor(n / MAX_PARTS_PER_CONVERSATION),
    position: n % MAX_PARTS_PER_CONVERSATION,
  };
}

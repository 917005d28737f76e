import { CdcError } from '../errors';
import type { SimClock } from './clock';
import { decodePartId, partId } from './ids';
import { Rand, hash32 } from './rng';
import { renderPart } from './render/conversations';
import { FLAG_ARCHIVED, FLAG_DELETED, FLAG_MERGED } from './table';
import type { ChangeRecord, GroundTruth, Mutations, SearchableStream, SimStream, TableStream } from './types';
import { HAS_UPDATED_AT, type Workspace } from './workspace';

type Op = 'create' | 'update' | 'remove' | 'merge';

/** How often random mutations pick each stream (relative weights), and which operations each allows. */
const STREAM_WEIGHT: Record<SimStream, number> = {
  contacts: 30,
  conversations: 20,
  conversation_parts: 15,
  companies: 8,
  tickets: 8,
  articles: 4,
  help_center_collections: 2,
  admins: 1,
  teams: 1,
  tags: 2,
  segments: 2,
  data_attributes: 2,
};
const OP_WEIGHT: Record<Op, number> = { create: 25, update: 65, remove: 5, merge: 5 };
const STREAM_OPS: Partial<Record<SimStream, readonly Op[]>> = {
  contacts: ['create', 'update', 'remove', 'merge'],
  conversation_parts: ['create', 'update'],
};
const DEFAULT_OPS: readonly Op[] = ['create', 'update', 'remove'];
/** Fields the rows own: a patch cannot move them, or lists and search would disagree with the objects. */
const OWNED_FIELDS = ['id', 'type', 'created_at', 'updated_at'];

const fail = (message: string): CdcError =>
  new CdcError(`sim: ${message}`, { code: 'sim_mutation', kind: 'system' });

/**
 * Changes the workspace at sim time `clock.now()` and records every change in the ground-truth log
 * (one record per object changed: a new conversation part logs the part `c` and its conversation `u`).
 */
export class MutationEngine implements Mutations, GroundTruth {
  private readonly changes: ChangeRecord[] = [];
  private readonly listeners: ((change: ChangeRecord) => void)[] = [];
  private readonly rng: Rand;

  constructor(
    private readonly ws: Workspace,
    private readonly clock: SimClock,
  ) {
    this.rng = new Rand(hash32(ws.seed, 0x3a7));
  }

  create(stream: SimStream, overrides: Record<string, unknown> = {}): string {
    if (stream === 'conversation_parts') {
      const parent =
        typeof overrides.conversation_id === 'string'
          ? overrides.conversation_id
          : this.anyLive('conversations');
      return this.addPart(this.requireRow('conversations', parent ?? this.create('conversations')));
    }
    const { nowMs, nowSec } = this.now();
    const table = this.ws.table(stream);
    const row = table.push(nowSec, nowSec, nowMs);
    if (stream === 'conversations') this.ws.parts.init(row, 0, nowSec);
    this.ws.patch(stream, row, ownable(overrides));
    const id = this.ws.id(stream, row);
    this.record(stream, id, 'c', HAS_UPDATED_AT[stream] ? nowSec : null);
    return id;
  }

  update(stream: SimStream, id: string, patch: Record<string, unknown> = {}): void {
    if (stream === 'conversation_parts') return this.redactPart(id);
    const row = this.requireRow(stream, id);
    if (stream === 'conversations') this.addPart(row, patch);
    else this.touch(stream, row, patch);
  }

  remove(stream: SimStream, id: string): void {
    if (stream === 'conversation_parts')
      throw fail('conversation parts cannot be removed, only redacted (update)');
    const row = this.requireRow(stream, id);
    this.ws.table(stream).flags[row] |= FLAG_DELETED;
    this.record(stream, id, 'd', null);
  }

  merge(fromContactId: string, intoContactId: string): void {
    if (fromContactId === intoContactId) throw fail('cannot merge a contact into itself');
    const from = this.requireRow('contacts', fromContactId);
    const into = this.requireRow('contacts', intoContactId);
    this.ws.table('contacts').flags[from] |= FLAG_MERGED;
    this.record('contacts', fromContactId, 'd', null);
    this.touch('contacts', into, {});
  }

  archive(contactId: string): void {
    const row = this.ws.rowOf('contacts', contactId);
    const table = this.ws.table('contacts');
    if (row !== undefined && table.flags[row] === FLAG_ARCHIVED) return;
    table.flags[this.requireRow('contacts', contactId)] |= FLAG_ARCHIVED;
    this.record('contacts', contactId, 'd', null);
  }

  /** The contact keeps the content it had when archived (frozen), with a new `updated_at`. */
  unarchive(contactId: string): void {
    const row = this.ws.rowOf('contacts', contactId);
    const table = this.ws.table('contacts');
    if (row !== undefined && table.live(row)) return;
    if (row === undefined || table.flags[row] !== FLAG_ARCHIVED)
      throw fail(`no archived contacts object with id ${contactId}`);
    const frozen = this.ws.renderComplete('contacts', row);
    table.flags[row] = 0;
    const { nowMs, nowSec } = this.now();
    table.version[row] = (table.version[row] as number) + 1;
    table.updatedAt[row] = nowSec;
    table.changedAtMs[row] = nowMs;
    this.ws.patch('contacts', row, ownable(frozen));
    this.record('contacts', contactId, 'c', nowSec);
  }

  hideFromSearch(stream: SearchableStream, id: string): void {
    if (!['contacts', 'conversations', 'tickets'].includes(stream))
      throw fail(`hideFromSearch: ${stream} has no search endpoint`);
    this.ws.searchFreezes.hidden[stream].add(this.requireRow(stream, id));
  }

  addParts(conversationId: string, count: number): string[] {
    if (!Number.isInteger(count) || count < 1)
      throw fail(`addParts: count must be a positive integer, got ${count}`);
    const row = this.requireRow('conversations', conversationId);
    const { nowSec } = this.now();
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const id = partId(row, this.ws.parts.add(row, nowSec));
      this.record('conversation_parts', id, 'c', nowSec, conversationId);
      ids.push(id);
    }
    this.touch('conversations', row, {});
    return ids;
  }

  freezeSearch(stream: SearchableStream, id: string, forMs: number): void {
    if (!Number.isFinite(forMs) || forMs < 0)
      throw fail(`freezeSearch: forMs must be a non-negative number, got ${forMs}`);
    if (!['contacts', 'conversations', 'tickets'].includes(stream))
      throw fail(`freezeSearch: ${stream} has no search endpoint`);
    const row = this.requireRow(stream, id);
    const table = this.ws.table(stream);
    this.ws.searchFreezes.freeze(stream, row, {
      object: structuredClone(this.ws.render(stream, row)),
      createdAt: table.createdAt[row] as number,
      updatedAt: table.updatedAt[row] as number,
      untilMs: this.clock.now() + forMs,
    });
  }

  random(count: number, opts: { streams?: SimStream[] } = {}): void {
    const streams = opts.streams ?? (Object.keys(STREAM_WEIGHT) as SimStream[]);
    for (let i = 0; i < count; i++) this.randomOne(this.weighted(streams, (s) => STREAM_WEIGHT[s]));
  }

  run(opts: { durationMs: number; stepMs: number; perStep: number; streams?: SimStream[] }): void {
    if (opts.stepMs <= 0) throw fail('run: stepMs must be positive');
    for (let elapsed = opts.stepMs; elapsed <= opts.durationMs; elapsed += opts.stepMs) {
      this.clock.advance(opts.stepMs);
      this.random(opts.perStep, opts.streams ? { streams: opts.streams } : {});
    }
  }

  log(): readonly ChangeRecord[] {
    return this.changes;
  }

  ids(stream: SimStream): string[] {
    if (stream !== 'conversation_parts')
      return this.ws
        .table(stream)
        .liveRows()
        .map((row) => this.ws.id(stream, row));
    const ids: string[] = [];
    for (const row of this.ws.table('conversations').liveRows()) {
      for (let position = 0; position < this.ws.parts.count(row); position++) ids.push(partId(row, position));
    }
    return ids;
  }

  get(stream: SimStream, id: string): Record<string, unknown> | undefined {
    if (stream === 'conversation_parts') {
      const part = this.livePart(id);
      if (!part) return undefined;
      const created = this.ws.table('conversations').createdAt[part.conversationRow] as number;
      return renderPart(this.ws, part.conversationRow, created, part.position);
    }
    const row = this.ws.liveRow(stream, id);
    if (row === undefined) return undefined;
    return stream === 'conversations'
      ? this.ws.renderConversationWithParts(row)
      : this.ws.renderComplete(stream, row);
  }

  archived(stream: SimStream): string[] {
    if (stream === 'conversation_parts') return [];
    const table = this.ws.table(stream);
    const ids: string[] = [];
    for (let row = 0; row < table.length; row++)
      if (table.flags[row] === FLAG_ARCHIVED) ids.push(this.ws.id(stream, row));
    return ids;
  }

  private randomOne(stream: SimStream): void {
    const ops = STREAM_OPS[stream] ?? DEFAULT_OPS;
    const op = this.weighted(ops, (o) => OP_WEIGHT[o]);
    const target = stream === 'conversation_parts' ? this.anyPart() : this.anyLive(stream);
    if (op === 'create' || target === undefined) {
      this.create(stream);
    } else if (op === 'update') {
      this.update(stream, target);
    } else if (op === 'remove') {
      this.remove(stream, target);
    } else {
      const into = this.anyLive('contacts');
      if (into !== undefined && into !== target) this.merge(target, into);
      else this.update(stream, target);
    }
  }

  private touch(stream: TableStream, row: number, patch: Record<string, unknown>): void {
    const { nowMs, nowSec } = this.now();
    const table = this.ws.table(stream);
    table.version[row] = (table.version[row] as number) + 1;
    if (HAS_UPDATED_AT[stream]) table.updatedAt[row] = nowSec;
    table.changedAtMs[row] = nowMs;
    this.ws.patch(stream, row, ownable(patch));
    this.record(stream, this.ws.id(stream, row), 'u', HAS_UPDATED_AT[stream] ? nowSec : null);
  }

  /** A new part bumps its conversation: one `u` for the conversation, then the part's `c`. */
  private addPart(conversationRow: number, patch: Record<string, unknown> = {}): string {
    const { nowSec } = this.now();
    const position = this.ws.parts.add(conversationRow, nowSec);
    const id = partId(conversationRow, position);
    this.touch('conversations', conversationRow, patch);
    this.record('conversation_parts', id, 'c', nowSec, this.ws.id('conversations', conversationRow));
    return id;
  }

  private redactPart(id: string): void {
    const part = this.livePart(id);
    if (!part) throw fail(`no live conversation part ${id}`);
    const { nowSec } = this.now();
    this.ws.parts.redact(part.conversationRow, part.position, nowSec);
    this.touch('conversations', part.conversationRow, {});
    this.record('conversation_parts', id, 'u', nowSec, this.ws.id('conversations', part.conversationRow));
  }

  private livePart(id: string): { conversationRow: number; position: number } | undefined {
    const part = decodePartId(id);
    if (!part || !this.ws.table('conversations').live(part.conversationRow)) return undefined;
    return part.position < this.ws.parts.count(part.conversationRow) ? part : undefined;
  }

  private requireRow(stream: TableStream, id: string): number {
    const row = this.ws.liveRow(stream, id);
    if (row === undefined) throw fail(`no live ${stream} object with id ${id}`);
    return row;
  }

  /** A random live id, probing forward from a random row; undefined when none is live. */
  private anyLive(stream: TableStream): string | undefined {
    const table = this.ws.table(stream);
    if (table.length === 0) return undefined;
    const start = this.rng.int(table.length);
    for (let i = 0; i < Math.min(table.length, 64); i++) {
      const row = (start + i) % table.length;
      if (table.flags[row] === 0) return this.ws.id(stream, row);
    }
    return undefined;
  }

  private anyPart(): string | undefined {
    const conversation = this.anyLive('conversations');
    if (conversation === undefined) return undefined;
    const row = this.ws.liveRow('conversations', conversation) as number;
    const count = this.ws.parts.count(row);
    return count === 0 ? undefined : partId(row, this.rng.int(count));
  }

  private weighted<T>(items: readonly T[], weight: (item: T) => number): T {
    const total = items.reduce((sum, item) => sum + weight(item), 0);
    let pick = this.rng.next() * total;
    for (const item of items) {
      pick -= weight(item);
      if (pick < 0) return item;
    }
    return items[items.length - 1] as T;
  }

  private now(): { nowMs: number; nowSec: number } {
    const nowMs = this.clock.now();
    return { nowMs, nowSec: Math.floor(nowMs / 1000) };
  }

  private record(
    stream: SimStream,
    id: string,
    op: ChangeRecord['op'],
    updatedAt: number | null,
    parentId?: string,
  ): void {
    const change: ChangeRecord = {
      seq: this.changes.length + 1,
      stream,
      id,
      op,
      updatedAt,
      atMs: this.clock.now(),
    };
    if (parentId !== undefined) change.parentId = parentId;
    this.changes.push(change);
    for (const listener of this.listeners) listener(change);
  }

  /**
   * Calls `listener` with every change from now on, synchronously, once the object is in its new state
   * (the webhook sender renders it there). A listener must not mutate the workspace.
   */
  onChange(listener: (change: ChangeRecord) => void): void {
    this.listeners.push(listener);
  }
}

function ownable(patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(patch))
    if (!OWNED_FIELDS.includes(key) && key !== 'conversation_id') out[key] = value;
  return out;
}

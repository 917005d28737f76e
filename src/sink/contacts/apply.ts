/** The contact sink's writes to Intercom: find the contact, then create, update, archive or unarchive it. */
import type { IntercomClient } from '../../intercom';
import { IntercomError } from '../../intercom/errors';
import { CdcError, ConfigError } from '../../errors';
import { RejectedRecord } from '../rejected';
import { emailKey, type ContactUpsert } from './input';
import { conflictOf, createBody, updateBody, type IntercomContact } from './plan';

/**
 * What applying one record did. `kept_archived`: the contact is archived and the record did not say to
 * unarchive it.
 */
export type Outcome = 'created' | 'updated' | 'unchanged' | 'archived' | 'unarchived' | 'kept_archived';

export interface Applied {
  outcome: Outcome;
  /** The Intercom contact id, when one was found or created. */
  id?: string;
  /** Writes sent to Intercom (creates, updates, archive/unarchive). */
  writes: number;
}

/**
 * Writes are never resent by the client after a transient failure: the first attempt may have been
 * applied with its answer lost, and even a repeated PUT is a new change for Intercom (a new updated_at,
 * a new event on the capture side). The sink looks the contact up again and writes what still differs.
 */
const ONCE = { idempotent: false } as const;

/** The runner's tries of one record in which a contact that vanished under us is looked up again. */
const LOOKUPS = 3;

/** How many contacts the sink may archive per hour: over it, it stops rather than archive on. */
export interface ArchiveBudget {
  /** Archives allowed in any hour; 0: no limit. */
  maxPerHour: number;
  /** The setting that sets it, named when the sink stops (`sink.contacts.maxArchivesPerHour`). */
  setting: { key: string; env: string };
  /** Injected for tests; default Date.now. */
  clock?: () => number;
}

const HOUR_MS = 3_600_000;

/**
 * Applies contact upserts to Intercom through the shared client (its rate limit, retries and token).
 * Matching: by `external_id` (GET /contacts/find_by_external_id, read-your-writes), then by email
 * (search, which lags: a 409 on create names the contact the search did not show yet). A search
 * candidate is a match only when the contact read by id holds the record's email, and the write is
 * planned against that read, never against the search copy. A write is sent only for values Intercom
 * does not hold already, so replays and echoes write nothing. Archives are counted: past the budget's
 * `maxPerHour` in the last hour the sink stops (a ConfigError naming the setting) before archiving more.
 */
export class ContactApplier {
  /** When each archive of the last hour was sent (at most `maxPerHour` of them). */
  private readonly archivedAt: number[] = [];

  constructor(
    private readonly client: IntercomClient,
    private readonly defaultRole: 'user' | 'lead',
    private readonly budget: ArchiveBudget = {
      maxPerHour: 0,
      setting: { key: 'maxArchivesPerHour', env: '' },
    },
  ) {}

  /**
   * Applies one record; `attempt` is the runner's try of it, from 1. A contact that vanished between
   * lookup and write (archived, merged, deleted: a 404) is a retriable `contact_moved` on the first
   * tries, so that the runner looks again after its backoff; then Intercom's refusal rejects the record.
   */
  async apply(upsert: ContactUpsert, attempt = 1): Promise<Applied> {
    try {
      return await this.applyOnce(upsert);
    } catch (error) {
      if (attempt < LOOKUPS && error instanceof IntercomError && error.status === 404)
        throw new CdcError(`the contact moved while it was written; looking again: ${error.message}`, {
          code: 'contact_moved',
          kind: 'transient',
          cause: error,
        });
      throw rejection(error);
    }
  }

  private async applyOnce(upsert: ContactUpsert): Promise<Applied> {
    const found = await this.find(upsert);
    if (upsert.archived === true) {
      if (!found) return { outcome: 'unchanged', writes: 0 }; // archived already, or never here
      this.checkArchiveBudget(found.id);
      const writes = await this.update(found, upsert);
      await this.client.write('POST', `/contacts/${encodeURIComponent(found.id)}/archive`, {}, ONCE);
      if (this.budget.maxPerHour > 0) this.archivedAt.push(this.now());
      return { outcome: 'archived', id: found.id, writes: writes + 1 };
    }
    if (found) {
      const writes = await this.update(found, upsert);
      return { outcome: writes ? 'updated' : 'unchanged', id: found.id, writes };
    }
    return this.create(upsert);
  }

  private async create(upsert: ContactUpsert): Promise<Applied> {
    try {
      const created = await this.client.write<IntercomContact>(
        'POST',
        '/contacts',
        createBody(upsert, this.defaultRole),
        ONCE,
      );
      return { outcome: 'created', id: created.id, writes: 1 };
    } catch (error) {
      const conflict =
        error instanceof IntercomError && error.status === 409 ? conflictOf(error.message) : undefined;
      if (!conflict) throw error;
      let writes = 0;
      if (conflict.archived) {
        // Only an explicit archived=false brings a contact back: a replayed older record must not.
        if (upsert.archived !== false) return { outcome: 'kept_archived', id: conflict.id, writes: 0 };
        await this.client.write('POST', `/contacts/${encodeURIComponent(conflict.id)}/unarchive`, {}, ONCE);
        writes++;
      }
      const current = await this.client.get<IntercomContact>(`/contacts/${encodeURIComponent(conflict.id)}`);
      writes += await this.update(current!, upsert);
      const outcome: Outcome = conflict.archived ? 'unarchived' : writes ? 'updated' : 'unchanged';
      return { outcome, id: conflict.id, writes };
    }
  }

  /**
   * Throws a ConfigError (the sink stops, exit 2) when `maxPerHour` contacts were archived in the last
   * hour: a topic that archives that many is more likely a mistake than a wish.
   */
  private checkArchiveBudget(id: string): void {
    const { maxPerHour, setting } = this.budget;
    if (maxPerHour === 0) return;
    const since = this.now() - HOUR_MS;
    while (this.archivedAt.length && this.archivedAt[0]! <= since) this.archivedAt.shift();
    if (this.archivedAt.length < maxPerHour) return;
    const name = `${setting.key}${setting.env ? ` (${setting.env})` : ''}`;
    throw new ConfigError(
      `contact sink stopped before archiving contact ${id}: ${maxPerHour} contacts archived in the last hour, the limit of ${name}. Check what writes archived=true to the input topic; raise the limit (0: none) if this is intended.`,
      [setting.key],
    );
  }

  private now(): number {
    return (this.budget.clock ?? Date.now)();
  }

  /** PUTs what differs; 0 or 1 writes. */
  private async update(current: IntercomContact, upsert: ContactUpsert): Promise<number> {
    const body = updateBody(current, upsert);
    if (!body) return 0;
    await this.client.write('PUT', `/contacts/${encodeURIComponent(current.id)}`, body, ONCE);
    return 1;
  }

  /**
   * The live contact the record names, or null: the one its external_id finds, else the one search
   * candidate whose email is the record's (emailKey), read again by id and checked again (search lags:
   * its copy may hold an old email or old values).
   */
  async find(upsert: ContactUpsert): Promise<IntercomContact | null> {
    if (upsert.externalId !== undefined) {
      const byId = await this.client.get<IntercomContact>(
        `/contacts/find_by_external_id/${encodeURIComponent(upsert.externalId)}`,
        undefined,
        { allow404: true },
      );
      if (byId) return byId;
    }
    if (upsert.email === undefined) return null;
    const answer = await this.client.post<{ data?: IntercomContact[] }>('/contacts/search', {
      query: { field: 'email', operator: '=', value: upsert.email },
      pagination: { per_page: 50 },
    });
    const wanted = emailKey(upsert.email);
    // A contact with another external_id is another person who shares the address.
    let candidates = (answer.data ?? []).filter(
      (c) =>
        typeof c.email === 'string' &&
        emailKey(c.email) === wanted &&
        (upsert.externalId === undefined || !c.external_id || c.external_id === upsert.externalId),
    );
    if (upsert.role !== undefined && candidates.length > 1)
      candidates = candidates.filter((c) => c.role === upsert.role);
    if (candidates.length > 1) {
      throw new RejectedRecord(
        'ambiguous_match',
        `${candidates.length} contacts have the email ${upsert.email} (ids ${candidates
          .slice(0, 5)
          .map((c) => c.id)
          .join(', ')}); give the record an external_id or a role that tells them apart`,
      );
    }
    if (!candidates[0]) return null;
    const live = await this.client.get<IntercomContact>(
      `/contacts/${encodeURIComponent(candidates[0].id)}`,
      undefined,
      { allow404: true },
    );
    // Gone since it was indexed, or its email changed: not the contact the record names.
    if (!live || typeof live.email !== 'string' || emailKey(live.email) !== wanted) return null;
    return live;
  }
}

/** Intercom refused the record (4xx other than auth): the record is rejected with Intercom's words. */
function rejection(error: unknown): unknown {
  if (!(error instanceof IntercomError) || error.status === undefined) return error;
  if (error.status < 400 || error.status >= 500 || [401, 403, 429].includes(error.status)) return error;
  return new RejectedRecord(`intercom_${error.status}`, error.message, {
    status: error.status,
    code: error.intercomCode,
    requestId: error.requestId,
  });
}

/**
 * The contact sink's handler (src/sink/handler.ts): parse an upsert, key it, apply it through the applier.
 */
import type { SinkHandler } from '../handler';
import type { ContactApplier, Outcome } from './apply';
import { emailKey, isChangeEvent, parseUpsert, type ContactUpsert, type ParseOptions } from './input';

/** What became of one input record of the contact sink: the applier's outcome, or the runner's word. */
export type ContactResult = Outcome | 'skipped_event';

/**
 * The contact sink's handler: knows Intercom's contacts and nothing of Kafka. A record is a contact
 * upsert (input.ts) unless it is one of the connector's own change events (skipped); its key is the
 * contact's external_id, else its email; applying it is the applier's lookup and diff (apply.ts).
 */
export class ContactHandler implements SinkHandler<ContactUpsert, ContactResult> {
  constructor(
    private readonly applier: ContactApplier,
    private readonly options: ParseOptions,
  ) {}

  parse(value: unknown): { item: ContactUpsert } | { skip: ContactResult } {
    if (isChangeEvent(value)) return { skip: 'skipped_event' };
    return { item: parseUpsert(value, this.options) };
  }

  key(upsert: ContactUpsert): string {
    return stateKey(upsert);
  }

  async apply(upsert: ContactUpsert, attempt: number): Promise<{ result: ContactResult; writes: number }> {
    const applied = await this.applier.apply(upsert, attempt);
    return { result: applied.outcome, writes: applied.writes };
  }
}

/** The contact a record is about, as the state knows it: its external_id, else its email. */
export function stateKey(upsert: ContactUpsert): string {
  return upsert.externalId !== undefined ? `x:${upsert.externalId}` : `e:${emailKey(upsert.email!)}`;
}

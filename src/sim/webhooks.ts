/**
 * The simulator's webhooks: for each change of the workspace it posts a signed `notification_event` to
 * one URL, as Intercom does for an app's subscription (README, "Webhooks"): `X-Hub-Signature: sha1=<hex>`,
 * the HMAC-SHA1 of the body under the app's client secret; a delivery not answered 2xx within 5 s is
 * sent again (`delivery_attempts` counting up); order is not guaranteed. Faults on demand: duplicates,
 * delays, reordering (random delays), forged deliveries (an attacker's: another item, signed with
 * another key). Real time; deterministic choices from the seed.
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { MutationEngine } from './mutations';
import { Rand, hash32 } from './rng';
import type { ChangeRecord, GroundTruth, SimStream, WebhookOptions, WebhookStats } from './types';

/**
 * The topic Intercom sends for a change of a stream, per op; a stream or op missing sends nothing. Names
 * as Intercom's webhook topic list gives them (developer docs, "Webhook models", and the changelog of the
 * Tickets API): `company.created`, `company.updated`, `company.deleted`; `ticket.created`,
 * `ticket.state.updated` (beside `ticket.attribute.updated`, `ticket.admin.assigned`, …); no topic for a
 * ticket's deletion, which only a reconciliation finds.
 */
const TOPICS: Partial<Record<SimStream, Partial<Record<ChangeRecord['op'], string>>>> = {
  contacts: { c: 'contact.user.created', u: 'contact.user.updated', d: 'contact.deleted' },
  conversations: {
    c: 'conversation.user.created',
    u: 'conversation.admin.replied',
    d: 'conversation.deleted',
  },
  companies: { c: 'company.created', u: 'company.updated', d: 'company.deleted' },
  tickets: { c: 'ticket.created', u: 'ticket.state.updated' },
};
/** The `type` of each stream's objects, for the minimal item of a delete. */
const ITEM_TYPE: Partial<Record<SimStream, string>> = {
  contacts: 'contact',
  conversations: 'conversation',
  companies: 'company',
  tickets: 'ticket',
};

/** The topic of a change (leads get `contact.lead.*`), or undefined when Intercom sends none for it. */
export function topicOf(change: ChangeRecord, item: Record<string, unknown> | undefined): string | undefined {
  const topic = TOPICS[change.stream]?.[change.op];
  if (topic && change.stream === 'contacts' && item?.role === 'lead')
    return topic.replace('.user.', '.lead.');
  return topic;
}

/** Intercom's signature header value for `body` under `secret`. */
export function signBody(body: string, secret: string): string {
  return `sha1=${createHmac('sha1', secret).update(body).digest('hex')}`;
}

const ANSWER_TIMEOUT_MS = 5_000;

/** One notification on its way: its body fields, and how many times it was sent. */
interface Pending {
  envelope: Record<string, unknown>;
  attempts: number;
}

/** Posts the workspace's changes as webhook notifications (see the file's comment). */
export class WebhookSender {
  private readonly rng: Rand;
  private inFlight = 0;
  private readonly waiters: (() => void)[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;
  private readonly counts: WebhookStats = {
    notifications: 0,
    deliveries: 0,
    duplicates: 0,
    forged: 0,
    abandoned: 0,
    byStatus: {},
  };

  constructor(
    private readonly options: WebhookOptions,
    private readonly workspaceId: string,
    private readonly truth: GroundTruth,
    seed: number,
    private readonly now: () => number,
  ) {
    this.rng = new Rand(hash32(seed, 0x3eb));
  }

  /** Sends a notification for every change `engine` records from now on. */
  attach(engine: MutationEngine): void {
    engine.onChange((change) => this.notify(change));
  }

  /** The notification of one change, rendered now (as Intercom renders at the event), delivered later. */
  notify(change: ChangeRecord): void {
    if (this.closed) return;
    const object = change.op === 'd' ? undefined : this.truth.get(change.stream, change.id);
    const topic = topicOf(change, object);
    if (!topic) return;
    const item = object ?? { type: ITEM_TYPE[change.stream], id: change.id };
    const createdAt = Math.floor(this.now() / 1000);
    const envelope = {
      type: 'notification_event',
      app_id: this.workspaceId,
      data: { type: 'notification_event_data', item },
      links: {},
      id: `notif_${randomUUID()}`,
      topic,
      delivery_status: 'pending',
      delivery_attempts: 0,
      delivered_at: 0,
      first_sent_at: createdAt,
      created_at: createdAt,
      self: null,
    };
    this.counts.notifications++;
    const f = this.options.faults ?? {};
    this.schedule({ envelope, attempts: 0 }, this.delay());
    if (f.duplicateRate && this.rng.bool(f.duplicateRate)) {
      this.counts.duplicates++;
      this.schedule({ envelope, attempts: 0 }, this.delay());
    }
    if (f.forgedRate && this.rng.bool(f.forgedRate)) {
      this.counts.forged++;
      const forged = { ...envelope, id: `notif_${randomUUID()}`, data: { item: { ...item, id: 'forged' } } };
      this.schedule({ envelope: forged, attempts: 0 }, this.delay(), 'forged-key');
    }
  }

  /** What was sent and how it was answered. */
  stats(): WebhookStats {
    return { ...this.counts, byStatus: { ...this.counts.byStatus } };
  }

  /** Resolves once no delivery is waiting or in flight (retries included). */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Stops sending: waiting deliveries are dropped (as a subscription paused). */
  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.inFlight = 0;
    this.settle();
  }

  private delay(): number {
    const f = this.options.faults ?? {};
    return (f.delayMs ?? 0) + (f.jitterMs ? this.rng.int(f.jitterMs + 1) : 0);
  }

  private schedule(pending: Pending, delayMs: number, secret = this.options.secret): void {
    this.inFlight++;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.deliver(pending, secret).finally(() => {
        this.inFlight = Math.max(0, this.inFlight - 1);
        this.settle();
      });
    }, delayMs);
    this.timers.add(timer);
  }

  /** One delivery; a non-2xx answer or none within 5 s is delivered again, up to maxAttempts. */
  private async deliver(pending: Pending, secret: string): Promise<void> {
    if (this.closed) return;
    pending.attempts++;
    const body = JSON.stringify({ ...pending.envelope, delivery_attempts: pending.attempts });
    let status: string;
    try {
      const res = await fetch(this.options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hub-signature': signBody(body, secret) },
        body,
        signal: AbortSignal.timeout(ANSWER_TIMEOUT_MS),
      });
      await res.arrayBuffer().catch(() => undefined);
      status = String(res.status);
    } catch {
      status = 'error';
    }
    this.counts.deliveries++;
    this.counts.byStatus[status] = (this.counts.byStatus[status] ?? 0) + 1;
    // A forged delivery is the attacker's: nobody sends it again.
    if (status.startsWith('2') || secret !== this.options.secret || this.closed) return;
    if (pending.attempts >= (this.options.maxAttempts ?? 3)) {
      this.counts.abandoned++;
      return;
    }
    this.schedule(pending, this.options.retryDelayMs ?? 1_000);
  }

  private settle(): void {
    if (this.inFlight > 0) return;
    for (const resolve of this.waiters.splice(0)) resolve();
  }
}

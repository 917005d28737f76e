/** The Prometheus metrics, fed by the capture engine's, the Intercom client's and the sink's observers. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { packageVersion } from '../version';
import type { EngineObserver } from '../capture/engine';
import type { ClientObserver } from '../intercom';
import type { ReceiverObserver } from '../webhooks/receiver';

/**
 * The Prometheus series (prefix `intercom_cdc_`, listed in the README's "Operations"): one registry per process, fed by the
 * engine's and the client's observer hooks. Label values never carry ids or secrets.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly p = 'intercom_cdc_';
  readonly events = new Counter({
    name: `${this.p}events_total`,
    help: 'Change events published',
    labelNames: ['stream', 'op'],
    registers: [this.registry],
  });
  readonly dlq = new Counter({
    name: `${this.p}dlq_total`,
    help: 'Objects sent to the dead-letter topic',
    labelNames: ['stream'],
    registers: [this.registry],
  });
  readonly futureTimestamps = new Counter({
    name: `${this.p}future_timestamps_total`,
    help: 'Objects whose updated_at was too far in the future to order them by (MAX_CLOCK_SKEW_MS)',
    labelNames: ['stream'],
    registers: [this.registry],
  });
  readonly embeddedListRequests = new Counter({
    name: `${this.p}embedded_list_requests_total`,
    help: "Requests for the rest of an embedded list (a contact's tags, companies, notes, segments that say has_more), by list",
    labelNames: ['list'],
    registers: [this.registry],
  });
  readonly transactions = new Counter({
    name: `${this.p}transactions_total`,
    help: 'Kafka transactions by result',
    labelNames: ['result'],
    registers: [this.registry],
  });
  readonly requests = new Counter({
    name: `${this.p}api_requests_total`,
    help: 'Intercom API requests by route and status',
    labelNames: ['route', 'status'],
    registers: [this.registry],
  });
  readonly rateLimited = new Counter({
    name: `${this.p}api_rate_limited_total`,
    help: 'Requests answered 429',
    registers: [this.registry],
  });
  readonly retries = new Counter({
    name: `${this.p}api_retries_total`,
    help: 'Requests retried',
    labelNames: ['route'],
    registers: [this.registry],
  });
  readonly rateLimitWait = new Counter({
    name: `${this.p}api_rate_limit_wait_seconds_total`,
    help: 'Time requests were held back by the rate limiter: after a 429 until the window resets (429), or with the budget of the window spent (budget)',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly headerWaitsCapped = new Counter({
    name: `${this.p}api_header_waits_capped_total`,
    help: 'Waits Intercom asked for in a header (retry-after, x-ratelimit-reset) longer than intercom.maxHeaderWaitMs, waited for that long instead',
    labelNames: ['header'],
    registers: [this.registry],
  });
  readonly remaining = new Gauge({
    name: `${this.p}api_rate_limit_remaining`,
    help: 'X-RateLimit-Remaining of the last response',
    registers: [this.registry],
  });
  readonly streamFailed = new Gauge({
    name: `${this.p}stream_failed`,
    help: 'Whether a stream stopped after a failure of its own (1) and is tried again with backoff',
    labelNames: ['stream'],
    registers: [this.registry],
  });
  readonly lag = new Gauge({
    name: `${this.p}stream_lag_seconds`,
    help: 'Now minus the stream watermark',
    labelNames: ['stream'],
    registers: [this.registry],
  });
  readonly pollDuration = new Histogram({
    name: `${this.p}poll_duration_seconds`,
    help: 'Duration of one poll of a stream',
    labelNames: ['stream', 'result'],
    buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 1800],
    registers: [this.registry],
  });
  readonly stateObjects = new Gauge({
    name: `${this.p}state_objects`,
    help: 'Objects known to the state',
    labelNames: ['stream'],
    registers: [this.registry],
  });
  readonly stateBytes = new Gauge({
    name: `${this.p}state_bytes`,
    help: "Estimated bytes the state's objects hold in memory (the store's estimate of its tables)",
    labelNames: ['stream'],
    registers: [this.registry],
  });
  readonly stateRecordsSkipped = new Counter({
    name: `${this.p}state_records_skipped_total`,
    help: 'State records a restore skipped because it cannot read them (not JSON, a wrong type, an unknown version), counted at each restore; their objects and streams are read again',
    registers: [this.registry],
  });
  readonly objectsRead = new Counter({
    name: `${this.p}objects_read_total`,
    help: 'Objects read from Intercom',
    labelNames: ['stream'],
    registers: [this.registry],
  });

  readonly concurrentTransactionRetries = new Counter({
    name: `${this.p}kafka_concurrent_transaction_retries_total`,
    help: 'Producer requests the broker answered CONCURRENT_TRANSACTIONS (a transaction begun while the previous one was still completing), retried by kafkajs',
    registers: [this.registry],
  });

  readonly kafkaRetriedErrors = new Counter({
    name: `${this.p}kafka_retried_errors_total`,
    help: 'Protocol errors kafkajs logged and retried itself (GROUP_LOAD_IN_PROGRESS, GROUP_COORDINATOR_NOT_AVAILABLE, …), by type; CONCURRENT_TRANSACTIONS has its own counter',
    labelNames: ['error'],
    registers: [this.registry],
  });

  readonly sinkRecords = new Counter({
    name: `${this.p}sink_records_total`,
    help: 'Input records of the contact sink by result (created, updated, unchanged, archived, unarchived, kept_archived, dead_letter, already_applied, skipped_event, skipped_tombstone)',
    labelNames: ['result'],
    registers: [this.registry],
  });

  readonly requestDuration = new Histogram({
    name: `${this.p}api_request_duration_seconds`,
    help: 'Duration of one Intercom API attempt, by method, route and status class (2xx, 4xx, 429, 5xx, error)',
    labelNames: ['method', 'route', 'status_class'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers: [this.registry],
  });
  readonly webhooksReceived = new Counter({
    name: `${this.p}webhooks_received_total`,
    help: 'Requests to the webhook receiver by notification topic (none when the body was not verified) and result (filed, ping, head, unsigned, malformed_signature, forged, oversized, malformed, kafka_unavailable, not_found, method_not_allowed, aborted, error)',
    labelNames: ['topic', 'result'],
    registers: [this.registry],
  });
  readonly webhookAnswerDuration = new Histogram({
    name: `${this.p}webhook_answer_duration_seconds`,
    help: "Time from a request's arrival at the webhook receiver to its answer, by result",
    labelNames: ['result'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly signals = new Counter({
    name: `${this.p}signals_total`,
    help: "Records of the signal topic taken, by result: accepted, refused, known (an id seen before), other (another connector's)",
    labelNames: ['result'],
    registers: [this.registry],
  });
  readonly webhookHintReads = new Counter({
    name: `${this.p}webhook_hint_reads_total`,
    help: 'Objects read because a webhook notification named them (WEBHOOKS_HINTS), by stream',
    labelNames: ['stream'],
    registers: [this.registry],
  });
  readonly webhookHintEvents = new Counter({
    name: `${this.p}webhook_hint_events_total`,
    help: 'Change events those reads caused (the rest were already published, or unchanged), by stream',
    labelNames: ['stream'],
    registers: [this.registry],
  });
  readonly webhookNotificationToEvent = new Histogram({
    name: `${this.p}webhook_notification_to_event_seconds`,
    help: "Time from the receiver's filing of a notification to the commit of the events its read caused (the oldest notification of a fetch), by stream",
    labelNames: ['stream'],
    buckets: [0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly deletesFirstSeen = new Counter({
    name: `${this.p}deletes_first_seen_total`,
    help: 'Deletes published, by stream and by what saw them first: a webhook hint, a reconciliation, or a poll (a scan, or a 404 of an object a window listed)',
    labelNames: ['stream', 'by'],
    registers: [this.registry],
  });
  readonly buildInfo = new Gauge({
    name: `${this.p}build_info`,
    help: 'Always 1; the labels say which build runs',
    labelNames: ['version', 'node_version'],
    registers: [this.registry],
  });
  private readonly lastEventAt = new Map<string, number>();
  readonly sinceLastEvent = new Gauge({
    name: `${this.p}stream_seconds_since_last_event`,
    help: 'Seconds since the stream last published an event (from the first one this process published)',
    labelNames: ['stream'],
    registers: [this.registry],
    collect: () => {
      for (const [stream, at] of this.lastEventAt)
        this.sinceLastEvent.set({ stream }, Math.max(0, (this.clock() - at) / 1000));
    },
  });

  // The client's scheduler and the snapshots (fed through clientObserver and engineObserver).
  readonly requestsInFlight = new Gauge({
    name: `${this.p}api_requests_in_flight`,
    help: 'Intercom API requests in flight now',
    registers: [this.registry],
  });
  readonly maxInFlight = new Gauge({
    name: `${this.p}api_max_in_flight`,
    help: 'Requests the client allows in flight at once now (its concurrency limit)',
    registers: [this.registry],
  });
  readonly snapshotSlicesDone = new Gauge({
    name: `${this.p}snapshot_slices_done`,
    help: "Slices of the stream's current snapshot that are done",
    labelNames: ['stream'],
    registers: [this.registry],
  });
  readonly snapshotSlicesTotal = new Gauge({
    name: `${this.p}snapshot_slices_total`,
    help: "Slices the stream's current snapshot is cut into",
    labelNames: ['stream'],
    registers: [this.registry],
  });
  readonly snapshotObjectsRead = new Gauge({
    name: `${this.p}snapshot_objects_read`,
    help: "Objects the stream's current snapshot has read",
    labelNames: ['stream'],
    registers: [this.registry],
  });
  readonly snapshotEtaSeconds = new Gauge({
    name: `${this.p}snapshot_estimated_completion_seconds`,
    help: "Estimated seconds until the stream's current snapshot completes",
    labelNames: ['stream'],
    registers: [this.registry],
  });

  // Completeness (src/capture/completeness.ts), set after each first sync and reconciliation.
  readonly completenessGap = new Gauge({
    name: `${this.p}completeness_gap`,
    help: 'Objects Intercom reports (total_count) less those the state holds, at the last measure',
    labelNames: ['stream'],
    registers: [this.registry],
  });
  readonly completenessPartsMissing = new Gauge({
    name: `${this.p}completeness_parts_missing`,
    help: "Parts Intercom counts that no GET of their conversation carried (over the API's 500-part cap)",
    labelNames: ['stream'],
    registers: [this.registry],
  });
  readonly completenessParents = new Gauge({
    name: `${this.p}completeness_parents_missing_parts`,
    help: 'Conversations with parts Intercom counts that no GET carried',
    labelNames: ['stream'],
    registers: [this.registry],
  });

  private readonly watermarks = new Map<string, number>();

  constructor(private readonly clock: () => number = Date.now) {
    // Standard names (process_cpu_seconds_total, nodejs_heap_size_used_bytes, …), as dashboards expect.
    collectDefaultMetrics({ register: this.registry });
    this.buildInfo.set({ version: packageVersion(), node_version: process.version }, 1);
  }

  /** Requests in flight now (the scheduler calls it as requests start and end). */
  setRequestsInFlight(n: number): void {
    this.requestsInFlight.set(n);
  }

  /** The current concurrency limit of the client. */
  setMaxInFlight(n: number): void {
    this.maxInFlight.set(n);
  }

  /** Progress of a stream's snapshot; `estimatedCompletionSeconds` undefined: no estimate yet (series left as it was). */
  snapshotProgress(
    stream: string,
    p: { slicesDone: number; slicesTotal: number; objectsRead: number; estimatedCompletionSeconds?: number },
  ): void {
    this.snapshotSlicesDone.set({ stream }, p.slicesDone);
    this.snapshotSlicesTotal.set({ stream }, p.slicesTotal);
    this.snapshotObjectsRead.set({ stream }, p.objectsRead);
    if (p.estimatedCompletionSeconds !== undefined)
      this.snapshotEtaSeconds.set({ stream }, Math.max(0, p.estimatedCompletionSeconds));
  }

  /**
   * The engine's observer. After each commit it sets `state_objects` from `stateSize` and, when given,
   * `state_bytes` from `stateBytes` (the store's estimate), for the committed streams.
   */
  engineObserver(
    stateSize: (stream: string) => number,
    stateBytes?: (stream: string) => number,
  ): EngineObserver {
    const setState = (stream: string) => {
      this.stateObjects.set({ stream }, stateSize(stream));
      if (stateBytes) this.stateBytes.set({ stream }, stateBytes(stream));
    };
    return {
      committed: (stream, counts) => {
        for (const [s, ops] of Object.entries(counts.events)) {
          for (const [op, n] of Object.entries(ops)) this.events.inc({ stream: s, op }, n ?? 0);
          if (Object.values(ops).some((n) => (n ?? 0) > 0)) this.lastEventAt.set(s, this.clock());
          setState(s);
        }
        for (const [s, n] of Object.entries(counts.dlq)) this.dlq.inc({ stream: s }, n);
        setState(stream);
      },
      polled: (stream, ms, ok) => {
        this.pollDuration.observe({ stream, result: ok ? 'ok' : 'error' }, ms / 1000);
        this.updateLag(stream);
      },
      progress: (stream, p) => {
        if (p.watermark !== null) this.watermarks.set(stream, p.watermark);
        this.updateLag(stream);
      },
      read: (stream, n) => this.objectsRead.inc({ stream }, n),
      futureTimestamp: (stream) => this.futureTimestamps.inc({ stream }),
      embeddedListRequest: (_stream, list) => this.embeddedListRequests.inc({ list }),
      streamFailed: (stream) => this.streamFailed.set({ stream }, 1),
      deletesSeen: (stream, by, count) => this.deletesFirstSeen.inc({ stream, by }, count),
      streamRecovered: (stream) => this.streamFailed.set({ stream }, 0),
      completeness: (c) => {
        if (c.gap !== null) this.completenessGap.set({ stream: c.stream }, c.gap);
        this.completenessPartsMissing.set({ stream: c.stream }, c.partsMissing);
        this.completenessParents.set({ stream: c.stream }, c.partsGaps.length);
      },
      slices: (stream, kind, p) => {
        if (kind !== 'snapshot') return;
        const elapsedS = (this.clock() - p.startedAtMs) / 1000;
        const perSecond = p.objectsRead / Math.max(0.001, elapsedS);
        const left = p.objectsTotal === undefined ? undefined : Math.max(0, p.objectsTotal - p.objectsRead);
        this.snapshotProgress(stream, {
          ...p,
          estimatedCompletionSeconds:
            left === undefined || p.objectsRead === 0
              ? undefined
              : p.slicesDone === p.slicesTotal
                ? 0
                : left / perSecond,
        });
      },
    };
  }

  private updateLag(stream: string): void {
    const w = this.watermarks.get(stream);
    if (w !== undefined) this.lag.set({ stream }, Math.max(0, (this.clock() - w) / 1000));
  }

  /** Counts each transaction the publisher ends, by how it ended. */
  transactionObserver(): (result: 'committed' | 'aborted') => void {
    return (result) => this.transactions.inc({ result });
  }

  /** The webhook receiver's observer: every answer counted by topic and result, and timed. */
  receiverObserver(): ReceiverObserver {
    return {
      answered: (result, topic, seconds) => {
        this.webhooksReceived.inc({ topic: topic ?? 'none', result });
        this.webhookAnswerDuration.observe({ result }, seconds);
      },
    };
  }

  clientObserver(): ClientObserver {
    return {
      request: (e) => {
        this.requests.inc({ route: e.route, status: String(e.status) });
        this.requestDuration.observe(
          { method: e.method, route: e.route, status_class: statusClass(e.status) },
          e.durationMs / 1000,
        );
        if (e.status === 429) this.rateLimited.inc();
      },
      rateLimit: (e) => this.remaining.set(e.remaining),
      throttled: (e) => this.rateLimitWait.inc({ reason: e.reason }, e.waitMs / 1000),
      headerWaitCapped: (e) => this.headerWaitsCapped.inc({ header: e.header }),
      inFlight: (e) => {
        this.setRequestsInFlight(e.inFlight);
        this.setMaxInFlight(e.bound);
      },
      retry: (e) => this.retries.inc({ route: e.route }),
    };
  }
}

/**
 * A status as a low-cardinality class: 2xx, 3xx, 4xx, 429 (apart: the rate limit), 5xx, or error (no
 * answer).
 */
export function statusClass(status: number | 'error'): string {
  if (status === 'error') return 'error';
  if (status === 429) return '429';
  return `${Math.floor(status / 100)}xx`;
}

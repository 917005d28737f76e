import type { StreamName } from '../streams/names';
import type { Message, StateStore, TopicBatch } from './contracts';

/**
 * What the capture tells operators besides change events (README, "Operations"): heartbeats (the
 * connector is alive, and where each stream stands) and notifications (a first sync started, moved on,
 * ended or was aborted; the completeness of a stream; a signal accepted, refused, under way or done),
 * all written in the capture's transactions.
 */

/** Where one stream stands, as committed. */
export interface StreamPosition {
  stream: StreamName;
  watermark: number | null;
  snapshotDone: boolean;
  lastReconcile: number | null;
}

export interface Heartbeat {
  connector: string;
  workspaceId: string;
  version: string;
  tsMs: number;
  streams: StreamPosition[];
}

/**
 * A notification, in the shape of Debezium's: what it is about (`aggregateType`), what happened
 * (`type`), and details as strings.
 */
export interface Notification {
  id: string;
  aggregateType: 'Initial Snapshot' | 'Completeness' | 'Signal';
  type: string;
  additionalData: Record<string, string>;
  timestampMs: number;
}

/** Writes heartbeats and notifications in their wire format (src/kafka/connector-records.ts). */
export interface AnnouncementEncoder {
  heartbeat(heartbeat: Heartbeat): Message;
  notification(notification: Notification): Message;
}

export interface AnnouncerDeps {
  encoder: AnnouncementEncoder;
  heartbeatTopic: string;
  notificationsTopic: string;
  /** A heartbeat at least this often (ms); 0: none. */
  heartbeatIntervalMs: number;
  /** Least time between two IN_PROGRESS notifications of one stream's first sync (ms). */
  progressIntervalMs: number;
  connector: string;
  workspaceId: string;
  version: string;
  /** The streams whose position a heartbeat names. */
  streams: readonly StreamName[];
  /** The committed state: a heartbeat names what it holds, never what is pending. */
  store: StateStore;
  clock: () => number;
  newId: () => string;
}

/** What a first sync's notifications carry beside the stream. */
export type SnapshotDetails = Record<string, string | number | undefined>;

/**
 * The heartbeats and notifications still to be written. Contract:
 * - `take` is called by the committer just before a transaction begins, after every earlier
 *   transaction ended: it hands over the notifications queued so far and, once the interval passed
 *   since the last one, a heartbeat; both are then part of that transaction (and lost with it when it
 *   aborts, like its events).
 * - A heartbeat names the positions the store holds when `take` runs: only what earlier transactions
 *   committed, so it never claims a position that was not committed.
 */
export class Announcer {
  private outbox: Message[] = [];
  private lastHeartbeatMs = -Infinity;
  private readonly lastProgressMs = new Map<StreamName, number>();

  constructor(private readonly d: AnnouncerDeps) {}

  /** Whether something waits to be written now (a notification, or a heartbeat that is due). */
  get pending(): boolean {
    return this.outbox.length > 0 || this.heartbeatDue();
  }

  /** Ms until the next heartbeat is due (Infinity when heartbeats are off). */
  heartbeatInMs(): number {
    if (this.d.heartbeatIntervalMs <= 0) return Infinity;
    return Math.max(0, this.lastHeartbeatMs + this.d.heartbeatIntervalMs - this.d.clock());
  }

  /** Queues a notification for the next transaction. */
  notify(aggregateType: Notification['aggregateType'], type: string, data: SnapshotDetails): void {
    const additionalData: Record<string, string> = { connector_name: this.d.connector };
    for (const [key, value] of Object.entries(data))
      if (value !== undefined) additionalData[key] = String(value);
    this.outbox.push(
      this.d.encoder.notification({
        id: this.d.newId(),
        aggregateType,
        type,
        additionalData,
        timestampMs: this.d.clock(),
      }),
    );
  }

  /** A first sync of `stream` started, moved on, ended or was aborted. Progress is thinned out (see deps). */
  snapshot(
    stream: StreamName,
    type: 'STARTED' | 'IN_PROGRESS' | 'COMPLETED' | 'ABORTED',
    details: SnapshotDetails,
  ): void {
    const now = this.d.clock();
    if (type === 'IN_PROGRESS') {
      const last = this.lastProgressMs.get(stream);
      if (last !== undefined && now - last < this.d.progressIntervalMs) return;
      this.lastProgressMs.set(stream, now);
    } else if (type === 'STARTED') {
      this.lastProgressMs.set(stream, now);
    }
    this.notify('Initial Snapshot', type, { data_collections: stream, ...details });
  }

  /** The messages to add to the transaction about to begin (see the contract); empty when none. */
  take(): TopicBatch[] {
    const out: TopicBatch[] = [];
    if (this.outbox.length > 0) {
      out.push({ topic: this.d.notificationsTopic, messages: this.outbox });
      this.outbox = [];
    }
    if (this.heartbeatDue()) {
      this.lastHeartbeatMs = this.d.clock();
      out.push({ topic: this.d.heartbeatTopic, messages: [this.d.encoder.heartbeat(this.heartbeat())] });
    }
    return out;
  }

  /** The heartbeat as of now: the committed position of every stream. */
  heartbeat(): Heartbeat {
    return {
      connector: this.d.connector,
      workspaceId: this.d.workspaceId,
      version: this.d.version,
      tsMs: this.d.clock(),
      streams: this.d.streams.map((stream) => {
        const p = this.d.store.streamProgress(stream);
        return {
          stream,
          watermark: p.watermark,
          snapshotDone: p.snapshotDone,
          lastReconcile: p.lastReconcile,
        };
      }),
    };
  }

  private heartbeatDue(): boolean {
    return this.d.heartbeatIntervalMs > 0 && this.heartbeatInMs() === 0;
  }
}

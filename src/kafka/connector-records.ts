/**
 * The connector's own records, heartbeats and notifications (README, "Operations"): their schemas
 * registered under the subjects of their topics at start, then written in the Confluent wire format
 * (magic byte, schema id, Avro body) with the workspace as key.
 */
import * as avro from 'avsc';
import type { AnnouncementEncoder, Heartbeat, Notification } from '../capture/announce';
import type { Message } from '../capture/contracts';
import { loadConnectorSchemas } from '../normalize';
import type { Registry } from './registry';
import { subjectsOf } from './topics';

/** Writes heartbeats and notifications; built by {@link registerConnectorRecords}. */
export class ConnectorRecords implements AnnouncementEncoder {
  private readonly key: Buffer;

  constructor(
    private readonly workspaceId: string,
    private readonly types: { key: avro.Type; heartbeat: avro.Type; notification: avro.Type },
    private readonly ids: {
      heartbeatKey: number;
      heartbeat: number;
      notificationKey: number;
      notification: number;
    },
  ) {
    this.key = Buffer.from(types.key.toBuffer({ workspace_id: workspaceId }));
  }

  heartbeat(h: Heartbeat): Message {
    const value = this.types.heartbeat.toBuffer({
      connector: h.connector,
      workspace_id: h.workspaceId,
      version: h.version,
      ts_ms: h.tsMs,
      streams: h.streams.map((s) => ({
        stream: s.stream,
        watermark: s.watermark,
        snapshot_done: s.snapshotDone,
        last_reconcile: s.lastReconcile,
      })),
    });
    return { key: wire(this.ids.heartbeatKey, this.key), value: wire(this.ids.heartbeat, value) };
  }

  notification(n: Notification): Message {
    const value = this.types.notification.toBuffer({
      id: n.id,
      aggregate_type: n.aggregateType,
      type: n.type,
      additional_data: { workspace_id: this.workspaceId, ...n.additionalData },
      timestamp: n.timestampMs,
    });
    return { key: wire(this.ids.notificationKey, this.key), value: wire(this.ids.notification, value) };
  }
}

/**
 * Registers the key and value schemas of the heartbeat and notification topics (BACKWARD compatible,
 * as every subject of the connector); resolves with their writer for this workspace. Rejects with the
 * registry's error.
 */
export async function registerConnectorRecords(
  registry: Registry,
  topics: { heartbeat: string; notifications: string },
  workspaceId: string,
): Promise<ConnectorRecords> {
  const schemas = loadConnectorSchemas();
  const heartbeat = subjectsOf(topics.heartbeat);
  const notifications = subjectsOf(topics.notifications);
  const ids = {
    heartbeatKey: await registry.registerSubject(heartbeat.key, schemas.key),
    heartbeat: await registry.registerSubject(heartbeat.value, schemas.heartbeat),
    notificationKey: await registry.registerSubject(notifications.key, schemas.key),
    notification: await registry.registerSubject(notifications.value, schemas.notification),
  };
  const types = {
    key: avro.Type.forSchema(schemas.key as avro.Schema),
    heartbeat: avro.Type.forSchema(schemas.heartbeat as avro.Schema),
    notification: avro.Type.forSchema(schemas.notification as avro.Schema),
  };
  return new ConnectorRecords(workspaceId, types, ids);
}

/** Magic byte 0, the schema id (4 bytes, big-endian), then the Avro body. */
function wire(schemaId: number, body: Buffer): Buffer {
  const out = Buffer.alloc(5 + body.length);
  out.writeInt32BE(schemaId, 1);
  body.copy(out, 5);
  return out;
}

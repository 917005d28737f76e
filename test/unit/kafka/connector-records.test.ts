/** The heartbeat and notification records: Confluent wire format, the workspace as key, Avro bodies. */
import * as avro from 'avsc';
import { ConnectorRecords } from '../../../src/kafka/connector-records';
import { loadConnectorSchemas } from '../../../src/normalize';

const schemas = loadConnectorSchemas();
const types = {
  key: avro.Type.forSchema(schemas.key as avro.Schema),
  heartbeat: avro.Type.forSchema(schemas.heartbeat as avro.Schema),
  notification: avro.Type.forSchema(schemas.notification as avro.Schema),
};
const records = new ConnectorRecords('ws1', types, {
  heartbeatKey: 11,
  heartbeat: 12,
  notificationKey: 21,
  notification: 22,
});

/** The schema id of a wire-format buffer, and its body decoded with `type`. */
function unwire(buffer: Buffer | string | null, type: avro.Type): { id: number; body: unknown } {
  const b = buffer as Buffer;
  expect(b[0]).toBe(0);
  return { id: b.readInt32BE(1), body: type.fromBuffer(b.subarray(5)) };
}

describe('ConnectorRecords', () => {
  it('writes a heartbeat under its schema ids, keyed by the workspace', () => {
    const m = records.heartbeat({
      connector: 'cdc',
      workspaceId: 'ws1',
      version: '1.0.0',
      tsMs: 1_750_000_000_000,
      streams: [
        { stream: 'contacts', watermark: 1_749_999_999_000, snapshotDone: true, lastReconcile: null },
        { stream: 'admins', watermark: null, snapshotDone: false, lastReconcile: 5 },
      ],
    });
    expect(unwire(m.key, types.key)).toEqual({ id: 11, body: { workspace_id: 'ws1' } });
    expect(unwire(m.value, types.heartbeat)).toEqual({
      id: 12,
      body: {
        connector: 'cdc',
        workspace_id: 'ws1',
        version: '1.0.0',
        ts_ms: 1_750_000_000_000,
        streams: [
          { stream: 'contacts', watermark: 1_749_999_999_000, snapshot_done: true, last_reconcile: null },
          { stream: 'admins', watermark: null, snapshot_done: false, last_reconcile: 5 },
        ],
      },
    });
  });

  it("writes a notification in Debezium's shape, with the workspace among its data", () => {
    const m = records.notification({
      id: 'u-1',
      aggregateType: 'Initial Snapshot',
      type: 'STARTED',
      additionalData: { connector_name: 'cdc', data_collections: 'contacts' },
      timestampMs: 42,
    });
    expect(unwire(m.key, types.key).id).toBe(21);
    expect(unwire(m.value, types.notification)).toEqual({
      id: 22,
      body: {
        id: 'u-1',
        aggregate_type: 'Initial Snapshot',
        type: 'STARTED',
        additional_data: { workspace_id: 'ws1', connector_name: 'cdc', data_collections: 'contacts' },
        timestamp: 42,
      },
    });
  });
});

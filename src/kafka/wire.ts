/** The Confluent wire format of a stream's change events (magic byte, schema id, Avro body). */
import { AvroWriter, EventWriter, KeyWriter, type EventArgs } from '../normalize';

/**
 * The Confluent wire format of one stream's change events: magic byte 0, the schema id as a 4-byte
 * big-endian integer, then the Avro binary body (key: record Key {id}; value: record Envelope). Bodies
 * are written by normalize's writers (the typed mapping and the Avro encoding in one pass) after the
 * header, into the writer's slabs (AvroWriter: no allocation and no copy per message); ids come from
 * the registry at start, so the hot path makes no registry calls.
 */
export class EventCodec {
  private readonly w = new AvroWriter();
  private readonly keyHeader: Buffer;
  private readonly valueHeader: Buffer;
  private readonly keys: KeyWriter;
  private readonly values: EventWriter;

  constructor(schemas: { key: object; value: object }, ids: { key: number; value: number }) {
    this.keys = new KeyWriter(schemas.key);
    this.values = new EventWriter(schemas.value);
    this.keyHeader = header(ids.key);
    this.valueHeader = header(ids.value);
  }

  key(id: string): Buffer {
    this.w.start(this.keyHeader);
    this.keys.write(this.w, id);
    return this.w.finish();
  }

  /** The value of an event. Throws what EventWriter.write throws. */
  event(args: EventArgs): Buffer {
    const w = this.w;
    w.start(this.valueHeader);
    this.values.write(w, args);
    return w.finish();
  }
}

/** Magic byte 0, then the schema id as a 4-byte big-endian integer. */
function header(schemaId: number): Buffer {
  const buffer = Buffer.alloc(5);
  buffer.writeInt32BE(schemaId, 1);
  return buffer;
}

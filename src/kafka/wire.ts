import avro from 'avsc';

/** Bytes of the Confluent header: magic byte 0, then the schema id as a 4-byte big-endian integer. */
const HEADER = 5;

/**
 * Confluent wire format: magic byte 0, the schema id as a 4-byte big-endian integer, then the Avro
 * binary body. Encoding is done here with a Type compiled once per schema, so the hot path makes no
 * registry calls; ids come from the registry at start.
 *
 * Each value is written once into a scratch buffer that already holds the header, then copied once
 * into a buffer of its exact size (avsc's `toBuffer` would copy into a zero-filled buffer, and the
 * header would need a second copy). The scratch buffer grows to the largest value met.
 */
export class AvroCodec {
  private readonly type: avro.Type;
  private scratch: Buffer;

  constructor(
    schema: object,
    readonly schemaId: number,
  ) {
    this.type = avro.Type.forSchema(schema as avro.Schema);
    this.scratch = withHeader(Buffer.allocUnsafe(16 * 1024), schemaId);
  }

  encode(value: unknown): Buffer {
    for (;;) {
      // A negative result is the number of bytes missing (avsc's contract).
      const end = this.type.encode(value, this.scratch, HEADER);
      if (end > 0) {
        const out = Buffer.allocUnsafe(end);
        this.scratch.copy(out, 0, 0, end);
        return out;
      }
      const needed = this.scratch.length - end;
      this.scratch = withHeader(Buffer.allocUnsafe(Math.max(needed, 2 * this.scratch.length)), this.schemaId);
    }
  }
}

function withHeader(buffer: Buffer, schemaId: number): Buffer {
  buffer.writeUInt8(0, 0);
  buffer.writeInt32BE(schemaId, 1);
  return buffer;
}

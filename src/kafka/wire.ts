import avro from 'avsc';

/**
 * Confluent wire format: magic byte 0, the schema id as a 4-byte big-endian integer, then the Avro
 * binary body. Encoding is done here with a Type compiled once per schema, so the hot path makes no
 * registry calls; ids come from the registry at start.
 */
export class AvroCodec {
  private readonly type: avro.Type;

  constructor(
    schema: object,
    readonly schemaId: number,
  ) {
    this.type = avro.Type.forSchema(schema as avro.Schema);
  }

  encode(value: unknown): Buffer {
    const body = this.type.toBuffer(value);
    const out = Buffer.allocUnsafe(5 + body.length);
    out.writeUInt8(0, 0);
    out.writeInt32BE(this.schemaId, 1);
    body.copy(out, 5);
    return out;
  }

  /** Why a value does not fit the schema: the paths of the bad fields (empty when it fits). */
  problems(value: unknown): string[] {
    const paths: string[] = [];
    this.type.isValid(value, { errorHook: (path) => paths.push(path.join('.')) });
    return paths;
  }
}

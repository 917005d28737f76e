import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { CdcError } from '../errors';
import { RejectedRecord } from './rejected';

/** How a sink's input topic is encoded; `setting` names the key that chooses it, for the messages. */
export interface InputFormat {
  format: 'avro' | 'json';
  /** Decodes Avro in the registry wire format (format avro). */
  registry?: SchemaRegistry;
  /** The environment variable of the format (`SINK_CONTACTS_FORMAT`). */
  setting: string;
}

/**
 * A record value as JSON data. Throws RejectedRecord (`undecodable`) for bytes that are not the format,
 * and a retriable `registry_unavailable` when the registry is away (the record waits, it is not at fault).
 */
export async function decodeValue(value: Buffer, input: InputFormat): Promise<unknown> {
  if (input.format === 'json') {
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(value);
    } catch {
      throw new RejectedRecord('undecodable', `the value is not UTF-8 text (${input.setting}=json)`);
    }
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new RejectedRecord(
        'undecodable',
        `the value is not JSON (${(error as Error).message}); is the topic Avro? Set ${input.setting}=avro`,
      );
    }
  }
  if (value.length < 5 || value[0] !== 0)
    throw new RejectedRecord(
      'undecodable',
      `the value is not in the schema registry wire format (magic byte 0 + schema id); is the topic JSON? Set ${input.setting}=json`,
    );
  try {
    return await input.registry!.decode(value);
  } catch (error) {
    const text = (error as Error).message ?? String(error);
    // The registry being away is transient; a schema id it does not know, or bytes that do not fit the
    // schema, are the record's fault.
    if (/ECONNREFUSED|ECONNRESET|ETIMEDOUT|socket hang up|5\d\d/.test(text))
      throw new CdcError(`schema registry unavailable while decoding: ${text}`, {
        code: 'registry_unavailable',
        kind: 'transient',
      });
    throw new RejectedRecord('undecodable', `Avro decoding failed: ${text}`);
  }
}

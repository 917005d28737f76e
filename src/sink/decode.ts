/**
 * Decoding of a sink's input records (JSON, or Avro in the schema registry wire format), and the line
 * between a record at fault (RejectedRecord `undecodable`: it goes to the dead-letter topic) and a
 * registry that could not answer (retriable `registry_unavailable`: the record waits); and the depth
 * bound of decoded records (RejectedRecord `too_deep`).
 */
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
 * The HTTP status of a failed registry call, as @kafkajs/confluent-schema-registry reports it: its
 * `ResponseError` (not exported by the package) carries `status`; its other errors (bad arguments, a
 * wrong magic byte) and Avro's (bytes that do not fit the schema) carry none.
 */
function registryStatus(error: unknown): number | undefined {
  const e = error as { name?: unknown; status?: unknown } | undefined;
  return e?.name === 'ResponseError' && typeof e.status === 'number' ? e.status : undefined;
}

/**
 * Who is at fault when the registry path of a decode failed, by the status of the registry's answer:
 * - `registry`, retried: 408, 429, 5xx, and 400, which is how the library's HTTP client (mappersmith)
 *   reports a call that got no answer at all (refused, reset, timed out; it keeps no error code), and
 *   which the registry's own `GET /schemas/ids/{id}` never answers;
 * - `config`: 401 and 403, the registry refuses the credentials (no record is at fault);
 * - `record`: no status (the bytes do not fit the schema), 404 (a schema id the registry does not
 *   know), and any other answer.
 */
function decodeFault(error: unknown): 'registry' | 'config' | 'record' {
  const status = registryStatus(error);
  if (status === undefined) return 'record';
  if (status === 400 || status === 408 || status === 429 || status >= 500) return 'registry';
  if (status === 401 || status === 403) return 'config';
  return 'record';
}

/**
 * Deepest nesting of objects and arrays an input record may have. A contact upsert nests three levels
 * (record, custom_attributes, an Avro-style union); far deeper input would overflow the stack of the
 * recursive steps after decoding (JSON.stringify fails near 5,000 levels on Node 20).
 */
export const MAX_INPUT_DEPTH = 32;

/**
 * Throws RejectedRecord `too_deep`, naming the first such field, when a decoded value nests deeper than
 * {@link MAX_INPUT_DEPTH} levels. Checked without recursion, so any depth is safe.
 */
export function checkDepth(value: unknown): void {
  const path = depthOver(value, MAX_INPUT_DEPTH);
  if (path !== undefined)
    throw new RejectedRecord('too_deep', `${path}: nested deeper than ${MAX_INPUT_DEPTH} levels`);
}

/**
 * The path (`record.a[0].b`) of the first value nested deeper than `max` levels, or undefined. Walks with
 * an explicit stack, so any depth is safe.
 */
export function depthOver(value: unknown, max: number): string | undefined {
  const stack: { value: unknown; depth: number; path: string }[] = [{ value, depth: 0, path: 'record' }];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const v = node.value;
    if (typeof v !== 'object' || v === null || v instanceof Date || Buffer.isBuffer(v)) continue;
    if (node.depth >= max) return node.path;
    if (Array.isArray(v))
      v.forEach((item, i) => stack.push({ value: item, depth: node.depth + 1, path: `${node.path}[${i}]` }));
    else
      for (const [key, item] of Object.entries(v))
        stack.push({ value: item, depth: node.depth + 1, path: `${node.path}.${key}` });
  }
  return undefined;
}

/**
 * A record value as JSON data. Throws RejectedRecord (`undecodable`) for bytes that are not the format,
 * a retriable `registry_unavailable` when the registry could not answer (the record waits, it is not at
 * fault), and a config `registry_unauthorized` when the registry refuses the credentials.
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
    switch (decodeFault(error)) {
      case 'registry':
        throw new CdcError(`schema registry unavailable while decoding: ${text}`, {
          code: 'registry_unavailable',
          kind: 'transient',
        });
      case 'config':
        throw new CdcError(
          `schema registry refused to read a schema while decoding (${registryStatus(error)}): ${text}. Check SCHEMA_REGISTRY_USERNAME / SCHEMA_REGISTRY_PASSWORD.`,
          { code: 'registry_unauthorized', kind: 'config' },
        );
      case 'record':
        throw new RejectedRecord('undecodable', `Avro decoding failed: ${text}`);
    }
  }
}

/**
 * The copy of a bad record or object that a dead letter carries, as JSON text with a size bound: a dead
 * letter must fit in a Kafka message itself (the broker's default max.message.bytes is 1,048,588).
 * Shared by the capture's and the sinks' dead letters, so that both cut the same way and say so with
 * the same fields (`<field>_truncated`, `<field>_bytes`).
 */
import { stringifyDeep } from './inspect';

/** Largest copy a dead letter carries whole (bytes of its JSON text); a larger one is cut. */
export const DLQ_MAX_COPY_BYTES = 512 * 1024;
/** Characters of the JSON text kept when a copy is cut: at most 6 bytes each once escaped (`\u00XX`). */
const DLQ_CUT_CHARS = 64 * 1024;

/** A dead letter's copy of a value: JSON text to splice in as it is, and whether it was cut. */
export interface DeadLetterCopy {
  /** JSON text: the value's JSON, or (when cut) a JSON string holding the start of that JSON. */
  json: string;
  /** Set when the value's JSON was over {@link DLQ_MAX_COPY_BYTES}: its full size in bytes. */
  cutFrom?: number;
}

/**
 * The value's JSON (any depth is safe), whole when it is at most
 * {@link DLQ_MAX_COPY_BYTES}; else a JSON string of its first 64 Ki characters (at most 384 KiB once
 * escaped), with `cutFrom` the original size. Never longer than {@link DLQ_MAX_COPY_BYTES} bytes.
 */
export function deadLetterCopy(value: unknown): DeadLetterCopy {
  const json = deepJson(value);
  const bytes = Buffer.byteLength(json);
  if (bytes <= DLQ_MAX_COPY_BYTES) return { json };
  return { json: JSON.stringify(json.slice(0, DLQ_CUT_CHARS)), cutFrom: bytes };
}

/**
 * The same copy (see deadLetterCopy) of a value whose JSON text is already written, as its UTF-8 bytes
 * (the canonical JSON of a reading).
 */
export function copyOfJson(utf8: Uint8Array): DeadLetterCopy {
  const text = Buffer.from(utf8.buffer, utf8.byteOffset, utf8.byteLength).toString('utf8');
  if (utf8.byteLength <= DLQ_MAX_COPY_BYTES) return { json: text };
  return { json: JSON.stringify(text.slice(0, DLQ_CUT_CHARS)), cutFrom: utf8.byteLength };
}

/**
 * JSON.stringify's text (values with toJSON, such as Dates, as it writes them) when the stack allows it;
 * for a value nested too deep for it, the same JSON written with an explicit stack. Trees only.
 */
function deepJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'null';
  } catch (error) {
    if (error instanceof RangeError) return stringifyDeep(value);
    throw error;
  }
}

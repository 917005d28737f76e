import { CdcError } from '../errors';

/** Longest rendering of an offending value in an error message. */
const PREVIEW_LIMIT = 100;

/**
 * An Intercom value cannot be mapped to its typed field. Retrying cannot help: the object goes to the
 * dead-letter topic (or stops the stream under `errors.tolerance=none`), never silently to a wrong
 * value. `path` names the field, e.g. `contacts.location.city` or `conversations.tags.tags[0].id`;
 * the message names the path and shows the value, cut to about 100 characters.
 */
export class MappingError extends CdcError {
  readonly path: string;

  constructor(
    path: string,
    private readonly problem: string,
    private readonly value: unknown,
  ) {
    super(`${path}: ${problem}, got ${preview(value)}`, {
      code: 'mapping_failed',
      kind: 'system',
      retriable: false,
    });
    this.path = path;
  }

  /** The same error for the field one step further out: `prefix` goes before the path. */
  under(prefix: string): MappingError {
    return new MappingError(prefix + this.path, this.problem, this.value);
  }
}

/** A schema file is missing or malformed, or uses an Avro construct the record writer does not support. A bug of
 * the installation or of `schemas/`, found when the schema is loaded or compiled, never per object. */
export class SchemaError extends CdcError {
  constructor(message: string, cause?: unknown) {
    super(message, { code: 'schema_invalid', kind: 'system', retriable: false, cause });
  }
}

/** A short, unambiguous rendering of any value for error messages: strings quoted, NaN and Infinity
 * spelled out (JSON would print them as null), objects as JSON. */
export function preview(value: unknown): string {
  const text = render(value);
  return text.length > PREVIEW_LIMIT ? `${text.slice(0, PREVIEW_LIMIT)}…` : text;
}

function render(value: unknown): string {
  if (value === undefined) return 'nothing (field absent)';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'function' || typeof value === 'symbol') return typeof value;
  try {
    return JSON.stringify(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

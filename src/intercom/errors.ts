/**
 * IntercomError, the error of every failure talking to Intercom, and the helpers that keep it safe to
 * log: secrets scrubbed, a cause stripped of request headers, Intercom's error body read.
 */
import { CdcError, type CdcErrorOptions } from '../errors';

export interface IntercomErrorOptions extends CdcErrorOptions {
  status?: number;
  requestId?: string;
  route?: string;
  /** Intercom's own error code from the `error.list` body (`token_unauthorized`, `parameter_invalid`, …). */
  intercomCode?: string;
}

/**
 * A failure talking to Intercom. Besides CdcError's `code`, `kind`, `retriable` and `cause`, it carries
 * what identifies the call for support: HTTP `status`, Intercom's `requestId`, the `route` (path shape,
 * no ids) and Intercom's error code. Its message and cause never contain the access token: the cause is
 * a plain error holding only the underlying message and code, never the HTTP library's error with its
 * request headers.
 */
export class IntercomError extends CdcError {
  readonly status?: number;
  readonly requestId?: string;
  readonly route?: string;
  readonly intercomCode?: string;

  constructor(message: string, options: IntercomErrorOptions) {
    super(message, options);
    this.status = options.status;
    this.requestId = options.requestId;
    this.route = options.route;
    this.intercomCode = options.intercomCode;
  }
}

/** `text` with every occurrence of every secret replaced; secrets shorter than 4 characters are left alone. */
export function scrubSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  return secrets.reduce<string>(
    (out, secret) => (secret && secret.length >= 4 ? out.split(secret).join('[redacted]') : out),
    text,
  );
}

/**
 * A cause safe to keep and log: only the name, message (scrubbed) and code of `error`, dropping
 * everything else it references (request config, headers, sockets).
 */
export function safeCause(error: unknown, secrets: readonly (string | undefined)[]): Error {
  const source = error instanceof Error ? error : new Error(String(error));
  const cause = new Error(scrubSecrets(source.message, secrets));
  cause.name = source.name;
  const code = (source as { code?: unknown }).code;
  if (typeof code === 'string') Object.assign(cause, { code });
  return cause;
}

/**
 * A body (text, or its UTF-8 bytes) as JSON; one that is not JSON (a proxy's HTML page, a body cut off)
 * gives undefined.
 */
export function parseLenient(data: unknown): unknown {
  if (data instanceof Uint8Array)
    data = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString();
  if (typeof data !== 'string') return data;
  try {
    return JSON.parse(data);
  } catch {
    return undefined;
  }
}

/** The parts of Intercom's `error.list` body the client reports. */
export interface ErrorBody {
  requestId?: string;
  code?: string;
  message?: string;
}

/** Reads `{type:"error.list", request_id, errors:[{code, message}]}`; anything else gives an empty result. */
export function parseErrorBody(body: unknown): ErrorBody {
  if (typeof body !== 'object' || body === null) return {};
  const record = body as { request_id?: unknown; errors?: unknown };
  const first: unknown = Array.isArray(record.errors) ? record.errors[0] : undefined;
  const err =
    typeof first === 'object' && first !== null ? (first as { code?: unknown; message?: unknown }) : {};
  return {
    requestId: typeof record.request_id === 'string' ? record.request_id : undefined,
    code: typeof err.code === 'string' ? err.code : undefined,
    message: typeof err.message === 'string' ? err.message : undefined,
  };
}

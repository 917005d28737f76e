/**
 * The one error base of the project. Every error the connector raises on purpose is a CdcError:
 * - `code`: stable, machine-readable (`config_invalid`, `rate_limited`, `http_5xx`, …);
 * - `kind`: who has to act. `config`: the user must change configuration or permissions (exit 2);
 *   `transient`: the world may heal (retry with backoff); `system`: a bug or an unexpected state (exit 1);
 *   `fenced`: another instance took over this workspace (exit 3);
 * - `retriable`: whether a retry of the same operation can succeed; `retryAfterMs`, when known, how long
 *   before it can (the other side said so, or a lock expires): a retry waits that instead of its backoff;
 * - `cause`: the underlying error, kept for logs.
 * Messages never contain secrets: callers must not interpolate tokens or passwords.
 */
export type FailureKind = 'config' | 'transient' | 'system' | 'fenced';

export interface CdcErrorOptions {
  code: string;
  kind: FailureKind;
  retriable?: boolean;
  retryAfterMs?: number;
  cause?: unknown;
}

export class CdcError extends Error {
  readonly code: string;
  readonly kind: FailureKind;
  readonly retriable: boolean;
  readonly retryAfterMs?: number;

  constructor(message: string, options: CdcErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code;
    this.kind = options.kind;
    this.retriable = options.retriable ?? options.kind === 'transient';
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }
}

/** Configuration is missing or wrong; the message names the key and the fix. Exit code 2. */
export class ConfigError extends CdcError {
  readonly problems: readonly string[];
  constructor(message: string, problems: readonly string[] = [], cause?: unknown) {
    super(message, { code: 'config_invalid', kind: 'config', retriable: false, cause });
    this.problems = problems;
  }
}

/** Process exit codes, a contract (README, "Running it"). */
export const ExitCode = {
  ok: 0,
  failure: 1,
  config: 2,
  fenced: 3,
} as const;

/** The exit code a failure of this kind ends the process with. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof CdcError) {
    if (error.kind === 'config') return ExitCode.config;
    if (error.kind === 'fenced') return ExitCode.fenced;
  }
  return ExitCode.failure;
}

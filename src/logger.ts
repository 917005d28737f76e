/** The pino logger of every command: JSON lines, one `module` key per line, secrets redacted. */
import pino, { type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * Paths pino blanks out wherever they appear in a logged object. Secrets are also kept out of
 * messages by construction; this is the second line of defence.
 */
export const REDACT_PATHS = [
  'token',
  '*.token',
  'accessToken',
  '*.accessToken',
  'access_token',
  '*.access_token',
  'refreshToken',
  '*.refreshToken',
  'refresh_token',
  '*.refresh_token',
  'password',
  '*.password',
  'clientSecret',
  '*.clientSecret',
  'client_secret',
  '*.client_secret',
  'authorization',
  '*.authorization',
  'Authorization',
  '*.Authorization',
  'headers.authorization',
  'headers.Authorization',
  '*.headers.authorization',
  '*.headers.Authorization',
];

export interface LoggerSettings {
  level?: string;
  /** Where JSON lines go; default stdout. Tests pass a stream to inspect the output. */
  destination?: pino.DestinationStream;
}

/** The root logger: JSON lines, secrets redacted. Modules take `root.child({ module: 'name' })`. */
export function createLogger(settings: LoggerSettings = {}): Logger {
  const options: LoggerOptions = {
    level: settings.level ?? 'info',
    base: { service: 'intercom-cdc' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  return settings.destination ? pino(options, settings.destination) : pino(options);
}

/** A logger that discards everything, for tests and library use without a logger. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

import { CdcError } from '../errors';

const FENCED = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED']);
const NOT_AUTHORIZED = new Set([
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  'TOPIC_AUTHORIZATION_FAILED',
  'GROUP_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'SASL_AUTHENTICATION_FAILED',
]);

/** The kafkajs protocol error types along an error's cause chain. */
function protocolTypes(error: unknown): string[] {
  const types: string[] = [];
  for (
    let e = error as { type?: string; cause?: unknown; originalError?: unknown } | undefined, depth = 0;
    e && depth < 8;
    depth++
  ) {
    if (typeof e.type === 'string') types.push(e.type);
    e = (e.cause ?? e.originalError) as typeof e;
  }
  return types;
}

/** Turns a kafkajs failure into a typed error: fenced (exit 3), not authorized (exit 2), or system. */
export function kafkaError(what: string, error: unknown): CdcError {
  if (error instanceof CdcError) return error;
  const types = protocolTypes(error);
  const message = (error as Error)?.message ?? String(error);
  if (types.some((t) => FENCED.has(t)) || /fenced/i.test(message)) {
    return new CdcError(
      `${what}: another instance with the same transactional id took over (fenced): ${message}`,
      {
        code: 'fenced',
        kind: 'fenced',
        cause: error,
      },
    );
  }
  if (types.some((t) => NOT_AUTHORIZED.has(t)) || /SASL|authenticat/i.test(message)) {
    return new CdcError(
      `${what}: Kafka refused access (${types.join(', ') || message}). Check KAFKA_SASL_* and the ACLs.`,
      {
        code: 'kafka_unauthorized',
        kind: 'config',
        cause: error,
      },
    );
  }
  return new CdcError(`${what}: ${message}`, { code: 'kafka_failed', kind: 'system', cause: error });
}

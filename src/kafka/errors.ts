import { CdcError } from '../errors';

const FENCED = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED']);
const NOT_AUTHORIZED = new Set([
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  'TOPIC_AUTHORIZATION_FAILED',
  'GROUP_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'SASL_AUTHENTICATION_FAILED',
]);

/** kafkajs errors that mean the cluster (or the path to it) is away, not that a request was wrong. */
const UNAVAILABLE_NAMES = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSLockTimeout',
]);
const UNAVAILABLE_TYPES = new Set([
  'NETWORK_EXCEPTION',
  'REQUEST_TIMED_OUT',
  'LEADER_NOT_AVAILABLE',
  'NOT_LEADER_FOR_PARTITION',
  'NOT_LEADER_OR_FOLLOWER',
  'COORDINATOR_NOT_AVAILABLE',
  'NOT_COORDINATOR',
  'COORDINATOR_LOAD_IN_PROGRESS',
  'NOT_ENOUGH_REPLICAS',
  'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
  'KAFKA_STORAGE_ERROR',
  'BROKER_NOT_AVAILABLE',
]);

/**
 * Whether a failure means Kafka is unreachable or not serving yet (a broker restart, a leader
 * election, a network cut) rather than a wrong request, a refusal or a fence. `run` starts over once
 * Kafka is back instead of exiting: it restores its state from Kafka as a restarted process would.
 */
export function isKafkaUnavailable(error: unknown): boolean {
  // Our own errors say what they are (a registry or Intercom outage is not a Kafka one).
  if (error instanceof CdcError) return error.code === 'kafka_unavailable';
  return causeChain(error).some(
    (e) =>
      (typeof e.name === 'string' && UNAVAILABLE_NAMES.has(e.name)) ||
      (typeof e.type === 'string' && UNAVAILABLE_TYPES.has(e.type)) ||
      (typeof e.message === 'string' &&
        /ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ETIMEDOUT|Connection (error|timeout|closed)/.test(e.message)),
  );
}

const REBALANCE_TYPES = new Set([
  'UNKNOWN_MEMBER_ID',
  'ILLEGAL_GENERATION',
  'REBALANCE_IN_PROGRESS',
  'NOT_COORDINATOR',
  'COORDINATOR_NOT_AVAILABLE',
  'FENCED_INSTANCE_ID',
]);

/**
 * Whether a consumer-group call (an offset commit, a heartbeat) failed because the group is changing
 * hands (a member joined, left or was dropped), not because of the data: the partition's next owner
 * reads the records again.
 */
export function isRebalance(error: unknown): boolean {
  if (protocolTypes(error).some((t) => REBALANCE_TYPES.has(t))) return true;
  return /not aware of this member|rebalanc|generation/i.test((error as Error)?.message ?? '');
}

interface ChainLink {
  name?: unknown;
  type?: unknown;
  message?: unknown;
  cause?: unknown;
  originalError?: unknown;
}

/** An error and its causes (kafkajs wraps in `cause` or `originalError`), at most 8 deep. */
function causeChain(error: unknown): ChainLink[] {
  const links: ChainLink[] = [];
  for (
    let e = error as ChainLink | undefined;
    e && links.length < 8;
    e = (e.cause ?? e.originalError) as ChainLink
  )
    links.push(e);
  return links;
}

/** The kafkajs protocol error types along an error's cause chain. */
function protocolTypes(error: unknown): string[] {
  return causeChain(error)
    .map((e) => e.type)
    .filter((t): t is string => typeof t === 'string');
}

/**
 * Turns a kafkajs failure into a typed error: fenced (exit 3), not authorized (exit 2), Kafka unavailable
 * (`kafka_unavailable`: transient and retriable, `run` starts over once Kafka answers), or `kafka_failed`,
 * retriable only when kafkajs says the request may succeed if sent again (a leader not known yet).
 */
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
  if (isKafkaUnavailable(error)) {
    return new CdcError(`${what}: Kafka unavailable (${message})`, {
      code: 'kafka_unavailable',
      kind: 'transient',
      cause: error,
    });
  }
  const retriable = (error as { retriable?: unknown })?.retriable === true;
  return new CdcError(`${what}: ${message}`, {
    code: 'kafka_failed',
    kind: retriable ? 'transient' : 'system',
    cause: error,
  });
}

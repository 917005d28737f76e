/**
 * What a failure of either Kafka client means: fenced, refused access, Kafka unavailable, a consumer
 * group changing hands, or anything else. Decided by what the clients put on their errors (kafkajs'
 * class names, protocol `type` and `retriable`; @platformatic/kafka's `code`, `apiId` and `canRetry`;
 * Node's socket error codes), never by the wording of a message, but in the one case where kafkajs
 * leaves nothing else ({@link kafkajsRewrappedType}).
 */
import { CdcError } from '../errors';

const FENCED = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED']);
const NOT_AUTHORIZED = new Set([
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  'TOPIC_AUTHORIZATION_FAILED',
  'GROUP_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'SASL_AUTHENTICATION_FAILED',
  'UNSUPPORTED_SASL_MECHANISM',
  'ILLEGAL_SASL_STATE',
]);
/** kafkajs' SASL failures (a wrong password, an unknown mechanism) and @platformatic/kafka's. */
const NOT_AUTHORIZED_NAMES = new Set(['KafkaJSSASLAuthenticationError']);
const NOT_AUTHORIZED_CODES = new Set(['PLT_KFK_AUTHENTICATION']);

/** kafkajs errors that mean the cluster (or the path to it) is away, not that a request was wrong. */
const UNAVAILABLE_NAMES = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSLockTimeout',
  // No broker answered where the group or transaction coordinator is: kafkajs asks each broker in turn,
  // drops every answer's error and throws this, without a cause (cluster/index.js). A broker restart
  // shows it; seen ending `run` in the broker-restart test.
  'KafkaJSGroupCoordinatorNotFound',
]);
/** @platformatic/kafka's network errors (its timeouts carry the same code), and Node's socket errors. */
const UNAVAILABLE_CODES = new Set([
  'PLT_KFK_NETWORK',
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ETIMEDOUT',
  'EPIPE',
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
 * Understands both clients: kafkajs' error names and protocol `type`s, @platformatic/kafka's network
 * errors (`code` PLT_KFK_NETWORK, timeouts included) and protocol `apiId`s, and either's socket errors
 * (Node's `code`: ECONNREFUSED, ECONNRESET, …).
 */
export function isKafkaUnavailable(error: unknown): boolean {
  // Our own errors say what they are (a registry or Intercom outage is not a Kafka one).
  if (error instanceof CdcError) return error.code === 'kafka_unavailable';
  return errorTree(error).some(
    (e) =>
      (typeof e.name === 'string' && UNAVAILABLE_NAMES.has(e.name)) ||
      (typeof e.code === 'string' && UNAVAILABLE_CODES.has(e.code)) ||
      UNAVAILABLE_TYPES.has(protocolType(e) ?? ''),
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
  return protocolTypes(error).some((t) => REBALANCE_TYPES.has(t));
}

/**
 * The protocol error kafkajs lost: while a consumer joins its group, kafkajs rewraps UNKNOWN_MEMBER_ID
 * and REBALANCE_IN_PROGRESS as `new KafkaJSError(e)` (consumer/consumerGroup.js), which keeps the
 * message and drops `type` and `cause`; the message is then the only signal left. These are the
 * messages of kafkajs' own protocol error table (protocol/error.js), compared whole, for the types a
 * rebalance shows.
 */
function kafkajsRewrappedType(message: unknown): string | undefined {
  return typeof message === 'string' ? KAFKAJS_REBALANCE_MESSAGES.get(message) : undefined;
}

const KAFKAJS_REBALANCE_MESSAGES = new Map([
  ['The coordinator is not aware of this member', 'UNKNOWN_MEMBER_ID'],
  ['The group is rebalancing, so a rejoin is needed', 'REBALANCE_IN_PROGRESS'],
  ['Specified group generation id is not valid', 'ILLEGAL_GENERATION'],
]);

interface ChainLink {
  name?: unknown;
  type?: unknown;
  apiId?: unknown;
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  originalError?: unknown;
  errors?: unknown;
  retriable?: unknown;
  canRetry?: unknown;
}

/**
 * An error and what it wraps, at most 32 links: kafkajs wraps in `cause` or `originalError`;
 * @platformatic/kafka in `cause` and in the `errors` of its MultipleErrors (an AggregateError: every
 * attempt of a retried call, or every partition's error of one response).
 */
function errorTree(error: unknown): ChainLink[] {
  const links: ChainLink[] = [];
  const queue: unknown[] = [error];
  while (queue.length > 0 && links.length < 32) {
    const e = queue.shift();
    if (!e || typeof e !== 'object' || links.includes(e as ChainLink)) continue;
    const link = e as ChainLink;
    links.push(link);
    queue.push(link.cause, link.originalError, ...(Array.isArray(link.errors) ? link.errors : []));
  }
  return links;
}

/**
 * A link's Kafka protocol error name: kafkajs' `type`, @platformatic/kafka's `apiId`, or the type a
 * kafkajs rewrap lost ({@link kafkajsRewrappedType}).
 */
function protocolType(e: ChainLink): string | undefined {
  const t = e.type ?? e.apiId;
  return typeof t === 'string' ? t : kafkajsRewrappedType(e.message);
}

/** The Kafka protocol error names in an error's tree. */
function protocolTypes(error: unknown): string[] {
  return errorTree(error)
    .map(protocolType)
    .filter((t): t is string => t !== undefined);
}

/**
 * The error's message, with the messages it wraps when it only names the call (@platformatic/kafka's
 * "Received response with error while executing API EndTxn(v3)" says why in its `errors`).
 */
function describe(error: unknown): string {
  const [top, ...inner] = errorTree(error);
  const message = typeof top?.message === 'string' ? top.message : String(error);
  if (!Array.isArray(top?.errors)) return message;
  const details = [
    ...new Set(
      inner
        .filter((e) => !Array.isArray(e.errors) && typeof e.message === 'string')
        .map((e) => (protocolType(e) ? `${protocolType(e)}: ${String(e.message)}` : String(e.message))),
    ),
  ];
  return details.length ? `${message} (${details.slice(0, 3).join('; ')})` : message;
}

/**
 * Whether the client says the same request may succeed if sent again: kafkajs' `retriable` on the
 * error, or @platformatic/kafka's `canRetry` on every error in the tree that has one.
 */
function retriableByClient(error: unknown): boolean {
  if ((error as ChainLink)?.retriable === true) return true;
  const verdicts = errorTree(error)
    .map((e) => e.canRetry)
    .filter((v) => typeof v === 'boolean');
  return verdicts.length > 0 && verdicts.every((v) => v === true);
}

/**
 * Turns a failure of either Kafka client into a typed error: fenced (exit 3), not authorized (exit 2),
 * Kafka unavailable (`kafka_unavailable`: transient and retriable, `run` starts over once Kafka answers),
 * or `kafka_failed`, retriable only when the client says the request may succeed if sent again (a leader
 * not known yet).
 */
export function kafkaError(what: string, error: unknown): CdcError {
  if (error instanceof CdcError) return error;
  const types = protocolTypes(error);
  const message = describe(error);
  if (types.some((t) => FENCED.has(t))) {
    return new CdcError(
      `${what}: another instance with the same transactional id took over (fenced): ${message}`,
      {
        code: 'fenced',
        kind: 'fenced',
        cause: error,
      },
    );
  }
  if (
    types.some((t) => NOT_AUTHORIZED.has(t)) ||
    errorTree(error).some(
      (e) =>
        (typeof e.name === 'string' && NOT_AUTHORIZED_NAMES.has(e.name)) ||
        (typeof e.code === 'string' && NOT_AUTHORIZED_CODES.has(e.code)),
    )
  ) {
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
  return new CdcError(`${what}: ${message}`, {
    code: 'kafka_failed',
    kind: retriableByClient(error) ? 'transient' : 'system',
    cause: error,
  });
}

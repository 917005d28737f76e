/**
 * kafkajs's log, through pino: entries at warn and above, under the module `kafka`, with kafkajs's
 * namespace (`kafkajs`) and fields. Error level is kept for what an operator must act on: the retry of a
 * request the broker answered CONCURRENT_TRANSACTIONS (see isConcurrentTransactionRetry) and other
 * protocol errors kafkajs retries itself (see retriedProtocolError) are expected, and only counted.
 */
import { logLevel, type logCreator } from 'kafkajs';
import type { Logger } from 'pino';

/** A kafkajs log entry's fields: its message, and what the call that logged it added. */
type Entry = { message?: unknown; [field: string]: unknown };

// kafkajs's table of protocol errors: it publishes no types for it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { errorCodes } = require('kafkajs/src/protocol/error') as {
  errorCodes: { type: string; retriable: boolean; message: string }[];
};

/** kafkajs's message of each protocol error it retries, and the error's type. */
const RETRIED_BY_MESSAGE = new Map(errorCodes.filter((e) => e.retriable).map((e) => [e.message, e.type]));

/**
 * The type of the protocol error a kafkajs log entry reports, when kafkajs retries that error itself
 * (its table marks it retriable: `GROUP_LOAD_IN_PROGRESS`, "The coordinator is loading…",
 * `GROUP_COORDINATOR_NOT_AVAILABLE`, `LEADER_NOT_AVAILABLE`, …); undefined for any other entry. The
 * connection logs such an answer at error as "Response <Api>(key: …, version: …)" with the error's
 * message in `error` (kafkajs 2.2, `network/connection.js`); a retry that never succeeds ends in an
 * error the connector reports itself.
 */
export function retriedProtocolError(log: Entry): string | undefined {
  if (typeof log.message !== 'string' || !log.message.startsWith('Response ')) return undefined;
  return typeof log.error === 'string' ? RETRIED_BY_MESSAGE.get(log.error) : undefined;
}

/**
 * Whether a kafkajs log entry is about a request the broker answered CONCURRENT_TRANSACTIONS: a
 * transaction begun while the broker still completes the previous one. kafkajs retries it itself (about
 * 300 ms later), and logs it at error twice: the connection as "Response AddPartitionsToTxn(…)" with the
 * error's text in `error`, the producer as "Failed to send messages: <text>" with `retryCount` and
 * `retryTime`. Neither entry carries the error's type or code (kafkajs 2.2, `network/connection.js` and
 * `producer/sendMessages.js` log `e.message` only), so the text is what tells it apart: kafkajs's
 * message for protocol error 51, or the error's name.
 */
export function isConcurrentTransactionRetry(log: Entry): boolean {
  return [log.message, log.error].some(
    (text) =>
      typeof text === 'string' &&
      /CONCURRENT_TRANSACTIONS|another concurrent operation on the same transaction/.test(text),
  );
}

/**
 * The kafkajs `logCreator` writing to `logger`'s child `kafka`: errors at error, the rest at warn (the
 * client is built at warn, kafkajs logs nothing below it), CONCURRENT_TRANSACTIONS retries at debug,
 * each told to `onConcurrentTransactionRetry` (a metric); other protocol errors kafkajs retries at warn
 * the first time each error type is seen by this log, at debug after that, each told to
 * `onRetriedError` with its type (a metric).
 */
export function kafkajsLog(
  logger: Logger,
  onConcurrentTransactionRetry?: () => void,
  onRetriedError?: (type: string) => void,
): logCreator {
  const log = logger.child({ module: 'kafka' });
  const warned = new Set<string>();
  return () => (entry) => {
    const { message, ...extra } = entry.log;
    const fields = { kafkajs: entry.namespace, ...extra };
    const retried = retriedProtocolError(entry.log);
    // Expected between back-to-back transactions, and retried by kafkajs: counted, logged at debug.
    if (isConcurrentTransactionRetry(entry.log)) {
      onConcurrentTransactionRetry?.();
      log.debug(fields, message);
    } else if (retried !== undefined) {
      onRetriedError?.(retried);
      if (warned.has(retried)) log.debug({ ...fields, retried }, message);
      else log.warn({ ...fields, retried }, message);
      warned.add(retried);
    } else if (entry.level <= logLevel.ERROR) log.error(fields, message);
    else log.warn(fields, message);
  };
}

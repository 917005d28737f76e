/**
 * kafkajs's log, through pino: entries at warn and above, under the module `kafka`, with kafkajs's
 * namespace (`kafkajs`) and fields. One kind of entry is expected and not worth a warning: the retry of a
 * request the broker answered CONCURRENT_TRANSACTIONS (see isConcurrentTransactionRetry).
 */
import { logLevel, type logCreator } from 'kafkajs';
import type { Logger } from 'pino';

/** A kafkajs log entry's fields: its message, and what the call that logged it added. */
type Entry = { message?: unknown; [field: string]: unknown };

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
 * each told to `onConcurrentTransactionRetry` (a metric).
 */
export function kafkajsLog(logger: Logger, onConcurrentTransactionRetry?: () => void): logCreator {
  const log = logger.child({ module: 'kafka' });
  return () => (entry) => {
    const { message, ...extra } = entry.log;
    const fields = { kafkajs: entry.namespace, ...extra };
    // Expected between back-to-back transactions, and retried by kafkajs: counted, logged at debug.
    if (isConcurrentTransactionRetry(entry.log)) {
      onConcurrentTransactionRetry?.();
      log.debug(fields, message);
    } else if (entry.level <= logLevel.ERROR) log.error(fields, message);
    else log.warn(fields, message);
  };
}

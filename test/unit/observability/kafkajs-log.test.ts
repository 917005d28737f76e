import pino from 'pino';
import { logLevel } from 'kafkajs';
import { kafkajsLog, retriedProtocolError } from '../../../src/kafka/kafkajs-log';
// kafkajs's own errors, so the test sees the text kafkajs really logs.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createErrorFromCode } = require('kafkajs/src/protocol/error') as {
  createErrorFromCode(code: number): Error & { type: string };
};

/** The entry connection.js logs at error when a response carries a protocol error. */
function responseEntry(code: number, api = 'FindCoordinator(key: 10, version: 2)') {
  return {
    namespace: 'Connection',
    level: logLevel.ERROR,
    label: 'ERROR',
    log: {
      timestamp: '2026-01-01T00:00:00.000Z',
      logger: 'kafkajs',
      message: `Response ${api}`,
      broker: '127.0.0.1:9092',
      clientId: 'intercom-cdc',
      error: createErrorFromCode(code).message,
      correlationId: 3,
      size: 30,
    },
  };
}

function capture() {
  const lines: { level: number; msg: string; retried?: string }[] = [];
  const logger = pino({ level: 'debug' }, { write: (l: string) => void lines.push(JSON.parse(l)) });
  const retried: string[] = [];
  const log = kafkajsLog(logger, undefined, (type) => retried.push(type))(logLevel.WARN);
  return { lines, retried, log };
}

describe('kafkajs protocol errors it retries itself', () => {
  it('"The coordinator is loading…" and "The group coordinator is not available": warn once each, then debug, all counted', () => {
    const { lines, retried, log } = capture();
    for (let i = 0; i < 3; i += 1) log(responseEntry(14));
    log(responseEntry(15));
    log(responseEntry(15));
    expect(retried).toEqual([
      'GROUP_LOAD_IN_PROGRESS',
      'GROUP_LOAD_IN_PROGRESS',
      'GROUP_LOAD_IN_PROGRESS',
      'GROUP_COORDINATOR_NOT_AVAILABLE',
      'GROUP_COORDINATOR_NOT_AVAILABLE',
    ]);
    expect(lines.map((l) => l.level)).toEqual([40, 20, 20, 40, 20]);
    expect(lines.every((l) => l.level < 50)).toBe(true);
    expect(lines[0]).toMatchObject({
      msg: 'Response FindCoordinator(key: 10, version: 2)',
      retried: 'GROUP_LOAD_IN_PROGRESS',
    });
  });

  it('keeps error level for what kafkajs does not retry, and for other entries', () => {
    const { lines, retried, log } = capture();
    log(responseEntry(29)); // TOPIC_AUTHORIZATION_FAILED: not retriable
    log({
      ...responseEntry(14),
      log: { ...responseEntry(14).log, message: 'Crash: KafkaJSNumberOfRetriesExceeded' },
    });
    expect(retried).toEqual([]);
    expect(lines.map((l) => l.level)).toEqual([50, 50]);
    expect(
      retriedProtocolError({ message: 'Response Produce(key: 0, version: 7)', error: 'Connection error' }),
    ).toBeUndefined();
  });
});

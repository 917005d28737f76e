import { closingHint } from '../../../src/cli/demo';
import { startupSummary } from '../../../src/cli/run';
import { loadConfig } from '../../../src/config';
import { isConcurrentTransactionRetry } from '../../../src/kafka/kafkajs-log';
import { packageVersion } from '../../../src/version';
// kafkajs's own error for code 51, so the test sees the text kafkajs really logs.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createErrorFromCode } = require('kafkajs/src/protocol/error') as {
  createErrorFromCode(code: number): Error & { type: string };
};

describe('the start-up line', () => {
  it('names version, workspace, streams and targets, and no secret', () => {
    const config = loadConfig({
      env: {
        INTERCOM_TOKEN: 'tok_secret_1',
        KAFKA_BROKERS: 'k1:9092,k2:9092',
        KAFKA_SASL_MECHANISM: 'PLAIN',
        KAFKA_SASL_USERNAME: 'user',
        KAFKA_SASL_PASSWORD: 'pw_secret_2',
        SCHEMA_REGISTRY_URL: 'https://reg:pw_secret_3@registry.example:8081',
        STREAMS: 'contacts,tags',
      },
    });
    const line = startupSummary(config, 'ws123');
    const text = JSON.stringify(line);
    expect(line).toMatchObject({
      version: packageVersion(),
      workspace: 'ws123',
      streams: ['contacts', 'tags'],
    });
    expect(text).toContain('k1:9092');
    expect(text).toContain('registry.example:8081');
    expect(text).toContain('api.intercom.io');
    expect(text).not.toMatch(/tok_secret_1|pw_secret_2|pw_secret_3/);
  });
});

describe('kafkajs CONCURRENT_TRANSACTIONS retries', () => {
  it("are recognised in the entry kafkajs writes: the broker's text in the message", () => {
    const broker = createErrorFromCode(51);
    expect(broker.type).toBe('CONCURRENT_TRANSACTIONS');
    // sendMessages.js: logger.error(`Failed to send messages: ${e.message}`, { retryCount, retryTime })
    expect(
      isConcurrentTransactionRetry({
        message: `Failed to send messages: ${broker.message}`,
        retryCount: 0,
        retryTime: 312,
      }),
    ).toBe(true);
    expect(
      isConcurrentTransactionRetry({ message: 'Failed to send messages: Connection error', retryCount: 0 }),
    ).toBe(false);
  });

  it("are recognised in the connection's entry too: the broker's text in `error`", () => {
    const broker = createErrorFromCode(51);
    // connection.js: logError(`Response ${requestInfo(entry)}`, { error: e.message, correlationId, size })
    const entry = { message: 'Response AddPartitionsToTxn(key: 24, version: 1)', correlationId: 7, size: 20 };
    expect(isConcurrentTransactionRetry({ ...entry, error: broker.message })).toBe(true);
    expect(isConcurrentTransactionRetry({ ...entry, error: createErrorFromCode(47).message })).toBe(false);
  });
});

describe("the demo's closing hint", () => {
  const info = { brokers: ['127.0.0.1:9092'], registryUrl: 'http://127.0.0.1:8081' };
  it('offers tail only for a stack that keeps running', () => {
    expect(closingHint(false, info)).toMatch(/KAFKA_BROKERS=127\.0\.0\.1:9092 .*intercom-cdc tail/);
    const stopped = closingHint(true, info);
    expect(stopped).toMatch(/stack:up/);
    expect(stopped).not.toMatch(/tail/);
    expect(stopped).toMatch(/topics are gone/);
  });
});

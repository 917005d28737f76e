import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Config } from '../../src/config';

const ROOT = path.resolve(__dirname, '../..');

/** A CLI command running in a child process, as users run it. */
export interface Running {
  child: ChildProcess;
  exited: Promise<number | null>;
  /** The exit code once it exited (null: ended by a signal); undefined while it runs. */
  code(): number | null | undefined;
  stderr(): string;
  /** Its stdout (the service's JSON logs, or a command's output), the last `stdoutLimit` characters. */
  stdout(): string;
}

/** CLI processes started and not yet exited. */
const live = new Set<ChildProcess>();

// A test that fails or times out before it stops its processes must not leave them running: jest would
// wait for them and never end (CI would hang to its limit). Whatever still runs after a file's tests is
// killed.
afterAll(() => {
  for (const child of live) child.kill('SIGKILL');
});

/** Starts `intercom-cdc <args>` from source (tsx as a loader in one process, so signals reach it). */
export function startCli(
  args: string[],
  env: Record<string, string>,
  { stdoutLimit = 20_000 }: { stdoutLimit?: number } = {},
): Running {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/main.ts'), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  let code: number | null | undefined;
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout!.on('data', (d: Buffer) => (stdout = (stdout + d.toString()).slice(-stdoutLimit)));
  live.add(child);
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (c) => {
      live.delete(child);
      code = c;
      resolve(c);
    }),
  );
  return { child, exited, code: () => code, stderr: () => stderr, stdout: () => stdout };
}

export const waitMs = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns true or the time is up; returns whether it did. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  ms: number,
  stepMs = 200,
): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await waitMs(stepMs);
  }
  return check();
}

/**
 * The environment of a CLI connector for a test configuration (its stack, Kafka client, simulator,
 * prefix, name, streams, and the sink's input topic when it has one): one-replica topics with 2 partitions, quick
 * polls and reconciliations, no HTTP port, warnings only; `extra` adds to it or overrides.
 */
export function connectorEnv(config: Config, extra: Record<string, string> = {}): Record<string, string> {
  const sink = config.sink.contacts;
  return {
    KAFKA_BROKERS: config.kafka.brokers.join(','),
    KAFKA_CLIENT: config.kafka.client,
    SCHEMA_REGISTRY_URL: config.schemaRegistry.url,
    INTERCOM_BASE_URL: config.intercom.baseUrl,
    INTERCOM_TOKEN: 'test-token',
    TOPIC_PREFIX: config.kafka.topicPrefix,
    CONNECTOR_NAME: config.connector.name,
    STREAMS: config.streams.enabled.join(','),
    KAFKA_REPLICATION_FACTOR: '1',
    KAFKA_TOPIC_PARTITIONS: '2',
    POLL_INTERVAL_MS: '200',
    RECONCILE_INTERVAL_MS: '3000',
    ...(sink.topic ? { SINK_CONTACTS_TOPIC: sink.topic, SINK_CONTACTS_FORMAT: sink.format } : {}),
    HTTP_PORT: '0',
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

/** `check`: probes Intercom, Kafka and the registry in parallel and prints a row per check. */
import { createIntercomClient } from '../app';
import type { Config } from '../config';
import type { IntercomClient } from '../intercom';
import { createKafka, createPublisher, createRegistry } from '../kafka/clients';
import {
  announcementTopicSpecs,
  defaultReplicationFactor,
  replicationProblem,
  subjectsOf,
  topicNames,
  transactionalId,
  type KafkaAdmin,
} from '../kafka/topics';
import { loadStreamSchemas } from '../normalize';
import { annotateSchemas } from '../normalize/policy';
import { silentLogger } from '../logger';
import { STREAM_DEFS } from '../streams/definitions';
import { textWithoutCredentials, withoutCredentials } from '../urls';
import { listingPages } from '../capture/sources';
import {
  completenessLine,
  completenessOf,
  isComplete,
  partsOverCap,
  reportedCount,
} from '../capture/completeness';
import { restoreState, type StateStore } from '../kafka/state-store';
import { loadFromFlags, loggerFor, print, type CommonFlags } from './context';

/** How long one probe may take before its row says it got no answer. */
const PROBE_TIMEOUT_MS = 6_000;
/** How long one stream's completeness may take (a walk of conversations' search pages, at most). */
const COMPLETENESS_TIMEOUT_MS = 600_000;

type Status = 'ok' | 'warn' | 'fail';

interface Row {
  check: string;
  status: Status;
  detail: string;
  ms: number;
}

/** A probe's outcome: a detail (ok), or a warning. Failures are thrown. */
type Outcome = string | { warn: string };

export interface CheckFlags extends CommonFlags {
  json?: boolean;
  /** Also measure completeness: per stream, Intercom's count against the state's, and parts past the cap. */
  completeness?: boolean;
}

/**
 * `check`: Intercom (token, workspace, one page of each enabled stream: the permission), Kafka (cluster,
 * topics, the replication factor against the brokers, the transactional id), the registry (reachable,
 * schema compatibility). The three run in parallel, each probe with a short timeout, and each row is
 * printed as it finishes (`--json`: one JSON object per line). A dependency that does not answer is one
 * row, not one per stream. Library logs stay out of the output unless --log-level asks for them.
 * Exits 0 when nothing failed (warnings allowed), 2 otherwise.
 */
export async function checkCommand(flags: CheckFlags): Promise<number> {
  const config = loadFromFlags(flags);
  const logger = flags.logLevel ? loggerFor(config) : silentLogger();
  const rows: Row[] = [];
  const emit = (row: Row) => {
    rows.push(row);
    print(flags.json ? JSON.stringify(row) : formatRow(row));
  };
  const probe = (check: string, fn: () => Promise<Outcome>) => runProbe(check, fn, emit);

  const workspace = deferred<string | undefined>();
  await Promise.all([
    intercomProbes(config, logger, probe).then(workspace.resolve, () => workspace.resolve(undefined)),
    kafkaProbes(config, logger, probe, workspace.promise),
    registryProbes(config, probe),
  ]);
  if (flags.completeness) {
    const slow = (check: string, fn: () => Promise<Outcome>) =>
      runProbe(check, fn, emit, COMPLETENESS_TIMEOUT_MS);
    await completenessProbes(config, logger, slow);
  }
  const failed = rows.filter((r) => r.status === 'fail').length;
  const warnings = rows.filter((r) => r.status === 'warn').length;
  if (flags.json) print(JSON.stringify({ summary: { checks: rows.length, failed, warnings } }));
  else
    print(
      failed
        ? `${failed} check(s) failed${warnings ? `, ${warnings} warning(s)` : ''}`
        : `all checks passed${warnings ? ` (${warnings} warning(s))` : ''}`,
    );
  return failed ? 2 : 0;
}

type Probe = (check: string, fn: () => Promise<Outcome>) => Promise<boolean>;

/** Runs one probe under the timeout and emits its row; resolves whether it did not fail. */
async function runProbe(
  check: string,
  fn: () => Promise<Outcome>,
  emit: (row: Row) => void,
  timeoutMs = PROBE_TIMEOUT_MS,
): Promise<boolean> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    const outcome = await Promise.race([fn(), timeout]);
    const row: Row =
      typeof outcome === 'string'
        ? { check, status: 'ok', detail: outcome, ms: Date.now() - started }
        : { check, status: 'warn', detail: outcome.warn, ms: Date.now() - started };
    emit(row);
    return true;
  } catch (error) {
    emit({
      check,
      status: 'fail',
      detail: textWithoutCredentials(firstLine(error)),
      ms: Date.now() - started,
    });
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** Token and workspace, then one page of each stream; resolves the workspace id (undefined: unknown). */
async function intercomProbes(config: Config, logger: ReturnType<typeof silentLogger>, probe: Probe) {
  let client: IntercomClient | undefined;
  // A missing token is a failed row like any other, not a refusal to check the rest.
  const made = await probe('intercom: token', async () => {
    client = createIntercomClient(config, logger);
    return 'set';
  });
  if (!made || !client) return undefined;
  const c = client;
  let workspace: string | undefined;
  const me = await probe('intercom: token and workspace', async () => {
    const answer = await c.me();
    workspace = answer.app.id_code;
    return `workspace ${answer.app.id_code}${answer.app.region ? ` (${answer.app.region})` : ''}`;
  });
  // Without a working token every stream would fail the same way: one row says it.
  if (!me) return config.connector.workspaceId || undefined;
  await Promise.all(
    config.streams.enabled
      .filter((s) => STREAM_DEFS[s].strategy !== 'children')
      .map((stream) =>
        probe(`intercom: read ${stream}`, async () => {
          for await (const page of listingPages(c, STREAM_DEFS[stream].listings[0]))
            return `${page.items.length} on the first page`;
          return 'empty';
        }),
      ),
  );
  return config.connector.workspaceId || workspace;
}

/** The cluster, then (in parallel) the topics, the replication factor and the transactional id. */
async function kafkaProbes(
  config: Config,
  logger: ReturnType<typeof silentLogger>,
  probe: Probe,
  workspace: Promise<string | undefined>,
): Promise<void> {
  const kafka = createKafka(config.kafka, logger, {
    connectionTimeout: 3_000,
    requestTimeout: 5_000,
    retry: { retries: 1, initialRetryTime: 200, maxRetryTime: 1_000 },
  });
  const admin = kafka.admin();
  const topics = topicNames(config.kafka.topicPrefix);
  const wanted = [
    ...config.streams.enabled.map((s) => topics.events(s)),
    topics.state,
    topics.dlq,
    ...announcementTopicSpecs(topics, -1).map((t) => t.topic), // heartbeats, notifications, signals
  ];
  let brokers = 0;
  try {
    const up = await probe('kafka: cluster', async () => {
      await admin.connect();
      const c = await admin.describeCluster();
      brokers = c.brokers.length;
      return `${c.brokers.length} broker(s), controller ${c.controller}`;
    });
    if (!up) return;
    let missing: string[] = [];
    await probe('kafka: topics', async () => {
      const existing = new Set(await admin.listTopics());
      missing = wanted.filter((t) => !existing.has(t));
      return missing.length
        ? `${missing.length} missing (created on start): ${missing.join(', ')}`
        : `all ${wanted.length} present`;
    });
    await Promise.all([
      probe('kafka: replication factor', () => replicationOutcome(admin, config, brokers, missing.length)),
      probe('kafka: transactional id', async () => {
        // Its own id beside the real one (as backfill's): probing the real one would fence the running
        // instance. Prefixed ACLs on `<connector>-` cover both.
        const ws = (await workspace) ?? '<workspace>';
        const id = transactionalId(config.connector.name, ws, 'check');
        // Registered as `run` registers its own, with the client KAFKA_CLIENT names.
        const publisher = createPublisher(config.kafka, kafka, id);
        try {
          await publisher.connect();
        } finally {
          await publisher.disconnect();
        }
        return `transactions allowed (probed ${id}; the connector uses ${transactionalId(config.connector.name, ws)})`;
      }),
    ]);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * Completeness (README, "Operations"), one row per stream polled on its own: the count Intercom reports
 * against the objects the committed state holds (restored from the state topic), and for conversations
 * every one whose parts are over the API's 500-part cap (from their search's statistics). A gap is a
 * warning (the row names it), not a failure.
 */
async function completenessProbes(
  config: Config,
  logger: ReturnType<typeof silentLogger>,
  probe: Probe,
): Promise<void> {
  let client: IntercomClient | undefined;
  let store: StateStore | undefined;
  const ready = await probe('completeness: state', async () => {
    client = createIntercomClient(config, logger);
    const kafka = createKafka(config.kafka, logger);
    store = await restoreState(kafka, topicNames(config.kafka.topicPrefix).state, config.connector.name);
    return `${store.size()} object(s) in the state`;
  });
  if (!ready || !client || !store) return;
  const [c, s] = [client, store];
  for (const stream of config.streams.enabled.filter((name) => STREAM_DEFS[name].parent === undefined)) {
    await probe(`completeness: ${stream}`, async () => {
      const def = STREAM_DEFS[stream];
      const reported = await reportedCount(c, def);
      let held = 0;
      for (const _ of s.ids(stream)) held++;
      const gaps =
        def.children && config.streams.enabled.includes(def.children.stream)
          ? await partsOverCap(c, def)
          : [];
      const report = completenessOf(stream, reported, held, gaps);
      const line = completenessLine(report);
      return isComplete(report) ? line : { warn: line };
    });
  }
}

/** Whether topics created with the configured factor fit the cluster (-1: the brokers' own default). */
async function replicationOutcome(
  admin: KafkaAdmin,
  config: Config,
  brokers: number,
  missing: number,
): Promise<Outcome> {
  let factor = config.kafka.replicationFactor;
  let what = String(factor);
  if (factor === -1) {
    factor = await defaultReplicationFactor(admin);
    what = `-1 (the broker's default.replication.factor, ${factor})`;
  }
  const problem = replicationProblem(factor, brokers);
  if (!problem) return `${what} fits ${brokers} broker(s)`;
  const text = `${problem}${config.kafka.replicationFactor === -1 ? " (or lower the brokers' default.replication.factor)" : ''}`;
  // Existing topics keep their factor: only topics still to create would be refused.
  if (missing) throw new Error(`${text}; creating the ${missing} missing topic(s) would fail`);
  return { warn: `${text}; all topics exist, so nothing is created now` };
}

/** Reachable (one row when it is not), then the compatibility of each stream's value schema. */
async function registryProbes(config: Config, probe: Probe): Promise<void> {
  const registry = createRegistry(config.schemaRegistry, undefined, { timeoutMs: PROBE_TIMEOUT_MS - 1_000 });
  try {
    const up = await probe('registry: reachable', async () => {
      const n = await registry.subjectCount();
      return `${withoutCredentials(config.schemaRegistry.url)}: ${n} subject(s)`;
    });
    if (!up) return;
    const topics = topicNames(config.kafka.topicPrefix);
    await Promise.all(
      config.streams.enabled.map((stream) => {
        const subject = subjectsOf(topics.events(stream)).value;
        return probe(`registry: ${subject}`, async () => {
          const problem = await registry.incompatibility(
            subject,
            annotateSchemas(loadStreamSchemas(stream), config.fieldPolicy.streams[stream]).value,
          );
          if (problem) throw new Error(`not BACKWARD compatible: ${problem}`);
          return 'compatible';
        });
      }),
    );
  } finally {
    registry.close();
  }
}

const WIDTH = 48;

function formatRow(r: Row): string {
  const mark = r.status === 'ok' ? 'ok  ' : r.status === 'warn' ? 'WARN' : 'FAIL';
  return `${mark}  ${r.check.padEnd(WIDTH)}  ${r.detail}`;
}

function firstLine(error: unknown): string {
  return ((error as Error)?.message ?? String(error)).split('\n')[0];
}

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

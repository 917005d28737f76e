/**
 * Kafka Connect for the tests that feed our topics to other people's tools: a distributed worker
 * (connect-runtime from Maven Central) on a free loopback port, with two plugins fetched with Maven into
 * the stack folder and kept: Debezium's JDBC sink connector (with Debezium's transforms) and Apicurio's
 * Avro converter, which reads the Confluent wire format. See the README, "Into a database with Kafka
 * Connect".
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { sleep } from '../sleep';
import { mavenLib, type Gav } from './artifacts';
import { StackError } from './errors';
import { requireJava } from './java';
import { freePort } from './local';
import { stackDir } from './paths';

type Say = (line: string) => void;

export const CONNECT_VERSION = '4.1.1';
export const DEBEZIUM_JDBC_VERSION = '3.4.3.Final';
/** debezium-connector-jdbc 3.4.3.Final depends on debezium-sink 3.4.3.Final, which Maven Central does
 * not serve (checked when this was written); the newest 3.4 release it serves stands in. */
export const DEBEZIUM_SINK_VERSION = '3.4.1.Final';
export const APICURIO_CONVERTER_VERSION = '2.6.13.Final';

/** The Jackson of connect-runtime and of debezium-connector-jdbc. */
const JACKSON_VERSION = '2.19.0';
const JACKSON_MODULES = ['jackson-module-blackbird', 'jackson-module-jakarta-xmlbind-annotations'];

/** The worker's class path and the plugin folders (plugin.path). */
export interface ConnectJars {
  lib: string;
  plugins: string[];
}

/** Fetches (first time) the runtime and the two plugins into the stack folder. */
export async function connectJars(
  say: Say = () => undefined,
  root: string = stackDir(),
): Promise<ConnectJars> {
  const kafka = (a: string): Gav => ['org.apache.kafka', a, CONNECT_VERSION];
  const provided = ['org.apache.kafka', 'org.slf4j'];
  const [lib, jdbc, apicurio] = await Promise.all([
    mavenLib(
      root,
      `connect-${CONNECT_VERSION}`,
      `Kafka Connect ${CONNECT_VERSION}`,
      [
        kafka('connect-runtime'),
        kafka('connect-transforms'),
        kafka('connect-json'),
        kafka('connect-file'),
        ['org.slf4j', 'slf4j-api', '1.7.36'],
        ['org.apache.logging.log4j', 'log4j-slf4j-impl', '2.24.3'],
        ['org.apache.logging.log4j', 'log4j-core', '2.24.3'],
      ],
      say,
    ),
    mavenLib(
      root,
      path.join('connect-plugins', `debezium-jdbc-${DEBEZIUM_JDBC_VERSION}`),
      `Debezium's JDBC sink connector ${DEBEZIUM_JDBC_VERSION}`,
      [
        ['io.debezium', 'debezium-connector-jdbc', DEBEZIUM_JDBC_VERSION],
        // The runtime's class path announces these Jackson modules (META-INF/services); Hibernate loads
        // every announced module through the plugin's own Jackson, so the plugin needs its own copies.
        ...JACKSON_MODULES.map((a): Gav => ['com.fasterxml.jackson.module', a, JACKSON_VERSION]),
        ['com.fasterxml.jackson.datatype', 'jackson-datatype-jdk8', JACKSON_VERSION],
      ],
      say,
      { managed: [['io.debezium', 'debezium-sink', DEBEZIUM_SINK_VERSION]], excludeGroupIds: provided },
    ),
    mavenLib(
      root,
      path.join('connect-plugins', `apicurio-converter-${APICURIO_CONVERTER_VERSION}`),
      `Apicurio's converter ${APICURIO_CONVERTER_VERSION}`,
      [['io.apicurio', 'apicurio-registry-utils-converter', APICURIO_CONVERTER_VERSION]],
      say,
      { excludeGroupIds: provided },
    ),
  ]);
  // plugin.path lists folders whose subfolders hold a plugin's jars (here `lib`).
  return { lib, plugins: [path.dirname(jdbc), path.dirname(apicurio)] };
}

/**
 * The converter settings (prefix `key.converter` or `value.converter`) that read our topics: Apicurio's
 * AvroConverter in its Confluent-compatible mode (`as-confluent`: magic byte 0 and a 4-byte id), the id
 * being the registry's content id, which is what its Confluent-compatible API hands out. The converter
 * looks schemas up through Apicurio's own API (`/apis/registry/v2`) of the same registry: it has no
 * client of the Confluent API. Never registers schemas.
 */
export function apicurioConverter(prefix: string, registryUrl: string): Record<string, string> {
  const base = registryUrl.replace(/\/apis\/ccompat\/v\d+\/?$/, '');
  return {
    [prefix]: 'io.apicurio.registry.utils.converter.AvroConverter',
    [`${prefix}.apicurio.registry.url`]: `${base}/apis/registry/v2`,
    [`${prefix}.apicurio.registry.as-confluent`]: 'true',
    [`${prefix}.apicurio.registry.use-id`]: 'contentId',
    [`${prefix}.apicurio.registry.headers.enabled`]: 'false',
    [`${prefix}.apicurio.registry.auto-register`]: 'false',
  };
}

/** A running worker of {@link startConnect}. */
export interface ConnectHandle {
  /** The REST API, e.g. http://127.0.0.1:8083 */
  url: string;
  log: string;
  /** Creates or replaces a connector and waits until it and its tasks run (a StackError with the
   * task's trace when one fails). */
  putConnector(name: string, config: Record<string, string>): Promise<void>;
  deleteConnector(name: string): Promise<void>;
  /** The connector's status as the REST API gives it. */
  status(name: string): Promise<ConnectorStatus>;
  stop(): Promise<void>;
}

export interface ConnectorStatus {
  connector: { state: string; trace?: string };
  tasks: { id: number; state: string; trace?: string }[];
}

/**
 * Starts a distributed Connect worker (its own group and internal topics, replication 1) against
 * `brokers`, as a child of this process, and polls its REST API until it answers. Logs go to a file in
 * a temporary folder that `stop` deletes.
 */
export async function startConnect(options: {
  brokers: string[];
  say?: Say;
  root?: string;
  timeoutMs?: number;
}): Promise<ConnectHandle> {
  const say = options.say ?? (() => undefined);
  const java = requireJava(17, `Kafka Connect ${CONNECT_VERSION}`).bin;
  const jars = await connectJars(say, options.root);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'intercom-cdc-connect-'));
  const port = await freePort();
  const id = randomUUID().slice(0, 8);
  const props = path.join(dir, 'worker.properties');
  writeFileSync(
    props,
    [
      `bootstrap.servers=${options.brokers.join(',')}`,
      `group.id=connect-${id}`,
      `config.storage.topic=connect-${id}-configs`,
      `offset.storage.topic=connect-${id}-offsets`,
      `status.storage.topic=connect-${id}-status`,
      'config.storage.replication.factor=1',
      'offset.storage.replication.factor=1',
      'status.storage.replication.factor=1',
      'offset.storage.partitions=1',
      'status.storage.partitions=1',
      'key.converter=org.apache.kafka.connect.json.JsonConverter',
      'value.converter=org.apache.kafka.connect.json.JsonConverter',
      'offset.flush.interval.ms=1000',
      `listeners=http://127.0.0.1:${port}`,
      'rest.advertised.host.name=127.0.0.1',
      `rest.advertised.port=${port}`,
      `plugin.path=${jars.plugins.join(',')}`,
      'plugin.discovery=hybrid_warn',
      '',
    ].join('\n'),
  );
  const log = path.join(dir, 'connect.log');
  const log4j = path.join(dir, 'log4j2.properties');
  writeFileSync(
    log4j,
    [
      'rootLogger.level=INFO',
      'rootLogger.appenderRef.file.ref=file',
      'appender.file.type=File',
      'appender.file.name=file',
      `appender.file.fileName=${log}`,
      'appender.file.layout.type=PatternLayout',
      'appender.file.layout.pattern=[%d] %p %m (%c)%n',
      'logger.reflections.name=org.reflections',
      'logger.reflections.level=ERROR',
      '',
    ].join('\n'),
  );
  const out = openSync(path.join(dir, 'connect.out'), 'a');
  const child: ChildProcess = spawn(
    java,
    [
      '-Xms256m',
      '-Xmx768m',
      `-Dlog4j2.configurationFile=${log4j}`,
      '-cp',
      `${jars.lib}/*`,
      'org.apache.kafka.connect.cli.ConnectDistributed',
      props,
    ],
    { cwd: dir, stdio: ['ignore', out, out] },
  );
  let exited = false;
  child.on('exit', () => (exited = true));
  const url = `http://127.0.0.1:${port}`;
  const tail = (): string => {
    const file = existsSync(log) ? log : path.join(dir, 'connect.out');
    return readFileSync(file, 'utf8').split('\n').slice(-30).join('\n');
  };
  const stop = async (): Promise<void> => {
    if (!exited) {
      child.kill('SIGTERM');
      const deadline = Date.now() + 20_000;
      while (!exited && Date.now() < deadline) await sleep(50);
      if (!exited) child.kill('SIGKILL');
    }
    // CONNECT_KEEP_LOGS=1 keeps the worker's folder (its log) for a look after a failed test.
    if (process.env.CONNECT_KEEP_LOGS) say(`connect: log kept in ${log}`);
    else rmSync(dir, { recursive: true, force: true });
  };
  say(`connect: starting Kafka Connect ${CONNECT_VERSION} on ${url}`);
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  for (;;) {
    const ok = await fetch(`${url}/connectors`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (exited || Date.now() > deadline) {
      const lines = tail();
      await stop();
      throw new StackError(`Kafka Connect did not start on ${url}:\n${lines}`);
    }
    await sleep(250);
  }

  const status = async (name: string): Promise<ConnectorStatus> => {
    const res = await fetch(`${url}/connectors/${encodeURIComponent(name)}/status`);
    if (!res.ok) throw new StackError(`GET status of ${name}: ${res.status} ${await res.text()}`);
    return (await res.json()) as ConnectorStatus;
  };
  return {
    url,
    log,
    status,
    async putConnector(name, config) {
      const res = await fetch(`${url}/connectors/${encodeURIComponent(name)}/config`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(config),
      });
      if (!res.ok) throw new StackError(`PUT connector ${name}: ${res.status} ${await res.text()}`);
      const until = Date.now() + 60_000;
      for (;;) {
        const s = await status(name).catch(() => undefined);
        const failed = s && [s.connector, ...s.tasks].find((t) => t.state === 'FAILED');
        if (failed) throw new StackError(`connector ${name} failed:\n${failed.trace ?? ''}`);
        if (
          s &&
          s.connector.state === 'RUNNING' &&
          s.tasks.length > 0 &&
          s.tasks.every((t) => t.state === 'RUNNING')
        )
          return;
        if (Date.now() > until) throw new StackError(`connector ${name} did not run: ${JSON.stringify(s)}`);
        await sleep(200);
      }
    },
    async deleteConnector(name) {
      await fetch(`${url}/connectors/${encodeURIComponent(name)}`, { method: 'DELETE' });
    },
    stop,
  };
}

/**
 * How a stream's record lands in a table through Debezium's unwrap transform, a ReplaceField transform
 * and Kafka's Flatten (delimiter `_`): `excluded` are the top-level fields that hold, at any depth, what
 * neither Flatten nor a JDBC sink takes (a list, a map, a union of several types such as custom
 * attribute values), which ReplaceField drops before Flatten (`raw` keeps them; unwrap drops `raw`);
 * `columns` are the other fields, flattened (a nested record's fields as `<field>_<subfield>`).
 */
export function flatProjection(record: object): { columns: string[]; excluded: string[] } {
  const named = new Map<string, Json>();
  /** The flattened columns of a field's type, or undefined when it cannot be flattened. */
  const flat = (type: unknown, name: string): string[] | undefined => {
    if (Array.isArray(type)) {
      const branches = type.filter((t) => t !== 'null');
      return branches.length === 1 ? flat(branches[0], name) : undefined;
    }
    const resolved = typeof type === 'string' && named.has(type) ? named.get(type) : type;
    const kind = typeof resolved === 'string' ? resolved : String((resolved as Json).type);
    if (kind === 'array' || kind === 'map') return undefined;
    if (kind !== 'record') return [name];
    const schema = resolved as Json;
    named.set(String(schema.name), schema);
    const columns: string[] = [];
    for (const field of schema.fields as Json[]) {
      const sub = flat(field.type, name === '' ? String(field.name) : `${name}_${String(field.name)}`);
      if (sub === undefined) return undefined;
      columns.push(...sub);
    }
    return columns;
  };
  const columns: string[] = [];
  const excluded: string[] = [];
  named.set(String((record as Json).name), record as Json);
  for (const field of (record as Json).fields as Json[]) {
    const sub = flat(field.type, String(field.name));
    if (sub === undefined) excluded.push(String(field.name));
    else columns.push(...sub);
  }
  return { columns, excluded };
}

type Json = Record<string, unknown>;

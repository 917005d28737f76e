/** The local JVM stack: single-node KRaft Kafka and Apicurio Registry on free loopback ports. */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { apicurioHome, kafkaLib, KAFKA_VERSION } from './artifacts';
import { sleep } from '../sleep';
import { StackError } from './errors';
import { requireJava, findJavaRuntimes } from './java';
import { stackDir } from './paths';
import { kafkaAnswers } from '../kafka/cluster';
import { waitUntilReady } from './probe';
import type { StackInfo } from './types';

/** What a running local stack leaves in `<stackDir>/run/state.json` so that other processes find it. */
interface LocalState extends StackInfo {
  pids: number[];
  runDir: string;
}

function statePath(root: string): string {
  return path.join(root, 'run', 'state.json');
}

/** A TCP port free on the loopback interface now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Apicurio 3.3 needs Java 21+; on a machine with only Java 17 the 3.0 line serves the same API. */
function chooseRegistry(): { version: string; java: string } {
  const newest = findJavaRuntimes()[0];
  const version = process.env.STACK_APICURIO_VERSION ?? (newest && newest.major >= 21 ? '3.3.3' : '3.0.9');
  const needs = version.startsWith('3.0') || version.startsWith('2.') ? 17 : 21;
  return { version, java: requireJava(needs, `Apicurio Registry ${version}`).bin };
}

function registryJar(home: string): string {
  if (existsSync(path.join(home, 'quarkus-run.jar'))) return path.join(home, 'quarkus-run.jar');
  const runner = readdirSync(home).find((f) => f.endsWith('-runner.jar'));
  if (!runner)
    throw new StackError(
      `no quarkus-run.jar or *-runner.jar in ${home}; delete the folder to fetch it again`,
    );
  return path.join(home, runner);
}

function kafkaProperties(runDir: string, port: number, controllerPort: number): string {
  const lines = [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${path.join(runDir, 'kafka-data')}`,
    'num.partitions=1',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=4',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=4',
    'group.initial.rebalance.delay.ms=0',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'auto.create.topics.enable=false',
  ];
  return `${lines.join('\n')}\n`;
}

function log4jProperties(logFile: string): string {
  return [
    'log4j.rootLogger=WARN, file',
    'log4j.appender.file=org.apache.log4j.FileAppender',
    `log4j.appender.file.File=${logFile}`,
    'log4j.appender.file.layout=org.apache.log4j.PatternLayout',
    'log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n',
    '',
  ].join('\n');
}

function runJava(
  java: string,
  args: string[],
  logFile: string,
  env: NodeJS.ProcessEnv = {},
  detached = true,
): number {
  const out = openSync(logFile, 'a');
  const child = spawn(java, args, {
    detached,
    stdio: ['ignore', out, out],
    env: { ...process.env, ...env },
  });
  child.unref();
  if (child.pid === undefined) throw new StackError(`could not start ${java}`);
  return child.pid;
}

function runToEnd(java: string, args: string[], logFile: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const out = openSync(logFile, 'a');
    const child = spawn(java, args, { stdio: ['ignore', out, out] });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new StackError(`${args.join(' ')} exited ${code}; see ${logFile}`)),
    );
  });
}

/** The local stack described by state.json, if its processes are still alive. */
export function findLocalStack(root: string): LocalState | undefined {
  const file = statePath(root);
  if (!existsSync(file)) return undefined;
  const state = JSON.parse(readFileSync(file, 'utf8')) as LocalState;
  return state.pids.every(alive) ? state : undefined;
}

/**
 * Fetches (first time) and starts a single-node KRaft Kafka and Apicurio Registry on free loopback
 * ports, as detached processes that outlive this one; polls until both answer. `stopLocalStack` ends them.
 */
export async function startLocalStack(root: string, say: (line: string) => void): Promise<StackInfo> {
  await stopLocalStack(root);
  const kafkaJava = requireJava(17, `Apache Kafka ${KAFKA_VERSION}`).bin;
  const registry = chooseRegistry();
  const [lib, regHome] = await Promise.all([kafkaLib(root, say), apicurioHome(root, registry.version, say)]);

  const runDir = path.join(root, 'run');
  mkdirSync(runDir, { recursive: true });
  const [port, controllerPort, registryPort, managementPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const kafka = await prepareKafka(kafkaJava, lib, runDir, port, controllerPort);
  const kafkaLog = kafka.log;

  const registryLog = path.join(runDir, 'registry.log');
  const pids = [
    runJava(kafkaJava, ['-Xms256m', '-Xmx1g', ...kafka.args], kafkaLog),
    runJava(registry.java, ['-Xmx512m', '-jar', registryJar(regHome)], registryLog, {
      QUARKUS_HTTP_PORT: String(registryPort),
      QUARKUS_HTTP_HOST: '127.0.0.1',
      QUARKUS_MANAGEMENT_PORT: String(managementPort),
      QUARKUS_MANAGEMENT_HOST: '127.0.0.1',
      QUARKUS_LOG_LEVEL: 'WARN',
    }),
  ];
  const info: LocalState = {
    source: 'local',
    brokers: [`127.0.0.1:${port}`],
    registryUrl: `http://127.0.0.1:${registryPort}/apis/ccompat/v7`,
    description: `local JVM stack: Kafka ${KAFKA_VERSION} (KRaft) on 127.0.0.1:${port}, Apicurio Registry ${registry.version} on 127.0.0.1:${registryPort}`,
    pids,
    runDir,
  };
  writeFileSync(statePath(root), JSON.stringify(info, null, 2));
  try {
    await waitUntilReady(info, { isAlive: () => pids.every(alive), logs: [kafkaLog, registryLog] });
  } catch (error) {
    await stopLocalStack(root);
    throw error;
  }
  return info;
}

/**
 * Writes the config of a single-node KRaft broker into `runDir` (data in `runDir/kafka-data`) and
 * formats its storage unless it already holds a formatted log (a restart keeps the data); returns the
 * java arguments after the heap options, and the log file.
 */
async function prepareKafka(
  java: string,
  lib: string,
  runDir: string,
  port: number,
  controllerPort: number,
): Promise<{ args: string[]; log: string }> {
  const props = path.join(runDir, 'server.properties');
  writeFileSync(props, kafkaProperties(runDir, port, controllerPort));
  const log4j = path.join(runDir, 'log4j.properties');
  const kafkaLog = path.join(runDir, 'kafka.log');
  writeFileSync(log4j, log4jProperties(kafkaLog));
  const cp = ['-cp', `${lib}/*`, `-Dlog4j.configuration=file:${log4j}`];
  if (!existsSync(path.join(runDir, 'kafka-data', 'meta.properties'))) {
    await runToEnd(
      java,
      [...cp, 'kafka.tools.StorageTool', 'format', '-t', clusterId(), '-c', props, '-g'],
      kafkaLog,
    );
  }
  return { args: [...cp, 'kafka.Kafka', props], log: kafkaLog };
}

/** A broker started by {@link startBroker}. */
export interface BrokerHandle {
  brokers: string[];
  port: number;
  controllerPort: number;
  runDir: string;
  pid: number;
  log: string;
}

/**
 * Starts one more single-node KRaft broker, apart from the stack (tests that restart a broker): config,
 * data and log in `runDir`, on the given ports (or free ones), from the cached jars. Started again with
 * the same `runDir` and ports, it keeps its data. A child of this process (not detached); polls until
 * it answers. `stopBroker` ends it.
 */
export async function startBroker(options: {
  runDir: string;
  port?: number;
  controllerPort?: number;
  root?: string;
  say?: (line: string) => void;
  timeoutMs?: number;
}): Promise<BrokerHandle> {
  const java = requireJava(17, `Apache Kafka ${KAFKA_VERSION}`).bin;
  const lib = await kafkaLib(options.root ?? stackDir(), options.say ?? (() => undefined));
  mkdirSync(options.runDir, { recursive: true });
  const port = options.port ?? (await freePort());
  const controllerPort = options.controllerPort ?? (await freePort());
  const kafka = await prepareKafka(java, lib, options.runDir, port, controllerPort);
  const pid = runJava(java, ['-Xms128m', '-Xmx512m', ...kafka.args], kafka.log, {}, false);
  const brokers = [`127.0.0.1:${port}`];
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  while (!(await kafkaAnswers(brokers, 2000))) {
    if (!alive(pid) || Date.now() > deadline) {
      signal(pid, 'SIGKILL');
      throw new StackError(
        `the broker in ${options.runDir} did not start; see ${kafka.log}:\n${readFileSync(kafka.log, 'utf8').split('\n').slice(-20).join('\n')}`,
      );
    }
    await sleep(200);
  }
  return { brokers, port, controllerPort, runDir: options.runDir, pid, log: kafka.log };
}

/** Stops a broker of {@link startBroker} with `sig` (SIGKILL: a crash), waits until it is gone. */
export async function stopBroker(
  pid: number,
  sig: NodeJS.Signals = 'SIGTERM',
  timeoutMs = 30_000,
): Promise<void> {
  signal(pid, sig);
  await waitUntilGone([pid], timeoutMs);
  if (alive(pid)) {
    signal(pid, 'SIGKILL');
    await waitUntilGone([pid], 5_000);
  }
}

/**
 * A KRaft cluster id: 16 random bytes in URL-safe base64 without padding, never starting with `-`
 * (like Kafka's own Uuid.randomUuid): the storage tool would read such an id as an option and fail,
 * about once in 64 starts.
 */
export function clusterId(): string {
  for (;;) {
    const id = Buffer.from(randomUUID().replace(/-/g, ''), 'hex').toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** Ends the processes of the local stack (TERM, then KILL) and deletes its data. Idempotent. */
export async function stopLocalStack(root: string): Promise<boolean> {
  const file = statePath(root);
  if (!existsSync(file)) return false;
  const state = JSON.parse(readFileSync(file, 'utf8')) as LocalState;
  for (const pid of state.pids) signal(pid, 'SIGTERM');
  await waitUntilGone(state.pids, 15_000);
  for (const pid of state.pids.filter(alive)) signal(pid, 'SIGKILL');
  await waitUntilGone(state.pids, 5_000);
  rmSync(path.join(root, 'run'), { recursive: true, force: true });
  return true;
}

/** Polls until every process has exited, or the time is up. */
async function waitUntilGone(pids: number[], ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (pids.some(alive) && Date.now() < deadline) await sleep(50);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig); // the process group: the JVM and anything it spawned
  } catch {
    try {
      process.kill(pid, sig);
    } catch {
      /* already gone */
    }
  }
}

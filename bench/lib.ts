/**
 * What the benchmarks share: arguments, the machine and commit, recording into RESULTS.md, the connector's
 * settings.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../src/config';

/** Intercom's rate limit: 10,000 requests per minute per app, enforced in 10-second windows. */
export const INTERCOM_PER_10S = Math.floor(10_000 / 6);

/** The machine a figure was measured on, printed with every result. */
export function machine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
  return `${os.cpus().length} cores (${cpu}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

/**
 * The commit the code measured comes from (`git rev-parse --short HEAD`), with `+changes` when src/,
 * bench/ (but RESULTS.md), schemas/ or package.json differ from it; undefined outside a git checkout.
 */
export function commit(): string | undefined {
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: path.join(__dirname, '..'),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  try {
    const changed = git(
      'status',
      '--porcelain',
      '--',
      'src',
      'bench',
      'schemas',
      'package.json',
      ':!bench/RESULTS.md',
    );
    return `${git('rev-parse', '--short', 'HEAD')}${changed ? '+changes' : ''}`;
  } catch {
    return undefined;
  }
}

/**
 * Replaces this benchmark's section of bench/RESULTS.md (between its markers) with `body`. The
 * environment variable BENCH_NOTE, when set, is added to the section (e.g. that the machine was shared).
 */
export function record(name: string, body: string): void {
  const file = path.join(__dirname, 'RESULTS.md');
  const begin = `<!-- bench:${name}:begin -->`;
  const end = `<!-- bench:${name}:end -->`;
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n';
  const note = process.env.BENCH_NOTE ? `\n\nNote: ${process.env.BENCH_NOTE.trim()}` : '';
  body = `${body.trim()}${note}`;
  const at = commit();
  const section = `${begin}\n${body}\n\n_${new Date().toISOString().slice(0, 10)}, ${machine()}${at ? `, commit ${at}` : ''}_\n${end}`;
  const start = text.indexOf(begin);
  const next =
    start >= 0
      ? `${text.slice(0, start)}${section}${text.slice(text.indexOf(end) + end.length)}`
      : `${text.trimEnd()}\n\n${section}\n`;
  writeFileSync(file, next);
  console.log(`\n${body.trim()}\n(${machine()}; recorded in bench/RESULTS.md)`);
}

/** `--name value` from the command line as a number, or `fallback`. */
export function numberArg(name: string, fallback: number): number {
  const text = stringArg(name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value)) throw new Error(`--${name} needs a number`);
  return value;
}

/** `--name value` from the command line, or undefined. */
export function stringArg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
}

/** Whether `--name` is on the command line. */
export function flag(name: string): boolean {
  return process.argv.includes(`--${name}`);
}

/** The p-th percentile (0–100) of `values` by nearest rank; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1];
}

/**
 * Samples this process's memory every `everyMs` until stopped, and keeps the sample of highest RSS: what
 * the peak was made of (V8's heap in use and reserved, memory outside it, array buffers: Kafka batches,
 * HTTP bodies), in MB. Worker threads' heaps are in the RSS, not in these figures.
 */
export function memorySampler(everyMs = 250): { stop(): string } {
  let peak = process.memoryUsage();
  const timer = setInterval(() => {
    const now = process.memoryUsage();
    if (now.rss > peak.rss) peak = now;
  }, everyMs);
  timer.unref();
  const mb = (n: number) => Math.round(n / 2 ** 20);
  return {
    stop: () => {
      clearInterval(timer);
      return `${mb(peak.rss)} MB sampled: heap ${mb(peak.heapUsed)} MB used of ${mb(peak.heapTotal)} MB, external ${mb(peak.external)} MB, of which array buffers ${mb(peak.arrayBuffers)} MB`;
    },
  };
}

/** Peak resident set size of this process so far, in MB. */
export function peakRssMb(): number {
  return Math.round((process.resourceUsage().maxRSS * 1024) / 2 ** 20);
}

/**
 * The configuration of a benchmark's connector: the resolved stack, the simulator, a fresh topic prefix
 * and connector name, one-replica topics with 3 partitions, no HTTP port, errors only; `env` adds to it.
 */
/**
 * CPU time (user + system, µs) of this process's main thread alone, from Linux's
 * `/proc/self/task/<pid>/stat` (clock ticks of 10 ms): the thread that talks to Intercom and Kafka, as
 * opposed to process.cpuUsage, which counts the worker threads too. Undefined where there is no /proc.
 */
export function mainThreadCpuUs(): number | undefined {
  return processCpuUs(`/proc/self/task/${process.pid}/stat`);
}

/** CPU time (user + system, µs) in a Linux `stat` file (stat(5)) of a process or thread, or undefined. */
export function processCpuUs(statFile: string): number | undefined {
  try {
    const stat = readFileSync(statFile, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat(5), in ticks of 10 ms; fields[0] here is field 3.
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return undefined;
  }
}

export function benchConfig(
  stack: { brokers: readonly string[]; registryUrl: string },
  simUrl: string,
  env: Record<string, string>,
): Config {
  const id = Date.now().toString(36);
  return loadConfig({
    env: {
      KAFKA_BROKERS: stack.brokers.join(','),
      SCHEMA_REGISTRY_URL: stack.registryUrl,
      INTERCOM_BASE_URL: simUrl,
      INTERCOM_TOKEN: 'bench',
      TOPIC_PREFIX: `bench-${id}`,
      CONNECTOR_NAME: `bench-${id}`,
      KAFKA_REPLICATION_FACTOR: '1',
      KAFKA_TOPIC_PARTITIONS: '3',
      HTTP_PORT: '0',
      LOG_LEVEL: 'error',
      ...connectorSettings(),
      ...env,
    },
  });
}

/** Connector settings a benchmark takes from its environment (the Kafka client, compression, workers). */
const PASSED_SETTINGS = [
  'KAFKA_CLIENT',
  'KAFKA_COMPRESSION',
  'CAPTURE_WORKERS',
  'COMPLETE_EMBEDDED_LISTS',
] as const;

/** The settings of PASSED_SETTINGS this run's environment sets. */
export function connectorSettings(): Record<string, string> {
  return Object.fromEntries(
    PASSED_SETTINGS.flatMap((name) => (process.env[name] ? [[name, process.env[name]!]] : [])),
  );
}

/** The settings connectorSettings passes on, as they go before a command line (`KAFKA_CLIENT=… `). */
export function settingsPrefix(): string {
  return Object.entries(connectorSettings())
    .map(([name, value]) => `${name}=${value} `)
    .join('');
}

/**
 * A benchmark's RESULTS.md section for the Kafka client of this run: `name` with the default client,
 * `name-<client>` with another (KAFKA_CLIENT), so that runs on each client keep their own section.
 */
export function clientSection(name: string): { name: string; title: string } {
  const client = process.env.KAFKA_CLIENT;
  return !client || client === 'kafkajs'
    ? { name, title: '' }
    : { name: `${name}-${client}`, title: ` (KAFKA_CLIENT=${client})` };
}

/** Runs a benchmark's main: a failure is printed and ends the process with exit code 1. */
export function runMain(main: () => Promise<void>): void {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}

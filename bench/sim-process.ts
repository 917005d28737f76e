/**
 * The simulator in a child process (the `sim` CLI command), so that it does not share the benchmark's
 * thread with the connector. Talks to it through the `/_sim/` admin API.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { SimStats } from '../src/sim';
import { processCpuUs } from './lib';
import { outsideMemoryLimit } from './memory-limit';

export interface SimProcessOptions {
  contacts: number;
  conversations?: number;
  companies?: number;
  /** Average parts per conversation (the CLI's --parts); undefined = the simulator's default. */
  parts?: number;
  seed?: number;
  /** Requests per 10 s window (the CLI's --rate-limit); undefined = unlimited. */
  rateLimit?: number;
  searchLagMs?: number;
  changesPerSecond?: number;
  /** Median delay of each answer, real ms (the CLI's --latency-ms); p99 and search pages likewise. */
  latencyMs?: number;
  latencyP99Ms?: number;
  searchLatencyMs?: number;
  /** Give up waiting for the listening line after this long (building 1,000,000 contacts takes a while). */
  startTimeoutMs?: number;
}

export interface SimProcess {
  url: string;
  pid: number;
  /** The exact command line, for the results. */
  command: string;
  startupMs: number;
  stats(): Promise<SimStats & { nowMs: number }>;
  /** Peak RSS of the child so far (VmHWM), MB; undefined where /proc is missing. */
  peakRssMb(): number | undefined;
  /** CPU time (user + system) the child has used so far, µs; undefined where /proc is missing. */
  cpuUs(): number | undefined;
  close(): Promise<void>;
}

const ROOT = path.join(__dirname, '..');

/** Starts `tsx src/main.ts sim …` on a free port and resolves once it listens. */
export async function startSimProcess(options: SimProcessOptions): Promise<SimProcess> {
  const args = [
    'sim',
    '--port',
    '0',
    '--seed',
    String(options.seed ?? 1),
    '--contacts',
    String(options.contacts),
    '--conversations',
    String(options.conversations ?? 0),
    '--companies',
    String(options.companies ?? 0),
    ...(options.parts !== undefined ? ['--parts', String(options.parts)] : []),
    ...(options.rateLimit !== undefined ? ['--rate-limit', String(options.rateLimit)] : []),
    '--search-lag-ms',
    String(options.searchLagMs ?? 0),
    '--changes-per-second',
    String(options.changesPerSecond ?? 0),
    ...(options.latencyMs ? ['--latency-ms', String(options.latencyMs)] : []),
    ...(options.latencyP99Ms ? ['--latency-p99-ms', String(options.latencyP99Ms)] : []),
    ...(options.searchLatencyMs ? ['--search-latency-ms', String(options.searchLatencyMs)] : []),
  ];
  const started = Date.now();
  const run = outsideMemoryLimit(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args]);
  const child = spawn(run.command, run.args, {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  process.once('exit', () => child.kill('SIGKILL')); // never leave the simulator behind
  const url = await listeningUrl(child, options.startTimeoutMs ?? 600_000);
  const startupMs = Date.now() - started;
  const admin = async <T>(route: string): Promise<T> => {
    const res = await fetch(`${url}/_sim/${route}`);
    if (!res.ok) throw new Error(`sim admin ${route}: HTTP ${res.status}`);
    return (await res.json()) as T;
  };
  return {
    url,
    pid: child.pid!,
    command: `npx tsx src/main.ts ${args.join(' ')}`,
    startupMs,
    stats: () => admin('stats'),
    cpuUs: () => processCpuUs(`/proc/${child.pid}/stat`),
    peakRssMb: () => {
      try {
        const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
        const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
        return kb ? Math.round(Number(kb) / 1024) : undefined;
      } catch {
        return undefined;
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

function listeningUrl(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`simulator did not start within ${timeoutMs} ms:\n${stderr}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /simulator listening on (\S+)/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        child.stderr?.off('data', onData);
        child.stderr?.resume(); // keep draining, so the child never blocks on a full pipe
        resolve(match[1]);
      }
    };
    child.stderr?.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`simulator exited (${code ?? signal}) before listening:\n${stderr}`));
    });
  });
}

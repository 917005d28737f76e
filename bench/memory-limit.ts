/**
 * `--memory-limit-mb N`: a benchmark's connector runs inside a memory cgroup of N MiB, as in a pod whose
 * `resources.limits.memory` is N Mi. Node sizes its heap from the cgroup's limit (a 768 MiB cgroup gives
 * a V8 heap limit of about 400 MB, against about 4 GB on this 24 GiB machine without one), so the peak
 * RSS measured here is what the pod would see, and a process that needs more than N MiB is killed by the
 * kernel as the pod would be. The simulator the benchmark starts runs outside the cgroup.
 *
 * The run gets the image's Node flags (the Dockerfile's ENTRYPOINT), as the pod does.
 *
 * How: the benchmark's process starts itself again inside a new cgroup (cgroup v1's memory controller, or
 * cgroup v2) and waits for it; this needs root and a writable /sys/fs/cgroup, and says so otherwise.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { numberArg } from './lib';

const INSIDE = 'BENCH_MEMORY_LIMIT_MB';
/** Where the simulator goes: the cgroup.procs file of the cgroup the benchmark was started in. */
const OUTSIDE_PROCS = 'BENCH_OUTSIDE_CGROUP_PROCS';

interface Cgroup {
  dir: string;
  procs: string;
  /** The procs file of the cgroup this process runs in now. */
  home: string;
  v2: boolean;
}

function cgroupFor(pid: number): Cgroup {
  const lines = readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n');
  if (existsSync('/sys/fs/cgroup/cgroup.controllers')) {
    const own = lines.find((l) => l.startsWith('0::'))?.slice(3) ?? '/';
    const dir = path.join('/sys/fs/cgroup', `intercom-cdc-bench-${pid}`);
    return {
      dir,
      procs: path.join(dir, 'cgroup.procs'),
      home: path.join('/sys/fs/cgroup', own, 'cgroup.procs'),
      v2: true,
    };
  }
  const own = lines.map((l) => l.split(':')).find((f) => f[1]?.split(',').includes('memory'))?.[2];
  if (own === undefined || !existsSync('/sys/fs/cgroup/memory'))
    throw new Error('--memory-limit-mb: no cgroup memory controller here (/sys/fs/cgroup)');
  const dir = path.join('/sys/fs/cgroup/memory', `intercom-cdc-bench-${pid}`);
  return {
    dir,
    procs: path.join(dir, 'cgroup.procs'),
    home: path.join('/sys/fs/cgroup/memory', own, 'cgroup.procs'),
    v2: false,
  };
}

/**
 * Call first in a benchmark's main: with `--memory-limit-mb N` and outside such a cgroup, runs this very
 * command again inside a new one, waits for it and exits with its code (never returns); else returns
 * the limit this process runs under (undefined without the flag).
 */
export async function underMemoryLimit(): Promise<number | undefined> {
  const inside = process.env[INSIDE];
  if (inside) return Number(inside);
  const mb = numberArg('memory-limit-mb', 0);
  if (mb <= 0) return undefined;
  const cg = cgroupFor(process.pid);
  try {
    mkdirSync(cg.dir);
    writeFileSync(path.join(cg.dir, cg.v2 ? 'memory.max' : 'memory.limit_in_bytes'), String(mb * 2 ** 20));
  } catch (error) {
    throw new Error(
      `--memory-limit-mb: cannot create the memory cgroup ${cg.dir} (${(error as Error).message}); it needs root and a writable /sys/fs/cgroup`,
    );
  }
  const code = await new Promise<number>((resolve) => {
    const child = spawn(
      '/bin/sh',
      [
        '-c',
        'echo $$ > "$0" && exec "$@"',
        cg.procs,
        process.execPath,
        ...imageNodeFlags(),
        ...process.execArgv,
        ...process.argv.slice(1),
      ],
      { stdio: 'inherit', env: { ...process.env, [INSIDE]: String(mb), [OUTSIDE_PROCS]: cg.home } },
    );
    child.on('exit', (c, signal) => {
      if (signal)
        console.error(
          `the benchmark inside the ${mb} MiB cgroup ended by ${signal} (SIGKILL: out of memory)`,
        );
      resolve(c ?? 1);
    });
  });
  try {
    rmdirSync(cg.dir);
  } catch {
    // a process of it still lingers: the kernel removes nothing while one runs; harmless
  }
  process.exit(code);
}

/**
 * The command line of a child that must run outside the benchmark's memory cgroup (the simulator):
 * wrapped so that it moves itself back first; unchanged when there is no such cgroup.
 */
export function outsideMemoryLimit(command: string, args: string[]): { command: string; args: string[] } {
  const home = process.env[OUTSIDE_PROCS];
  if (!home) return { command, args };
  return { command: '/bin/sh', args: ['-c', 'echo $$ > "$0" && exec "$@"', home, command, ...args] };
}

/**
 * The Node flags the image starts the connector with (the Dockerfile's ENTRYPOINT: its young generation's
 * size), so that a run under a memory limit runs as the pod does.
 */
export function imageNodeFlags(): string[] {
  const text = readFileSync(path.join(__dirname, '..', 'Dockerfile'), 'utf8');
  const line = text.split('\n').find((l) => l.startsWith('ENTRYPOINT '));
  const argv = line ? (JSON.parse(line.slice('ENTRYPOINT '.length)) as string[]) : [];
  const node = argv.indexOf('node');
  return node < 0 ? [] : argv.slice(node + 1).filter((a) => a.startsWith('--'));
}

/** What a result says of the limit: the cgroup and the heap limit Node chose in it. */
export function memoryLimitNote(mb: number | undefined): string {
  if (mb === undefined) return '';
  const heap = Math.round(getHeapStatistics().heap_size_limit / 2 ** 20);
  const flags = imageNodeFlags().join(' ');
  return ` The connector ran in a memory cgroup of ${mb} MiB (as a pod with that limit; Node's heap limit there: ${heap} MB)${flags ? `, with the image's Node flags (${flags})` : ''}.`;
}

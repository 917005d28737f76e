/**
 * The CPUs the container may use: its cgroup's CPU quota when it has one, else the CPUs the process may
 * run on. This sizes the capture's worker threads (`streams.workers=auto`): a pod limited to 2 CPUs on a
 * 64-CPU node gets 2, not 64.
 */
import { readFileSync } from 'node:fs';
import * as os from 'node:os';

/** Where the quota is read: cgroup v2's `cpu.max`, else cgroup v1's quota and period. */
export interface CpuFiles {
  v2: string;
  v1Quota: string;
  v1Period: string;
}

export const CPU_FILES: CpuFiles = {
  v2: '/sys/fs/cgroup/cpu.max',
  v1Quota: '/sys/fs/cgroup/cpu/cpu.cfs_quota_us',
  v1Period: '/sys/fs/cgroup/cpu/cpu.cfs_period_us',
};

/**
 * The quota in CPUs (quota / period, e.g. 1.5), or undefined when there is none: v2's `cpu.max`
 * (`<quota> <period>`, `max` for none) first, then v1's quota (-1 for none) and period. A file that is
 * missing, unreadable or malformed is passed over. Never throws.
 */
export function cpuQuota(
  files: CpuFiles = CPU_FILES,
  read: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): number | undefined {
  const text = (path: string): string | undefined => {
    try {
      return read(path).trim();
    } catch {
      return undefined;
    }
  };
  const v2 = text(files.v2);
  if (v2 !== undefined) {
    const [quota, period] = v2.split(/\s+/);
    if (quota === 'max') return undefined;
    const q = Number(quota);
    const p = Number(period ?? 100000);
    if (q > 0 && p > 0) return q / p;
  }
  const q = Number(text(files.v1Quota));
  const p = Number(text(files.v1Period));
  return q > 0 && p > 0 ? q / p : undefined;
}

/**
 * Whole CPUs the container may use, at least 1: the quota rounded up (1.5 CPUs can keep two threads
 * busy part of the time), never more than the CPUs the process may run on.
 */
export function containerCpus(
  quota: number | undefined = cpuQuota(),
  available: number = os.availableParallelism(),
): number {
  const cpus = quota === undefined ? available : Math.min(available, Math.ceil(quota));
  return Math.max(1, cpus);
}

/**
 * The start-up memory check: reads the container's memory limit from its cgroup and tells whether the
 * restored state plus a working allowance comes near it, so that a pod too small for its workspace says
 * so once, at start, instead of being killed for memory during its first sync or its next restore.
 * Sizing by workspace: the chart README (`helm/intercom-cdc/README.md`, "Sizing").
 */
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';

/** Where the limit is read: cgroup v2's `memory.max`, else cgroup v1's `memory.limit_in_bytes`. */
export interface CgroupFiles {
  v2: string;
  v1: string;
}

export const CGROUP_FILES: CgroupFiles = {
  v2: '/sys/fs/cgroup/memory.max',
  v1: '/sys/fs/cgroup/memory/memory.limit_in_bytes',
};

/**
 * cgroup v1 says "no limit" with a huge number (9223372036854771712 on 4 KiB pages, the page counter's
 * maximum): anything at or above 2^60 bytes (1 EiB) is read as no limit.
 */
const V1_NO_LIMIT = 2 ** 60;

/**
 * What a running connector needs besides its restored state and the process's memory at that point:
 * pages in flight and prefetched, batches waiting to commit, the producer's buffers, the objects the
 * next syncs add to the state and the garbage collector's slack. 256 MiB: first syncs of 1,014,634 and
 * 3,014,634 objects (`bench/latency.ts --contacts 1000000` and `3000000`) peaked at 443 and 539 MiB of
 * RSS while the store estimated their state at about 62 and 185 MiB: 354–381 MiB for the process and
 * its work together, of which the process before the restore (counted apart) is the rest.
 */
export const WORKING_ALLOWANCE_BYTES = 256 * 2 ** 20;

/**
 * The working allowance for the configured budgets: the batches' (`MAX_PENDING_BYTES`), twice the read
 * budget's (`MAX_READ_BYTES`: the readings made of the pages), and 128 MiB for the rest; with the
 * default budgets (64 and 32 MiB), {@link WORKING_ALLOWANCE_BYTES}.
 */
export function workingAllowance(maxPendingBytes: number, maxReadBytes: number): number {
  return 128 * 2 ** 20 + maxPendingBytes + 2 * maxReadBytes;
}

/** The share of the limit at which the check warns. */
export const WARN_SHARE = 0.8;

/**
 * The container's memory limit in bytes, or undefined when there is none: v2's file first ("max" is no
 * limit), then v1's (a value of 2^60 or more is no limit); a file that is missing or unreadable, or
 * holds no number, is passed over. Never throws.
 */
export function containerMemoryLimit(
  files: CgroupFiles = CGROUP_FILES,
  read: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): number | undefined {
  for (const [file, noLimit] of [
    [files.v2, Infinity],
    [files.v1, V1_NO_LIMIT],
  ] as const) {
    let text: string;
    try {
      text = read(file).trim();
    } catch {
      continue;
    }
    if (text === 'max') return undefined;
    if (!/^\d+$/.test(text)) continue;
    const bytes = Number(text);
    return bytes >= noLimit ? undefined : bytes;
  }
  return undefined;
}

/** The figures of one check, in bytes; `share` is `needed / limit`. */
export interface MemoryCheck {
  limit: number;
  stateBytes: number;
  rssBeforeState: number;
  allowance: number;
  needed: number;
  share: number;
}

/**
 * Compares what the connector is expected to need with the container's limit: the process's RSS before
 * the state was restored (code, clients, codecs), the restored state's estimated bytes
 * (`StateStore.bytes()`) and the working allowance. Returns the figures when they reach `WARN_SHARE`
 * of the limit, undefined when they do not or when there is no limit.
 */
export function checkMemory(p: {
  limit: number | undefined;
  stateBytes: number;
  rssBeforeState: number;
  allowance?: number;
}): MemoryCheck | undefined {
  if (p.limit === undefined || p.limit <= 0) return undefined;
  const allowance = p.allowance ?? WORKING_ALLOWANCE_BYTES;
  const needed = p.rssBeforeState + p.stateBytes + allowance;
  const share = needed / p.limit;
  if (share < WARN_SHARE) return undefined;
  return {
    limit: p.limit,
    stateBytes: p.stateBytes,
    rssBeforeState: p.rssBeforeState,
    allowance,
    needed,
    share,
  };
}

const mib = (bytes: number) => Math.round(bytes / 2 ** 20);

/**
 * The warning's fields and message for a check that reached the share: the figures in MiB and the
 * settings to raise (the chart's `resources.limits.memory`, and `resources.requests.memory` with it).
 */
export function memoryWarning(c: MemoryCheck): { fields: Record<string, number | string>; message: string } {
  return {
    fields: {
      limitMiB: mib(c.limit),
      stateMiB: mib(c.stateBytes),
      rssBeforeStateMiB: mib(c.rssBeforeState),
      allowanceMiB: mib(c.allowance),
      neededMiB: mib(c.needed),
      percentOfLimit: Math.round(c.share * 100),
      setting: 'resources.limits.memory',
    },
    message: `memory: the restored state (${mib(c.stateBytes)} MiB) plus the process (${mib(c.rssBeforeState)} MiB) and a working allowance (${mib(c.allowance)} MiB) come to ${Math.round(c.share * 100)} % of the container's limit (${mib(c.limit)} MiB); raise the chart's resources.limits.memory (and resources.requests.memory), see the sizing table in the chart README`,
  };
}

/**
 * Called once at start, right after the state is restored: logs one warning (`memoryWarning`) when the
 * check reaches its share of the container's limit, nothing otherwise. Returns the check's figures
 * (undefined: no warning). Never throws.
 */
export function warnIfNearMemoryLimit(
  logger: Logger,
  p: {
    stateBytes: number;
    rssBeforeState: number;
    allowance?: number;
    files?: CgroupFiles;
    read?: (path: string) => string;
  },
): MemoryCheck | undefined {
  const check = checkMemory({
    limit: containerMemoryLimit(p.files, p.read),
    stateBytes: p.stateBytes,
    rssBeforeState: p.rssBeforeState,
    allowance: p.allowance,
  });
  if (check) {
    const w = memoryWarning(check);
    logger.warn(w.fields, w.message);
  }
  return check;
}

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import {
  WORKING_ALLOWANCE_BYTES,
  workingAllowance,
  checkMemory,
  containerMemoryLimit,
  memoryWarning,
  warnIfNearMemoryLimit,
  type CgroupFiles,
} from '../../../src/observability/memory';

const MiB = 2 ** 20;

/** A fake /sys/fs/cgroup: the files given are written, the others are missing. */
function cgroup(dir: string, content: { v2?: string; v1?: string }): CgroupFiles {
  const files = { v2: path.join(dir, 'memory.max'), v1: path.join(dir, 'memory', 'memory.limit_in_bytes') };
  mkdirSync(path.dirname(files.v1), { recursive: true });
  if (content.v2 !== undefined) writeFileSync(files.v2, content.v2);
  if (content.v1 !== undefined) writeFileSync(files.v1, content.v1);
  return files;
}

/** A logger that keeps what it writes, one parsed object per line. */
function capture(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (l: string) => lines.push(JSON.parse(l)) });
  return { logger, lines };
}

describe('the container memory limit', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'cgroup-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("is cgroup v2's memory.max, in bytes", () => {
    expect(containerMemoryLimit(cgroup(dir, { v2: '805306368\n' }))).toBe(805_306_368);
  });

  it('is no limit when v2 says max, whatever v1 says', () => {
    expect(containerMemoryLimit(cgroup(dir, { v2: 'max\n', v1: '805306368\n' }))).toBeUndefined();
  });

  it("is cgroup v1's memory.limit_in_bytes when there is no v2 file", () => {
    expect(containerMemoryLimit(cgroup(dir, { v1: '536870912\n' }))).toBe(536_870_912);
  });

  it("is no limit for v1's huge 'unlimited' value", () => {
    expect(containerMemoryLimit(cgroup(dir, { v1: '9223372036854771712\n' }))).toBeUndefined();
  });

  it('is no limit when neither file exists, or they hold no number', () => {
    expect(containerMemoryLimit(cgroup(dir, {}))).toBeUndefined();
    expect(containerMemoryLimit(cgroup(dir, { v2: 'garbage', v1: '' }))).toBeUndefined();
  });
});

describe('the start-up memory check', () => {
  it('warns at 80 % of the limit or more: state, process before it and allowance added up', () => {
    const limit = 768 * MiB;
    const allowance = 256 * MiB;
    // 160 + 200 + 256 = 616 MiB: 80.2 % of 768 MiB.
    const near = checkMemory({ limit, stateBytes: 200 * MiB, rssBeforeState: 160 * MiB, allowance });
    expect(near).toMatchObject({ needed: 616 * MiB, limit });
    expect(near!.share).toBeCloseTo(616 / 768);
    // 160 + 190 + 256 = 606 MiB: 78.9 %.
    expect(
      checkMemory({ limit, stateBytes: 190 * MiB, rssBeforeState: 160 * MiB, allowance }),
    ).toBeUndefined();
    expect(checkMemory({ limit: undefined, stateBytes: 10 * 1024 * MiB, rssBeforeState: 0 })).toBeUndefined();
  });

  it('counts the working allowance by default', () => {
    const limit = 512 * MiB;
    const check = checkMemory({ limit, stateBytes: 100 * MiB, rssBeforeState: 100 * MiB });
    expect(check?.allowance).toBe(WORKING_ALLOWANCE_BYTES);
    expect(check?.needed).toBe(200 * MiB + WORKING_ALLOWANCE_BYTES);
  });

  it('grows the allowance with the budgets, and is the default one with the default budgets', () => {
    expect(workingAllowance(64 * MiB, 32 * MiB)).toBe(WORKING_ALLOWANCE_BYTES);
    expect(workingAllowance(256 * MiB, 64 * MiB)).toBe(WORKING_ALLOWANCE_BYTES + 192 * MiB + 64 * MiB);
  });

  it('names the figures and the setting to change', () => {
    const w = memoryWarning(
      checkMemory({
        limit: 768 * MiB,
        stateBytes: 600 * MiB,
        rssBeforeState: 160 * MiB,
        allowance: 256 * MiB,
      })!,
    );
    expect(w.fields).toEqual({
      limitMiB: 768,
      stateMiB: 600,
      rssBeforeStateMiB: 160,
      allowanceMiB: 256,
      neededMiB: 1016,
      percentOfLimit: 132,
      setting: 'resources.limits.memory',
    });
    expect(w.message).toContain('resources.limits.memory');
    expect(w.message).toContain('768 MiB');
    expect(w.message).toContain('600 MiB');
  });

  it('logs one warning from fake cgroup files near the limit, none without a limit', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cgroup-'));
    try {
      const { logger, lines } = capture();
      const near = cgroup(dir, { v2: String(768 * MiB) });
      expect(
        warnIfNearMemoryLimit(logger, { stateBytes: 500 * MiB, rssBeforeState: 100 * MiB, files: near }),
      ).toBeDefined();
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({
        level: 40,
        limitMiB: 768,
        stateMiB: 500,
        setting: 'resources.limits.memory',
      });

      const unlimited = cgroup(dir, { v2: 'max' });
      expect(
        warnIfNearMemoryLimit(logger, { stateBytes: 500 * MiB, rssBeforeState: 100 * MiB, files: unlimited }),
      ).toBeUndefined();
      const roomy = cgroup(dir, { v2: String(4096 * MiB) });
      expect(
        warnIfNearMemoryLimit(logger, { stateBytes: 500 * MiB, rssBeforeState: 100 * MiB, files: roomy }),
      ).toBeUndefined();
      expect(lines).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

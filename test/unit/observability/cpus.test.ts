import { containerCpus, cpuQuota, type CpuFiles } from '../../../src/observability/cpus';

const files: CpuFiles = { v2: 'v2', v1Quota: 'q', v1Period: 'p' };
const reader = (contents: Record<string, string>) => (path: string) => {
  const text = contents[path];
  if (text === undefined) throw new Error('ENOENT');
  return text;
};

describe('the CPUs the container may use', () => {
  it('read the cgroup v2 quota, "max" as none', () => {
    expect(cpuQuota(files, reader({ v2: '150000 100000\n' }))).toBe(1.5);
    expect(cpuQuota(files, reader({ v2: 'max 100000' }))).toBeUndefined();
  });

  it('fall back to cgroup v1, -1 as none, and to none when nothing reads', () => {
    expect(cpuQuota(files, reader({ q: '200000', p: '100000' }))).toBe(2);
    expect(cpuQuota(files, reader({ q: '-1', p: '100000' }))).toBeUndefined();
    expect(cpuQuota(files, reader({ v2: 'garbage' }))).toBeUndefined();
    expect(cpuQuota(files, reader({}))).toBeUndefined();
  });

  it('round the quota up, never past the CPUs the process may run on, at least one', () => {
    expect(containerCpus(1.5, 64)).toBe(2);
    expect(containerCpus(undefined, 8)).toBe(8);
    expect(containerCpus(16, 4)).toBe(4);
    expect(containerCpus(0.1, 4)).toBe(1);
  });
});

import { describe, expect, it } from 'vitest';
import { bytesFromCgroupLimit, cpusFromCgroupV1, cpusFromCgroupV2, detectCpus, detectRam, physicalCoresFromCpuInfo } from '../../src/sizing/machine.js';

function cpuinfo(entries: [number, number][]): string {
  return entries.map(([physical, core], i) => `processor\t: ${i}\nphysical id\t: ${physical}\ncore id\t\t: ${core}\n`).join('\n');
}

const GiB = 1024 ** 3;

describe('machine detection', () => {
  it('counts physical cores, not hyper-threads (the seed: "4 CPU, 8 Thread" counts 4)', () => {
    const eightThreads = cpuinfo([[0, 0], [0, 1], [0, 2], [0, 3], [0, 0], [0, 1], [0, 2], [0, 3]]);
    expect(physicalCoresFromCpuInfo(eightThreads)).toEqual({ cores: 4, threads: 8 });
    expect(physicalCoresFromCpuInfo(cpuinfo([[0, 0], [1, 0]]))).toEqual({ cores: 2, threads: 2 });
  });

  it('falls back to the processor count when cpuinfo has no topology (some ARM and VMs)', () => {
    expect(physicalCoresFromCpuInfo('processor : 0\nBogoMIPS : 50\n\nprocessor : 1\nBogoMIPS : 50\n')).toEqual({ cores: 2, threads: 2 });
    expect(physicalCoresFromCpuInfo('')).toBeUndefined();
  });

  it('reads container CPU quotas, v2 and v1', () => {
    expect(cpusFromCgroupV2('200000 100000\n')).toBe(2);
    expect(cpusFromCgroupV2('max 100000\n')).toBeUndefined();
    expect(cpusFromCgroupV1('150000', '100000')).toBe(1.5);
    expect(cpusFromCgroupV1('-1', '100000')).toBeUndefined();
  });

  it('reads container memory limits, ignoring "no limit" values', () => {
    expect(bytesFromCgroupLimit('4294967296\n', 16 * GiB)).toBe(4 * GiB);
    expect(bytesFromCgroupLimit('max\n', 16 * GiB)).toBeUndefined();
    expect(bytesFromCgroupLimit('9223372036854771712', 16 * GiB)).toBeUndefined();
  });

  it('lowers the core count to the quota of this process\'s own cgroup', () => {
    const files: Record<string, string> = {
      '/proc/cpuinfo': cpuinfo([[0, 0], [0, 1], [0, 2], [0, 3], [0, 0], [0, 1], [0, 2], [0, 3]]),
      '/proc/self/cgroup': '0::/app.slice/odoo.service\n',
      '/sys/fs/cgroup/app.slice/odoo.service/cpu.max': '250000 100000\n',
      '/sys/fs/cgroup/app.slice/odoo.service/memory.max': `${2 * GiB}\n`,
    };
    const read = (path: string) => files[path];
    const cpus = detectCpus(read, 8);
    expect(cpus.value).toBe(2.5);
    expect(cpus.source).toMatch(/4 physical cores \(8 hardware threads\).*limited to 2.5 by the container CPU quota/);
    expect(detectRam(read, 16 * GiB)).toEqual({ value: 2 * GiB, source: 'container memory limit (/sys/fs/cgroup/app.slice/odoo.service/memory.max)' });
  });

  it('keeps the physical count when the quota is larger, and the total memory without a limit', () => {
    const files: Record<string, string> = {
      '/proc/cpuinfo': cpuinfo([[0, 0], [0, 1]]),
      '/proc/self/cgroup': '4:memory:/x\n1:cpu,cpuacct:/\n',
      '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '-1',
      '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000',
      '/sys/fs/cgroup/memory/x/memory.limit_in_bytes': '9223372036854771712',
    };
    expect(detectCpus((p) => files[p], 2).value).toBe(2);
    expect(detectRam((p) => files[p], 8 * GiB)).toEqual({ value: 8 * GiB, source: 'total memory reported by the OS' });
  });
});

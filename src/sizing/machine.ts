/**
 * What the machine offers, for sizing: physical CPU cores (not hyper-threads: the seed's
 * "4 CPU, 8 Thread" server counts 4), lowered by a container CPU quota; RAM, lowered by a
 * container memory limit. File reads are injected so every rule is tested without a machine.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';

export type FileReader = (path: string) => string | undefined;

export const readSystemFile: FileReader = (path) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

export interface Detected<T> {
  value: T;
  /** How the value was found, for the output ("4 physical cores in /proc/cpuinfo; …"). */
  source: string;
}

/** Physical cores in /proc/cpuinfo: distinct (physical id, core id) pairs. */
export function physicalCoresFromCpuInfo(cpuinfo: string): { cores: number; threads: number } | undefined {
  const blocks = cpuinfo.split(/\n\s*\n/).filter((b) => /^processor\s*:/m.test(b));
  if (blocks.length === 0) return undefined;
  const cores = new Set<string>();
  for (const block of blocks) {
    const physical = /^physical id\s*:\s*(\d+)/m.exec(block)?.[1];
    const core = /^core id\s*:\s*(\d+)/m.exec(block)?.[1];
    if (physical === undefined || core === undefined) return { cores: blocks.length, threads: blocks.length };
    cores.add(`${physical}:${core}`);
  }
  return { cores: cores.size, threads: blocks.length };
}

/** CPUs allowed by a cgroup v2 `cpu.max` ("200000 100000" → 2) or undefined when unlimited. */
export function cpusFromCgroupV2(cpuMax: string): number | undefined {
  const [quota, period] = cpuMax.trim().split(/\s+/);
  if (!quota || quota === 'max' || !period) return undefined;
  const value = Number(quota) / Number(period);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

/** CPUs allowed by cgroup v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us` (-1: unlimited). */
export function cpusFromCgroupV1(quotaText: string, periodText: string): number | undefined {
  const quota = Number(quotaText.trim());
  const period = Number(periodText.trim());
  if (!(quota > 0) || !(period > 0)) return undefined;
  return quota / period;
}

/** A memory limit in bytes from cgroup v2 `memory.max` or v1 `memory.limit_in_bytes`; undefined when unlimited. */
export function bytesFromCgroupLimit(text: string, totalMemory: number): number | undefined {
  const trimmed = text.trim();
  if (trimmed === 'max') return undefined;
  const value = Number(trimmed);
  // v1 reports "no limit" as a huge page-aligned number.
  if (!Number.isFinite(value) || value <= 0 || value >= totalMemory) return undefined;
  return value;
}

/** cgroup paths of this process: controller → path (v2 under the key ""). */
function cgroupPaths(read: FileReader): Map<string, string> {
  const paths = new Map<string, string>();
  for (const line of (read('/proc/self/cgroup') ?? '').split('\n')) {
    const [, controllers, path] = /^\d+:([^:]*):(.*)$/.exec(line.trim()) ?? [];
    if (controllers === undefined || path === undefined) continue;
    for (const controller of controllers.split(',')) paths.set(controller, path);
  }
  return paths;
}

/** The first file that exists among the controller's own cgroup and the root. */
function readCgroup(read: FileReader, base: string, path: string | undefined, file: string): { text: string; at: string } | undefined {
  for (const dir of [path && path !== '/' ? `${base}${path}` : undefined, base]) {
    if (!dir) continue;
    const at = `${dir}/${file}`;
    const text = read(at);
    if (text !== undefined) return { text, at };
  }
  return undefined;
}

export function detectCpus(read: FileReader = readSystemFile, threadsFallback = os.availableParallelism()): Detected<number> {
  const info = physicalCoresFromCpuInfo(read('/proc/cpuinfo') ?? '');
  let cpus = info?.cores ?? threadsFallback;
  let source = info
    ? info.threads !== info.cores
      ? `${info.cores} physical cores (${info.threads} hardware threads) in /proc/cpuinfo`
      : `${info.cores} cores in /proc/cpuinfo`
    : `${threadsFallback} CPUs reported by the OS`;

  const paths = cgroupPaths(read);
  const v2 = readCgroup(read, '/sys/fs/cgroup', paths.get(''), 'cpu.max');
  let quota = v2 ? cpusFromCgroupV2(v2.text) : undefined;
  let quotaAt = v2?.at;
  if (quota === undefined) {
    const v1Quota = readCgroup(read, '/sys/fs/cgroup/cpu', paths.get('cpu'), 'cpu.cfs_quota_us');
    const v1Period = readCgroup(read, '/sys/fs/cgroup/cpu', paths.get('cpu'), 'cpu.cfs_period_us');
    if (v1Quota && v1Period) {
      quota = cpusFromCgroupV1(v1Quota.text, v1Period.text);
      quotaAt = v1Quota.at;
    }
  }
  if (quota !== undefined && quota < cpus) {
    cpus = quota;
    source += `, limited to ${quota} by the container CPU quota (${quotaAt})`;
  }
  return { value: cpus, source };
}

export function detectRam(read: FileReader = readSystemFile, totalMemory = os.totalmem()): Detected<number> {
  const paths = cgroupPaths(read);
  const limit =
    readCgroup(read, '/sys/fs/cgroup', paths.get(''), 'memory.max') ??
    readCgroup(read, '/sys/fs/cgroup/memory', paths.get('memory'), 'memory.limit_in_bytes');
  const bytes = limit ? bytesFromCgroupLimit(limit.text, totalMemory) : undefined;
  if (bytes !== undefined) return { value: bytes, source: `container memory limit (${limit!.at})` };
  return { value: totalMemory, source: 'total memory reported by the OS' };
}

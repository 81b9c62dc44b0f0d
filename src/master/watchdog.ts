/**
 * Enforces the limits the master is in charge of: limit_time_real with one timer per worker,
 * re-armed at each dispatch (it fires right at the limit), and limit_memory_hard, limit_time_cpu
 * and limit_memory_soft-while-idle by sampling every worker's RSS and CPU time. What the numbers
 * mean is limits/policy.ts; what a kill or a retirement does is the master's (callbacks).
 */
import type { Settings } from '../config/settings.js';
import { formatBytes } from '../config/values.js';
import type { WorkerKind } from '../ipc/messages.js';
import { limitsFor, onSample, realTimeLeft, type Verdict } from '../limits/policy.js';
import type { Logger } from '../observability/logger.js';
import { clampDelay } from '../util/timers.js';
import { workerClassName } from '../workers/names.js';
import { Sampler } from './sampler.js';
import type { WorkerRecord } from './worker-record.js';

/** How long after ready a long-polling worker's RSS still counts as its fresh weight. */
const SETTLE_MS = 3_000;

export interface WatchdogOptions {
  settings: Settings;
  logger: Logger;
  workers: () => Iterable<WorkerRecord>;
  /** Runs an event handler so that an exception is logged, never fatal. */
  guard: (action: () => void) => void;
  kill: (record: WorkerRecord, verdict: Verdict) => void;
  retireIdle: (record: WorkerRecord, verdict: Verdict) => void;
}

export class Watchdog {
  private readonly sampler: Sampler<WorkerRecord>;
  private readonly footprintChecked = new Set<WorkerKind>();
  private readonly settledAboveSoftWarned = new Set<WorkerKind>();

  constructor(private readonly options: WatchdogOptions) {
    this.sampler = new Sampler(
      options.settings.limit_check_interval * 1000,
      () => [...options.workers()].filter((r) => !r.killed && r.state !== 'exited' && r.pid > 0),
      (record, rss, cpuMs) => options.guard(() => this.checkSample(record, rss, cpuMs)),
    );
  }

  /** Sampling runs if any kind of worker has a sampled limit (the *_gevent ones included). */
  start(): void {
    const sampled = (['http', 'cron', 'longpolling'] as const).some((kind) => {
      const l = limitsFor(kind, this.options.settings, () => 0);
      return l.memoryHard > 0 || l.memorySoft > 0 || l.cpuMs > 0;
    });
    if (sampled) this.sampler.start();
  }

  stop(): void {
    this.sampler.stop();
  }

  /**
   * The worker's CPU time when a request starts, without reading /proc on the hot path: the later
   * of its CPU at the end of its last request and at the last sample taken while it was idle — so
   * CPU it spends between requests (background timers) is not charged to the next request, to
   * within one limit_check_interval.
   */
  cpuAtDispatch(record: WorkerRecord): number {
    return Math.max(record.cpuMicros / 1000, record.idleCpuMs);
  }

  /** limit_time_real: one timer per worker, re-armed at each dispatch (refresh costs no allocation). */
  requestStarted(record: WorkerRecord): void {
    const ms = record.limits.realMs;
    if (ms <= 0) return;
    if (record.realTimer) record.realTimer.refresh();
    else record.realTimer = setTimeout(() => this.options.guard(() => this.onRealTimer(record)), clampDelay(ms));
  }

  private onRealTimer(record: WorkerRecord): void {
    const request = record.request;
    if (!request || record.killed || record.state === 'exited') return;
    const now = Date.now();
    const left = realTimeLeft(request.startedAt, now, record.limits);
    if (left > 0) {
      setTimeout(() => this.options.guard(() => this.onRealTimer(record)), clampDelay(left));
      return;
    }
    this.options.kill(record, { action: 'kill', reason: 'real-time', value: now - request.startedAt, limit: record.limits.realMs });
  }

  private checkSample(record: WorkerRecord, rss: number, cpuMs: number): void {
    if (record.killed || record.state === 'exited') return;
    // A fresh long-polling worker settles for a few seconds (it takes in the replayed retention
    // window): what it weighs then is its baseline, and the idle soft limit waits meanwhile.
    const settling = record.readyAt === undefined || (record.kind === 'longpolling' && Date.now() - record.readyAt < SETTLE_MS);
    if (settling) record.readyRss = Math.max(record.readyRss, rss);
    record.rss = rss;
    record.peakRss = Math.max(record.peakRss, rss);
    if (!record.request) record.idleCpuMs = cpuMs;
    const verdict = onSample({ rss, cpuMs }, record.request, record.limits);
    if (!verdict) return;
    if (verdict.action === 'kill') this.options.kill(record, verdict);
    else if (record.state === 'idle' && !settling) {
      if (record.readyRss > record.limits.memorySoft) {
        // Replacing it would only bring an identical worker, forever (e.g. a retention window
        // bigger than limit_memory_soft_gevent): say so once and leave it.
        this.warnSettledAboveSoft(record);
        return;
      }
      this.options.retireIdle(record, verdict);
    }
  }

  private warnSettledAboveSoft(record: WorkerRecord): void {
    if (this.settledAboveSoftWarned.has(record.kind)) return;
    this.settledAboveSoftWarned.add(record.kind);
    const key = record.kind === 'longpolling' ? 'limit_memory_soft_gevent' : 'limit_memory_soft';
    this.options.logger.warn(
      { code: 'LIMIT_BELOW_WORKER_FOOTPRINT', key, limit: record.limits.memorySoft, rss: record.readyRss, workerPid: record.pid, kind: record.kind },
      `${key} (${formatBytes(record.limits.memorySoft)}) is below what a fresh ${workerClassName(record.kind)} worker weighs once settled ` +
        `(${formatBytes(record.readyRss)}${record.kind === 'longpolling' ? ', with the bus retention window' : ''}): it is not recycled while idle, ` +
        `which would only start an identical one; raise ${key}${record.kind === 'longpolling' ? ' or lower bus_retention' : ''}`,
    );
  }

  /** Once per kind: limits below what a fresh worker of that kind weighs (measured, not guessed). */
  checkFootprint(record: WorkerRecord): void {
    if (this.footprintChecked.has(record.kind)) return;
    this.footprintChecked.add(record.kind);
    const suffix = record.kind === 'longpolling' ? '_gevent' : '';
    for (const [key, limit] of [
      [`limit_memory_soft${suffix}`, record.limits.memorySoft],
      [`limit_memory_hard${suffix}`, record.limits.memoryHard],
    ] as const) {
      if (limit > 0 && record.rss >= limit) {
        this.options.logger.warn(
          { code: 'LIMIT_BELOW_WORKER_FOOTPRINT', key, limit, rss: record.rss, workerPid: record.pid, kind: record.kind },
          `${key} (${formatBytes(limit)}) is below the RSS of a fresh ${workerClassName(record.kind)} worker (${formatBytes(record.rss)}, measured on pid ${record.pid})`,
        );
      }
    }
  }
}

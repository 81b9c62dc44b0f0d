/**
 * Drives the schedule: leases each due job to one idle runner (a cron worker in prefork mode, a
 * cron "thread" in threaded mode), persists every change, and wakes up exactly when the next job
 * is due. Runners and how a job is started are supplied by the caller.
 */
import type { Logger } from '../observability/logger.js';
import type { JobSpec } from './jobs.js';
import { Schedule, type JobStatus, type Lease, type RunOutcome } from './schedule.js';
import type { CronStateStore } from './state-store.js';
import { clampDelay } from '../util/timers.js';

export interface CronSchedulerOptions<R> {
  store: CronStateStore | undefined;
  logger: Logger;
  /** Hands a leased job to a runner. */
  start: (runner: R, lease: Lease) => void;
  /** A name for the runner, kept in the state file while it runs a job. */
  describe: (runner: R) => string;
  now?: () => number;
}

export class CronScheduler<R> {
  private readonly schedule: Schedule;
  private readonly idle = new Set<R>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private announced = false;
  private readonly now: () => number;

  constructor(private readonly options: CronSchedulerOptions<R>) {
    this.now = options.now ?? Date.now;
    this.schedule = new Schedule(options.store?.load() ?? new Map());
    const interrupted = this.schedule.recoverInterrupted();
    if (interrupted.length > 0) {
      options.logger.warn({ jobs: interrupted }, `cron: runs interrupted by the last stop are due again: ${interrupted.join(', ')}`);
      this.persist();
    }
  }

  /** The app's jobs, as a runner reports them (the first report is announced in the log). */
  setJobs(specs: readonly JobSpec[]): void {
    this.schedule.setJobs(specs, this.now());
    if (!this.announced) {
      this.announced = true;
      this.options.logger.info(
        { jobs: specs.map((s) => s.name) },
        specs.length === 0
          ? 'cron: the app declares no jobs'
          : `cron: ${specs.length} job${specs.length === 1 ? '' : 's'} declared: ${specs
              .map((s) => `${s.name} (every ${formatInterval(s.intervalMs)}${s.active ? '' : ', inactive'})`)
              .join(', ')}`,
      );
    }
    this.persist();
    this.pump();
  }

  runnerIdle(runner: R): void {
    this.idle.add(runner);
    this.pump();
  }

  runnerGone(runner: R): void {
    this.idle.delete(runner);
  }

  /** A run ended (done, failed, or killed with its runner). */
  finished(runId: string, outcome: RunOutcome, error?: string): void {
    if (this.schedule.complete(runId, outcome, this.now(), error)) this.persist();
    this.pump();
  }

  /** No more leases (the server is stopping); runs in progress still report their end. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  status(): JobStatus[] {
    return this.schedule.status();
  }

  get running(): number {
    return this.schedule.runningCount();
  }

  private pump(): void {
    if (this.stopped) return;
    const now = this.now();
    for (const spec of this.schedule.due(now)) {
      const runner = this.idle.values().next();
      if (runner.done) break;
      const lease = this.schedule.lease(spec.name, this.options.describe(runner.value), now);
      if (!lease) continue;
      this.idle.delete(runner.value);
      this.persist();
      this.options.start(runner.value, lease);
    }
    this.arm();
  }

  /** Sleeps until the next job is due (Unicorn's idea: the loop says when it next needs to wake). */
  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const next = this.schedule.nextDue();
    if (next === undefined || this.idle.size === 0) return;
    this.timer = setTimeout(() => this.pump(), clampDelay(next - this.now()));
  }

  private persist(): void {
    try {
      this.options.store?.save(this.schedule.snapshot());
    } catch (error) {
      this.options.logger.error({ err: error, file: this.options.store?.file }, `cron: could not save the schedule: ${(error as Error).message}`);
    }
  }
}

export function formatInterval(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
  ] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms / 1000}s`;
}

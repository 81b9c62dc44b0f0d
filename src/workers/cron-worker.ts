/**
 * A cron worker: runs the jobs the master leases to it, one at a time, niced like Odoo's
 * WorkerCron. limit_request counts jobs run; limit_memory_soft is checked after each job.
 */
import os from 'node:os';
import type { JobDefinition } from '../cron/jobs.js';
import { runJob } from '../cron/run-job.js';
import type { MasterToWorker, WorkerToMaster } from '../ipc/messages.js';
import { afterRequest, type Verdict, type WorkerLimits } from '../limits/policy.js';
import type { Logger } from '../observability/logger.js';
import type { WorkerInfo } from './runtime-info.js';

/** Odoo's WorkerCron calls os.nice(10): scheduled jobs yield the CPU to HTTP workers. */
export const CRON_NICENESS = 10;

export interface CronWorkerOptions {
  jobs: Map<string, JobDefinition>;
  logger: Logger;
  info: WorkerInfo;
  limits: WorkerLimits;
  /** Sends to the master; `then` runs once the message has left (before an exit). */
  send: (message: WorkerToMaster, then?: () => void) => void;
  onIdle: (retire: Verdict | undefined) => void;
}

export class CronWorker {
  busy = false;

  constructor(private readonly options: CronWorkerOptions) {
    try {
      os.setPriority(CRON_NICENESS);
    } catch (error) {
      options.logger.debug({ err: error }, 'could not renice the cron worker');
    }
  }

  async run(message: Extract<MasterToWorker, { type: 'run-job' }>): Promise<void> {
    const { info, limits, send } = this.options;
    this.busy = true;
    info.requests += 1;
    const job = this.options.jobs.get(message.name);
    const result = job
      ? await runJob(job, message, this.options.logger)
      : { outcome: 'failure' as const, error: `this worker's app declares no job named ${JSON.stringify(message.name)}`, durationMs: 0 };
    const cpu = process.cpuUsage();
    const rss = process.memoryUsage.rss();
    const retire = afterRequest(info.requests, rss, limits);
    send(
      {
      type: 'job-done',
      runId: message.runId,
      outcome: result.outcome,
      ...(result.error !== undefined ? { error: result.error } : {}),
      durationMs: result.durationMs,
      requests: info.requests,
      cpuMicros: cpu.user + cpu.system,
      rss,
      ...(retire && (retire.reason === 'max-requests' || retire.reason === 'soft-memory') ? { retire: retire.reason } : {}),
      },
      // Only once the master knows the run ended may the worker exit (shutdown, limits).
      () => {
        this.busy = false;
        this.options.onIdle(retire);
      },
    );
  }
}

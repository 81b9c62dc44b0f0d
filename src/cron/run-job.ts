/**
 * Runs one job in the current process and logs it the way Odoo's ir_cron does — a line when it
 * starts, a line when it ends with its duration and outcome. Used by cron workers (prefork) and
 * by the threaded server's cron threads alike.
 */
import type { Logger } from '../observability/logger.js';
import { bus } from '../bus/publish.js';
import type { JobDefinition } from './jobs.js';

export interface JobRunResult {
  outcome: 'success' | 'failure';
  error?: string;
  durationMs: number;
}

export async function runJob(job: JobDefinition, run: { dueAt: number; failures: number }, logger: Logger): Promise<JobRunResult> {
  const jobLogger = logger.child({ job: job.name });
  jobLogger.info({ dueAt: run.dueAt }, `Job '${job.name}' starting`);
  const started = performance.now();
  try {
    await job.handler({ name: job.name, dueAt: run.dueAt, failures: run.failures, logger: jobLogger, bus });
    const durationMs = performance.now() - started;
    jobLogger.info({ outcome: 'success', durationMs: Math.round(durationMs) }, `Job '${job.name}' done in ${(durationMs / 1000).toFixed(3)}s`);
    return { outcome: 'success', durationMs };
  } catch (error) {
    const durationMs = performance.now() - started;
    const message = error instanceof Error ? error.message : String(error);
    jobLogger.error(
      { err: error, outcome: 'failure', durationMs: Math.round(durationMs), failures: run.failures + 1 },
      `Job '${job.name}' failed in ${(durationMs / 1000).toFixed(3)}s: ${message}`,
    );
    return { outcome: 'failure', error: message, durationMs };
  }
}

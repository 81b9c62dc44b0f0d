/**
 * Scheduled jobs, as an app declares them next to its request listener:
 *
 *   export const jobs = [
 *     { name: 'mail.queue', interval: '5m', priority: 5, handler: async (ctx) => { … } },
 *   ];
 *
 * `interval` is seconds (a number) or a string with a unit: 30s, 5m, 1h, 1d. `priority`: a lower
 * number runs first among jobs due at the same time (Odoo's convention; default 5). `active: false`
 * keeps a job declared but never run.
 */
import type { Bus } from '../bus/publish.js';
import type { Logger } from '../observability/logger.js';

export interface JobContext {
  /** The job's name. */
  name: string;
  /** When this run was due (ms since the epoch); later than now when intervals were missed. */
  dueAt: number;
  /** Consecutive failures before this run. */
  failures: number;
  /** A logger named after the job. */
  logger: Logger;
  /** Publishes on the bus (live chat, notifications). */
  bus: Bus;
}

export interface JobDefinition {
  name: string;
  interval: number | string;
  handler: (ctx: JobContext) => unknown;
  priority?: number;
  active?: boolean;
}

/** What the master needs to schedule a job (the handler stays in the worker). */
export interface JobSpec {
  name: string;
  intervalMs: number;
  priority: number;
  active: boolean;
}

export class JobDefinitionError extends Error {}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
/** Shorter intervals are a typo, not a schedule (Odoo's shortest is one minute). */
const MIN_INTERVAL_MS = 100;

function checked(ms: number, value: number | string): number {
  if (ms < MIN_INTERVAL_MS) throw new JobDefinitionError(`interval ${JSON.stringify(value)} is shorter than ${MIN_INTERVAL_MS / 1000} s`);
  return ms;
}

/** `30` or `'30s'` → 30 000 ms; `'5m'`, `'1h'`, `'1d'`; fractions allowed (`'0.5s'`). */
export function parseInterval(value: number | string): number {
  if (typeof value === 'number') {
    if (!(value > 0) || !Number.isFinite(value)) throw new JobDefinitionError(`interval must be a positive number of seconds, got ${value}`);
    return checked(Math.round(value * 1000), value);
  }
  const match = /^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$/.exec(value);
  if (!match || !(Number(match[1]) > 0)) {
    throw new JobDefinitionError(`interval ${JSON.stringify(value)} is not valid: write seconds (30) or a number with a unit: 30s, 5m, 1h, 1d`);
  }
  return checked(Math.round(Number(match[1]) * (UNITS[match[2] || 's'] as number) * 1000), value);
}

/** Checks what an app exports as `jobs`; returns the definitions by name. */
export function validateJobs(exported: unknown): Map<string, JobDefinition> {
  const jobs = new Map<string, JobDefinition>();
  if (exported === undefined) return jobs;
  if (!Array.isArray(exported)) throw new JobDefinitionError(`the app's \`jobs\` export must be an array of { name, interval, handler }, got ${typeof exported}`);
  exported.forEach((job: Partial<JobDefinition>, index) => {
    const where = `jobs[${index}]${typeof job?.name === 'string' ? ` (${job.name})` : ''}`;
    if (typeof job !== 'object' || job === null) throw new JobDefinitionError(`${where} must be an object { name, interval, handler }`);
    if (typeof job.name !== 'string' || job.name.trim() === '') throw new JobDefinitionError(`${where}: name must be a non-empty string`);
    if (jobs.has(job.name)) throw new JobDefinitionError(`${where}: another job is already named ${JSON.stringify(job.name)}`);
    if (typeof job.handler !== 'function') throw new JobDefinitionError(`${where}: handler must be a function (ctx) => Promise<void>`);
    if (job.interval === undefined) throw new JobDefinitionError(`${where}: interval is missing (e.g. '5m')`);
    try {
      parseInterval(job.interval);
    } catch (error) {
      throw new JobDefinitionError(`${where}: ${(error as Error).message}`);
    }
    if (job.priority !== undefined && !Number.isFinite(job.priority)) throw new JobDefinitionError(`${where}: priority must be a number`);
    jobs.set(job.name, job as JobDefinition);
  });
  return jobs;
}

export function specOf(job: JobDefinition): JobSpec {
  return { name: job.name, intervalMs: parseInterval(job.interval), priority: job.priority ?? 5, active: job.active !== false };
}

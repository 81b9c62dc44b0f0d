/**
 * Control messages between the master and its workers, over node:cluster's IPC channel. Rare
 * events only (start, stop, exit reasons): per-request traffic uses the data channel (frames.ts).
 * Workers never import the master; both sides import this module.
 */
import type { Settings } from '../config/settings.js';
import type { BusMessage } from '../bus/bus-log.js';
import type { JobSpec } from '../cron/jobs.js';
import type { LimitReason, WorkerLimits } from '../limits/policy.js';

export type WorkerKind = 'http' | 'cron' | 'longpolling';

/** What the master hands a new worker, through its environment. */
export interface WorkerBootstrap {
  kind: WorkerKind;
  /** The master's number for this worker (stable across its life, unlike the pid in logs). */
  id: number;
  settings: Settings;
  /** This worker's limits, limit_request jitter included (drawn by the master). */
  limits: WorkerLimits;
}

export const BOOTSTRAP_ENV = 'ODOO_PREFORK_WORKER';

export type WorkerToMaster =
  /** The worker loaded the app and waits for work; a cron worker lists the app's jobs. */
  | { type: 'ready'; rss: number; cpuMicros: number; jobs?: JobSpec[]; port?: number }
  /** A cron worker finished a job run (`retire`: that was its last one, it exits now). */
  | {
      type: 'job-done';
      runId: string;
      outcome: 'success' | 'failure';
      error?: string;
      durationMs: number;
      requests: number;
      cpuMicros: number;
      rss: number;
      retire?: 'max-requests' | 'soft-memory';
    }
  /** The app failed to load; the worker exits with code 3 right after. */
  | { type: 'boot-error'; message: string; stack?: string }
  /** The worker is about to exit on its own, and why. Sent before the exit so the reason is never lost. */
  | { type: 'exiting'; reason: WorkerExitReason; detail: string }
  /** The worker wants to leave (it got SIGTERM): the master stops dispatching to it, then says 'shutdown'. */
  | { type: 'retire-me'; reason: WorkerExitReason; detail: string }
  /** App code published on the bus; the master numbers the message and relays it. */
  | { type: 'bus-publish'; channel: string; message: unknown };

export type MasterToWorker =
  /**
   * Finish the current request (if any), then exit with code 0. With a limit reason the worker
   * logs that limit's line first (the master saw an idle worker above limit_memory_soft).
   */
  | { type: 'shutdown'; limit?: { reason: LimitReason; value: number; limit: number } }
  /** Cron workers: run this job now (the master leased it to this worker alone). */
  | { type: 'run-job'; runId: string; name: string; dueAt: number; failures: number }
  /** The long-polling worker: new bus messages (live), or the retention window after a restart. */
  | { type: 'bus-messages'; messages: BusMessage[] };

/** Why a worker leaves; the same names appear in logs, status, metrics and docs. */
export type WorkerExitReason =
  | 'soft-memory'
  | 'hard-memory'
  | 'cpu'
  | 'real-time'
  | 'max-requests'
  | 'crash'
  | 'boot-error'
  | 'signal'
  | 'shutdown'
  | 'reload'
  | 'scale-down'
  | 'master-gone';

export function isWorkerMessage(value: unknown): value is WorkerToMaster {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

/** Exit code of a worker that hit a critical error (Odoo's convention): the master stops the server. */
export const CRITICAL_EXIT_CODE = 3;

/**
 * The master's record of one worker: one table of these, whatever the kind — the state machine
 * (starting → idle ⇄ busy → draining → exited), what it weighs and has done, the work it holds,
 * and why it is leaving.
 */
import type { Worker as ClusterWorker } from 'node:cluster';
import type { Lease } from '../cron/schedule.js';
import type { WorkerExitReason, WorkerKind } from '../ipc/messages.js';
import type { WorkerLimits } from '../limits/policy.js';
import type { RequestInFlight } from '../observability/exit-reasons.js';
import type { WorkerPort } from './http-front.js';
import type { WorkerState } from './reconcile.js';

export interface WorkerRecord {
  id: number;
  kind: WorkerKind;
  pid: number;
  state: WorkerState;
  process: ClusterWorker;
  port: WorkerPort | undefined;
  startedAt: number;
  readyAt: number | undefined;
  requests: number;
  rss: number;
  /** Highest RSS from its start to SETTLE_MS after it was ready: what a fresh worker weighs. */
  readyRss: number;
  peakRss: number;
  cpuMicros: number;
  /** CPU time (ms) at the last sample taken while the worker was idle. */
  idleCpuMs: number;
  limits: WorkerLimits;
  /** The request being served, for the real-time and CPU limits and the exit ledger. */
  request: (RequestInFlight & { cpuAtStartMs: number }) | undefined;
  realTimer: NodeJS.Timeout | undefined;
  /** Why it is leaving, recorded before it goes; the first reason wins, except a kill by a limit. */
  exit: ExitIntent | undefined;
  /** The master sent SIGKILL (a limit): nothing else is done to this worker. */
  killed: boolean;
  /** Cron workers: the job run leased to it. */
  job: Lease | undefined;
  /** Requests (or jobs) handed to it, finished or not. */
  dispatched: number;
}

export interface ExitIntent {
  reason: WorkerExitReason;
  detail: string;
  value?: number;
  limit?: number;
}


export function newWorkerRecord(fields: Pick<WorkerRecord, 'id' | 'kind' | 'pid' | 'process' | 'limits'>): WorkerRecord {
  return {
    ...fields,
    state: 'starting',
    port: undefined,
    startedAt: Date.now(),
    readyAt: undefined,
    requests: 0,
    rss: 0,
    readyRss: 0,
    peakRss: 0,
    cpuMicros: 0,
    idleCpuMs: 0,
    request: undefined,
    realTimer: undefined,
    exit: undefined,
    killed: false,
    job: undefined,
    dispatched: 0,
  };
}

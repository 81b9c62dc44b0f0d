/**
 * The pool at a glance, for SIGQUIT (Odoo's "dump stacks") and status output: each worker with its
 * state, what it has served, what it weighs and the request it is serving.
 */
import { formatBytes } from '../config/values.js';
import { workerClassName } from '../workers/names.js';
import type { WorkerRecord } from './worker-record.js';

export interface WorkerSummary {
  kind: WorkerRecord['kind'];
  pid: number;
  state: WorkerRecord['state'];
  requests: number;
  rss: number;
  serving?: string;
  elapsedMs?: number;
}

export function summarizeWorkers(records: Iterable<WorkerRecord>, now: number): WorkerSummary[] {
  return [...records].map((w) => ({
    kind: w.kind,
    pid: w.pid,
    state: w.state,
    requests: w.requests,
    rss: w.rss,
    ...(w.request ? { serving: `${w.request.method} ${w.request.path}`, elapsedMs: now - w.request.startedAt } : {}),
  }));
}

export function formatWorkers(workers: readonly WorkerSummary[]): string {
  return workers
    .map(
      (w) =>
        `\n  ${workerClassName(w.kind)} (${w.pid}) ${w.state}, ${w.requests} served, RSS ${formatBytes(w.rss)}` +
        (w.serving ? `, serving ${w.serving} for ${w.elapsedMs} ms` : ''),
    )
    .join('');
}

/**
 * The log line for each limit — Odoo's own text where Odoo has one, so `grep` finds the same
 * events in both — and the response a client gets when a limit kills its request.
 */
import type { WorkerKind } from '../ipc/messages.js';
import type { MasterResponse } from '../master/responses.js';
import { workerClassName } from '../workers/names.js';
import type { Verdict } from './policy.js';
import { formatBytes } from '../config/values.js';

function seconds(ms: number): string {
  return String(Math.round(ms) / 1000);
}

export function limitMessage(verdict: Verdict, pid: number, kind: WorkerKind): string {
  switch (verdict.reason) {
    case 'max-requests':
      return `Worker (${pid}) max request (${verdict.value}) reached.`;
    case 'soft-memory':
      // Odoo's text says "virtual memory"; the number is the worker's RSS here (see README).
      return `Worker (${pid}) virtual memory limit (${verdict.value}) reached.`;
    case 'cpu':
      return `Worker (${pid}) CPU time limit (${seconds(verdict.limit)}) reached.`;
    case 'real-time':
      return `${workerClassName(kind)} (${pid}) timeout after ${seconds(verdict.limit)}s`;
    case 'hard-memory':
      // Odoo has no line for it: there the allocation itself fails (RLIMIT_AS).
      return `Worker (${pid}) hard memory limit (${verdict.limit}) reached: RSS ${verdict.value}, killed.`;
  }
}

/** The short "why" kept in the exit ledger: "served 100 of 100 requests", "RSS 1.5 GiB > 1 GiB"… */
export function limitDetail(verdict: Verdict): string {
  switch (verdict.reason) {
    case 'max-requests':
      return `served ${verdict.value} of ${verdict.limit} requests`;
    case 'soft-memory':
    case 'hard-memory':
      return `RSS ${formatBytes(verdict.value)} > ${formatBytes(verdict.limit)}`;
    case 'cpu':
      return `${Math.round(verdict.value)} ms of CPU > ${verdict.limit} ms`;
    case 'real-time':
      return `${Math.round(verdict.value)} ms > ${verdict.limit} ms`;
  }
}

/** What the client of a request killed by a limit receives. */
export function limitResponse(verdict: Verdict): MasterResponse {
  switch (verdict.reason) {
    case 'real-time':
      return { status: 504, reason: 'real-time', message: `the request took longer than limit_time_real (${seconds(verdict.limit)} s)` };
    case 'cpu':
      return { status: 504, reason: 'cpu', message: `the request used more than limit_time_cpu (${seconds(verdict.limit)} s of CPU)` };
    default:
      return { status: 502, reason: 'hard-memory', message: `the worker exceeded limit_memory_hard (${verdict.limit} bytes) and was killed` };
  }
}

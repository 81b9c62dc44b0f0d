/**
 * One function turns what is known about a worker's end — the reason recorded before it went (the
 * first one wins), its exit code, the signal that killed it — into the record kept in the exit
 * ledger and the sentence a human reads (execa's approach).
 */
import type { WorkerExitReason, WorkerKind } from '../ipc/messages.js';
import { workerClassName } from '../workers/names.js';

export interface RequestInFlight {
  method: string;
  path: string;
  startedAt: number;
}

export interface ExitRecord {
  id: number;
  kind: WorkerKind;
  pid: number;
  reason: WorkerExitReason;
  detail: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  startedAt: number;
  endedAt: number;
  requests: number;
  /** Last RSS reported or sampled, in bytes. */
  rss: number;
  /** Highest RSS reported or sampled over the worker's life, in bytes. */
  peakRss: number;
  /** The request it was serving when it ended, if any. */
  request: RequestInFlight | undefined;
  /** For a limit: the measured value and the limit (bytes, ms or requests). */
  value: number | undefined;
  limit: number | undefined;
  message: string;
}

export interface ExitFacts {
  record: Pick<ExitRecord, 'id' | 'kind' | 'pid' | 'startedAt' | 'endedAt' | 'requests' | 'rss' | 'peakRss' | 'request'>;
  recorded: { reason: WorkerExitReason; detail: string; value?: number; limit?: number } | undefined;
  code: number | null;
  signal: NodeJS.Signals | null;
}

export function describeExit(facts: ExitFacts): ExitRecord {
  const { record, recorded, code, signal } = facts;
  let reason: WorkerExitReason;
  let detail: string;
  if (recorded) {
    ({ reason, detail } = recorded);
  } else if (signal) {
    reason = 'signal';
    detail = signal === 'SIGKILL' ? 'killed by SIGKILL from outside the master (out of memory? see dmesg)' : `killed by ${signal}`;
  } else {
    reason = 'crash';
    detail = code === 0 ? 'exited with code 0 without being asked to' : `exited with code ${code}`;
  }
  const name = `${workerClassName(record.kind)} (${record.pid})`;
  const how = signal ? `signal ${signal}` : `code ${code}`;
  const message =
    reason === 'crash'
      ? `Worker ${name} crashed: ${detail}`
      : reason === 'signal' && signal
        ? `Worker ${name} died: ${detail}`
        : `Worker ${name} exited (${reason}: ${detail}; ${how})`;
  return { ...record, reason, detail, code, signal, value: recorded?.value, limit: recorded?.limit, message };
}

/** Deaths nobody planned are warnings; planned exits (limits, reloads, stops) are information. */
export function exitLevel(exit: Pick<ExitRecord, 'reason' | 'signal'>): 'warn' | 'info' {
  return exit.reason === 'crash' || exit.reason === 'boot-error' || (exit.reason === 'signal' && exit.signal !== null) ? 'warn' : 'info';
}

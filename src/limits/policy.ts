/**
 * Limit decisions, as pure functions: what the numbers say a worker must do. Measuring (RSS, CPU
 * time, clocks) and enforcing (exit, SIGKILL) happen at the edges, in the worker runtime and the
 * master's watchdog — so every rule here is tested without a process.
 */
import type { Settings } from '../config/settings.js';
import type { WorkerKind } from '../ipc/messages.js';

export type LimitReason = 'soft-memory' | 'hard-memory' | 'cpu' | 'real-time' | 'max-requests';

/** One worker's limits in plain units; 0 disables a limit. */
export interface WorkerLimits {
  /** Bytes of RSS above which the worker is recycled after its current request. */
  memorySoft: number;
  /** Bytes of RSS above which the master kills the worker at once. */
  memoryHard: number;
  /** CPU milliseconds one request (or cron job) may use. */
  cpuMs: number;
  /** Wall-clock milliseconds one request (or cron job) may take. */
  realMs: number;
  /** Requests (or jobs) served before the worker is recycled, jitter included. */
  requests: number;
}

/**
 * The limits of a worker of `kind`: cron workers use limit_time_real_cron (-1: limit_time_real),
 * the long-polling worker the *_gevent memory limits (unset: the general ones). `random` draws the
 * limit_request jitter, so workers started together do not all recycle together.
 */
export function limitsFor(kind: WorkerKind, s: Settings, random: () => number = Math.random): WorkerLimits {
  const jitter = s.limit_request > 0 && s.limit_request_jitter > 0 ? Math.floor(random() * (s.limit_request_jitter + 1)) : 0;
  const realSeconds = kind === 'cron' ? (s.limit_time_real_cron === -1 ? s.limit_time_real : s.limit_time_real_cron) : s.limit_time_real;
  return {
    memorySoft: kind === 'longpolling' ? (s.limit_memory_soft_gevent ?? s.limit_memory_soft) : s.limit_memory_soft,
    memoryHard: kind === 'longpolling' ? (s.limit_memory_hard_gevent ?? s.limit_memory_hard) : s.limit_memory_hard,
    cpuMs: s.limit_time_cpu * 1000,
    realMs: realSeconds * 1000,
    requests: s.limit_request > 0 ? s.limit_request + jitter : 0,
  };
}

export interface Verdict {
  /** retire: finish the current request, then exit; kill: SIGKILL now. */
  action: 'retire' | 'kill';
  reason: LimitReason;
  /** The measured value that crossed the limit (bytes, ms or requests). */
  value: number;
  limit: number;
}

/** The worker's own check after each request, in Odoo's order: request count, then memory. */
export function afterRequest(requests: number, rss: number, limits: WorkerLimits): Verdict | undefined {
  if (limits.requests > 0 && requests >= limits.requests) {
    return { action: 'retire', reason: 'max-requests', value: requests, limit: limits.requests };
  }
  if (limits.memorySoft > 0 && rss > limits.memorySoft) {
    return { action: 'retire', reason: 'soft-memory', value: rss, limit: limits.memorySoft };
  }
  return undefined;
}

export interface WorkerSample {
  rss: number;
  /** Process CPU time (user + system), ms. */
  cpuMs: number;
}

/**
 * The master's check on each sample: the hard memory limit at any time; the CPU limit against the
 * CPU the current request has used; the soft memory limit while idle (a busy worker checks it
 * itself after its request).
 */
export function onSample(sample: WorkerSample, busy: { cpuAtStartMs: number } | undefined, limits: WorkerLimits): Verdict | undefined {
  if (limits.memoryHard > 0 && sample.rss > limits.memoryHard) {
    return { action: 'kill', reason: 'hard-memory', value: sample.rss, limit: limits.memoryHard };
  }
  if (busy && limits.cpuMs > 0) {
    const used = sample.cpuMs - busy.cpuAtStartMs;
    if (used > limits.cpuMs) return { action: 'kill', reason: 'cpu', value: used, limit: limits.cpuMs };
  }
  if (!busy && limits.memorySoft > 0 && sample.rss > limits.memorySoft) {
    return { action: 'retire', reason: 'soft-memory', value: sample.rss, limit: limits.memorySoft };
  }
  return undefined;
}

/** How long until a request started at `startedAt` exceeds the real-time limit (≤ 0: exceeded). */
export function realTimeLeft(startedAt: number, now: number, limits: WorkerLimits): number {
  return limits.realMs > 0 ? startedAt + limits.realMs - now : Infinity;
}

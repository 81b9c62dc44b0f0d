/**
 * The cron schedule, as a pure state machine (no timers, no files, no processes): which job is due,
 * which run holds which job, and when each job runs next. The master drives it; tests drive it
 * with a fake clock.
 *
 * Guarantees, whatever the number of cron workers:
 * - a job is leased to one runner at a time (it never runs concurrently with itself);
 * - a due time is leased once: after a run, the next due time is strictly later than the last one;
 * - missed intervals collapse into one run (Odoo 18): after downtime a job runs once, then on its
 *   interval again.
 */
import type { JobSpec } from './jobs.js';

export type RunOutcome = 'success' | 'failure' | 'killed';

export interface JobState {
  /** When the job is due next, ms since the epoch. */
  nextCall: number;
  /** When the last run started. */
  lastCall?: number;
  lastOutcome?: RunOutcome;
  /** Error message, or the limit that killed the last run. */
  lastError?: string;
  lastDurationMs?: number;
  /** Consecutive failed runs. */
  failures: number;
  runs: number;
  /** The run in progress, if any. Persisted: a run interrupted by a crash of the master is run again. */
  running?: { runId: string; dueAt: number; startedAt: number; worker: string };
}

export interface Lease {
  runId: string;
  spec: JobSpec;
  dueAt: number;
  failures: number;
}

export interface JobStatus extends JobState {
  name: string;
  intervalMs: number;
  priority: number;
  active: boolean;
  /** Declared by the app (false: known only from the state file). */
  declared: boolean;
}

let runCounter = 0;

export class Schedule {
  private specs = new Map<string, JobSpec>();

  constructor(private readonly states: Map<string, JobState> = new Map()) {}

  /** The app's jobs (as reported by a cron worker). New jobs are due at once. */
  setJobs(specs: readonly JobSpec[], now: number): void {
    this.specs = new Map(specs.map((s) => [s.name, s]));
    for (const spec of specs) {
      if (!this.states.has(spec.name)) this.states.set(spec.name, { nextCall: now, failures: 0, runs: 0 });
    }
  }

  get jobCount(): number {
    return this.specs.size;
  }

  /**
   * Runs left over by a master that stopped without finishing them (crash, SIGKILL): due again
   * at their old due time, so they run once more — never lost, never twice at the same time.
   */
  recoverInterrupted(): string[] {
    const names: string[] = [];
    for (const [name, state] of this.states) {
      if (!state.running) continue;
      state.nextCall = Math.min(state.nextCall, state.running.dueAt);
      state.lastOutcome = 'killed';
      state.lastError = 'interrupted: the master stopped during the run';
      delete state.running;
      names.push(name);
    }
    return names;
  }

  /** Due jobs that are not running, ordered by due time, then priority (lower first), then name. */
  due(now: number): JobSpec[] {
    return [...this.specs.values()]
      .filter((spec) => {
        const state = this.states.get(spec.name);
        return spec.active && state && !state.running && state.nextCall <= now;
      })
      .sort((a, b) => {
        const byTime = (this.states.get(a.name) as JobState).nextCall - (this.states.get(b.name) as JobState).nextCall;
        return byTime || a.priority - b.priority || a.name.localeCompare(b.name);
      });
  }

  /** Gives the job to `worker`; undefined when it is not due or already running. */
  lease(name: string, worker: string, now: number): Lease | undefined {
    const spec = this.specs.get(name);
    const state = this.states.get(name);
    if (!spec || !state || !spec.active || state.running || state.nextCall > now) return undefined;
    runCounter += 1;
    const runId = `${name}#${now.toString(36)}.${runCounter}`;
    state.running = { runId, dueAt: state.nextCall, startedAt: now, worker };
    return { runId, spec, dueAt: state.nextCall, failures: state.failures };
  }

  /** Records the end of a run and schedules the next one. Returns false for an unknown run. */
  complete(runId: string, outcome: RunOutcome, now: number, error?: string): boolean {
    for (const [name, state] of this.states) {
      if (state.running?.runId !== runId) continue;
      const { dueAt, startedAt } = state.running;
      delete state.running;
      state.lastCall = startedAt;
      state.lastDurationMs = now - startedAt;
      state.lastOutcome = outcome;
      state.runs += 1;
      if (outcome === 'success') {
        state.failures = 0;
        delete state.lastError;
      } else {
        state.failures += 1;
        state.lastError = error ?? outcome;
      }
      const interval = this.specs.get(name)?.intervalMs ?? 60_000;
      state.nextCall = nextCallAfter(dueAt, interval, now);
      return true;
    }
    return false;
  }

  /** When the next not-running active job is due (ms since the epoch), if any. */
  nextDue(): number | undefined {
    let next: number | undefined;
    for (const spec of this.specs.values()) {
      const state = this.states.get(spec.name);
      if (!spec.active || !state || state.running) continue;
      if (next === undefined || state.nextCall < next) next = state.nextCall;
    }
    return next;
  }

  runningCount(): number {
    return [...this.states.values()].filter((s) => s.running).length;
  }

  /** The persisted form: every job's state, declared or not (nothing is dropped). */
  snapshot(): Record<string, JobState> {
    return Object.fromEntries([...this.states].map(([name, state]) => [name, { ...state, ...(state.running ? { running: { ...state.running } } : {}) }]));
  }

  status(): JobStatus[] {
    const names = new Set([...this.specs.keys(), ...this.states.keys()]);
    return [...names].sort().map((name) => {
      const spec = this.specs.get(name);
      const state = this.states.get(name) ?? { nextCall: 0, failures: 0, runs: 0 };
      return {
        name,
        intervalMs: spec?.intervalMs ?? 0,
        priority: spec?.priority ?? 5,
        active: spec?.active ?? false,
        declared: spec !== undefined,
        ...state,
      };
    });
  }
}

/**
 * The first due time after a run: the previous due time plus whole intervals, strictly after both
 * the previous due time and `now` — missed intervals collapse into the run that just happened.
 */
export function nextCallAfter(dueAt: number, intervalMs: number, now: number): number {
  if (now < dueAt) return dueAt + intervalMs;
  const missed = Math.floor((now - dueAt) / intervalMs);
  return dueAt + (missed + 1) * intervalMs;
}

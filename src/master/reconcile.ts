/**
 * Desired versus actual workers, as a pure function: the master loop calls it after every change
 * and carries out what it returns.
 */
import type { WorkerKind } from '../ipc/messages.js';

export type WorkerState = 'starting' | 'idle' | 'busy' | 'draining' | 'exited';

export interface WorkerSnapshot {
  id: number;
  kind: WorkerKind;
  state: WorkerState;
  startedAt: number;
}

export interface ReconcilePlan {
  spawn: Partial<Record<WorkerKind, number>>;
  /** Workers to retire (scale-down), oldest first — gunicorn's choice: the oldest has served most. */
  retire: number[];
}

export function reconcile(desired: Record<WorkerKind, number>, workers: readonly WorkerSnapshot[]): ReconcilePlan {
  const plan: ReconcilePlan = { spawn: {}, retire: [] };
  for (const kind of Object.keys(desired) as WorkerKind[]) {
    const counted = workers
      .filter((w) => w.kind === kind && w.state !== 'draining' && w.state !== 'exited')
      .sort((a, b) => a.startedAt - b.startedAt || a.id - b.id);
    const want = desired[kind];
    if (counted.length < want) plan.spawn[kind] = want - counted.length;
    else if (counted.length > want) plan.retire.push(...counted.slice(0, counted.length - want).map((w) => w.id));
  }
  return plan;
}

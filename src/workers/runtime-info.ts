/**
 * What an app can learn about the process serving it: `import { workerInfo } from 'odoo-prefork/runtime'`.
 * The state lives on globalThis under a registered symbol, so an app that resolves its own copy
 * of this package still sees the runtime's numbers.
 */

export type RuntimeKind = 'http' | 'cron' | 'longpolling' | 'threaded';

export interface WorkerInfo {
  /** The kind of process: a prefork worker kind, or 'threaded' when workers = 0. */
  kind: RuntimeKind;
  pid: number;
  /** The master's number for this worker (0 in threaded mode). */
  id: number;
  /** Requests this process has started, the current one included. */
  requests: number;
  /** When this process started serving, ms since the epoch. */
  startedAt: number;
}

const KEY = Symbol.for('odoo-prefork.worker-info');

interface Holder {
  [KEY]?: WorkerInfo;
}

export function setWorkerInfo(info: WorkerInfo): WorkerInfo {
  (globalThis as Holder)[KEY] = info;
  return info;
}

/** The live record for this process (the same object; fields update as requests come in). */
export function workerInfo(): WorkerInfo {
  const holder = globalThis as Holder;
  holder[KEY] ??= { kind: 'threaded', pid: process.pid, id: 0, requests: 0, startedAt: Date.now() };
  return holder[KEY];
}

export { bus, type Bus } from '../bus/publish.js';

import type { WorkerKind } from '../ipc/messages.js';

/** The class names Odoo prints in its worker log lines (`Worker WorkerHTTP (4242) alive`). */
export function workerClassName(kind: WorkerKind): string {
  switch (kind) {
    case 'http':
      return 'WorkerHTTP';
    case 'cron':
      return 'WorkerCron';
    case 'longpolling':
      return 'WorkerLongPolling';
  }
}

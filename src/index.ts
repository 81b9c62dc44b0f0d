/** Public API for apps and tools built on odoo-prefork. */
export { workerInfo, type WorkerInfo, type RuntimeKind } from './workers/runtime-info.js';
export { bus, type Bus } from './bus/publish.js';
export type { JobDefinition, JobContext } from './cron/jobs.js';
export { loadConfig, type LoadedConfig, type Origin } from './config/load.js';
export { SETTINGS, type Settings } from './config/settings.js';

/** Public API for apps and tools built on odoo-prefork. */
export { workerInfo, type WorkerInfo, type RuntimeKind } from './workers/runtime-info.js';
export { loadConfig, type LoadedConfig, type Origin } from './config/load.js';
export { SETTINGS, type Settings } from './config/settings.js';

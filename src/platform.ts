/**
 * Which server runs. Odoo's prefork server is POSIX-only (it forks and uses signals and rlimits);
 * on Windows the multiprocessing options do not exist and Odoo always runs threaded. Here the
 * prefork master relies on Linux (/proc for process stats, signals such as SIGTTIN), so any other
 * platform falls back to threaded mode with a warning.
 */
import type { Settings } from './config/settings.js';

export type ServerMode = 'prefork' | 'threaded';

export interface ModeDecision {
  mode: ServerMode;
  /** Set when the user asked for prefork and cannot have it here. */
  warning?: string;
}

export function resolveMode(settings: Pick<Settings, 'workers'>, platform: NodeJS.Platform): ModeDecision {
  if (settings.workers === 0) return { mode: 'threaded' };
  if (platform === 'linux') return { mode: 'prefork' };
  return {
    mode: 'threaded',
    warning: `workers = ${settings.workers} but the prefork server needs Linux (this is ${platform}): running the threaded server instead, as Odoo does on Windows`,
  };
}

/** The platform to decide on. ODOO_PREFORK_PLATFORM overrides it, so the fallback can be tested on Linux. */
export function currentPlatform(env: NodeJS.ProcessEnv = process.env): NodeJS.Platform {
  return (env.ODOO_PREFORK_PLATFORM as NodeJS.Platform | undefined) || process.platform;
}

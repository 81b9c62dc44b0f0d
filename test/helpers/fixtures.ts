import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'odoo-conf');

export function fixture(name: string): string {
  return path.join(FIXTURES, name);
}

/**
 * The process-model values Odoo's own tests expect from odoo-non-default.conf and, on top of
 * odoo-empty.conf, from odoo-cli-tokens.txt (fixture README, columns "non-default" and "cli").
 */
export const NON_DEFAULT_PROCESS_VALUES = {
  workers: 92,
  max_cron_threads: 4,
  limit_memory_soft: 1048576,
  limit_memory_hard: 1048578,
  limit_memory_soft_gevent: 1048577,
  limit_memory_hard_gevent: 1048579,
  limit_request: 100,
  limit_time_cpu: 60,
  limit_time_real: 61,
  limit_time_real_cron: 62,
  http_port: 6942,
  gevent_port: 8012,
  db_maxconn: 42,
  proxy_mode: true,
  http_enable: false,
  http_interface: '10.0.0.254',
  logfile: '/tmp/odoo.log',
  pidfile: '/tmp/pidfile',
  log_level: 'debug',
} as const;

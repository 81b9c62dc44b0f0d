/**
 * Logging with pino. Two formats over the same structured records:
 * - text (default): Odoo's line format, `2024-05-01 12:00:00,123 4242 INFO ? odoo.service.server: …`,
 *   so what users grep for in Odoo logs is found here too;
 * - json: pino's one object per line, with the structured fields (kind, pid, reason, …).
 * Like Odoo, the log goes to standard error unless `logfile` is set. Writes are synchronous:
 * supervision events are rare and must not be lost when a process exits right after logging.
 */
import { openSync } from 'node:fs';
import path from 'node:path';
import { pino, type Logger, type DestinationStream, type Level } from 'pino';
import { ensureDir } from '../util/fs.js';
import type { LogFormat, OdooLogLevel } from '../config/settings.js';

export type { Logger };

/** Odoo's levels mapped onto pino's. */
export function pinoLevel(level: OdooLogLevel): Level | 'silent' {
  switch (level) {
    case 'debug':
    case 'debug_rpc':
    case 'debug_rpc_answer':
    case 'debug_sql':
      return 'debug';
    case 'notset':
      return 'trace';
    case 'warn':
      return 'warn';
    case 'error':
      return 'error';
    case 'critical':
      return 'fatal';
    default:
      return 'info';
  }
}

const ODOO_LEVEL_NAMES: Record<number, string> = {
  10: 'DEBUG',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARNING',
  50: 'ERROR',
  60: 'CRITICAL',
};

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

/** `2024-05-01 12:00:00,123`, local time, as Python's logging prints asctime. */
export function odooTimestamp(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())},${pad(d.getMilliseconds(), 3)}`;
}

interface LogRecord {
  level: number;
  time: number;
  pid: number;
  name?: string;
  msg?: string;
  err?: { stack?: string; message?: string };
}

/** Opens `file` for appending (creating its directory), as every process of the server does. */
export function openLogFile(file: string): number {
  ensureDir(path.dirname(path.resolve(file)));
  return openSync(file, 'a', 0o644);
}

/** Formats one pino JSON record as an Odoo log line. */
export function formatOdooLine(json: string): string {
  let record: LogRecord;
  try {
    record = JSON.parse(json) as LogRecord;
  } catch {
    return json;
  }
  const level = ODOO_LEVEL_NAMES[record.level] ?? 'INFO';
  const stack = record.err?.stack ? `\n${record.err.stack}` : '';
  return `${odooTimestamp(record.time)} ${record.pid} ${level} ? ${record.name ?? 'odoo_prefork'}: ${record.msg ?? ''}${stack}\n`;
}

class OdooTextStream implements DestinationStream {
  constructor(private readonly target: DestinationStream) {}
  write(line: string): void {
    this.target.write(formatOdooLine(line));
  }
}

export interface LoggerOptions {
  level: OdooLogLevel;
  format: LogFormat;
  logfile: string;
}

/**
 * The process's root logger. Use `root.child({ name })` with one of LOGGER_NAMES for each concern,
 * as Odoo's `_logger = logging.getLogger(__name__)`.
 */
export function createLogger(options: LoggerOptions): Logger {
  const target = pino.destination({ fd: options.logfile ? openLogFile(options.logfile) : 2, sync: true });
  const stream = options.format === 'text' ? new OdooTextStream(target) : target;
  return pino(
    {
      level: pinoLevel(options.level),
      base: { pid: process.pid },
    },
    stream,
  );
}

/** Logger names used across the project, so one grep finds one concern. */
export const LOGGER_NAMES = {
  server: 'odoo.service.server',
  config: 'odoo_prefork.config',
  http: 'odoo_prefork.http',
  app: 'odoo_prefork.app',
  /** The bus and the long-polling worker (Odoo's odoo.addons.bus). */
  bus: 'odoo.addons.bus',
  /** werkzeug's access line, one per request (debug level here). */
  access: 'werkzeug',
  /** Odoo's scheduler logger, for job runs. */
  cron: 'odoo.addons.base.models.ir_cron',
} as const;

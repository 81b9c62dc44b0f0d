/**
 * Every configuration error and warning has a stable code, listed once here (fastify's error
 * catalog). docs/settings.md is generated from this list and a test fails when they drift.
 */

export type Severity = 'error' | 'warning' | 'info';

export const DIAGNOSTICS = {
  CONFIG_FILE_UNREADABLE: { severity: 'error', summary: 'The config file given with -c (or $ODOO_RC) cannot be read.' },
  CONFIG_SYNTAX: { severity: 'error', summary: 'A line is neither a section header, a comment nor key = value.' },
  CONFIG_TEMPLATE: { severity: 'error', summary: 'The file holds unrendered template text ({{ ... }}).' },
  CONFIG_NO_SECTION_HEADER: { severity: 'error', summary: 'Text before the first [section] header (Odoo: MissingSectionHeaderError).' },
  CONFIG_NO_OPTIONS_SECTION: {
    severity: 'error',
    summary: 'A non-empty file without an [options] section (Odoo silently ignores such a file).',
  },
  CONFIG_DUPLICATE_KEY: { severity: 'error', summary: 'The same key twice in one section.' },
  CONFIG_DUPLICATE_SECTION: { severity: 'error', summary: 'The same [section] twice.' },
  CONFIG_INVALID_VALUE: { severity: 'error', summary: 'A value that is not valid for its key (type, range, unit).' },
  CONFIG_CONFLICT: { severity: 'error', summary: 'Two settings that cannot hold together (e.g. http_port = gevent_port).' },
  CONFIG_UNWRITABLE_PATH: { severity: 'error', summary: 'logfile or pidfile cannot be written.' },
  CONFIG_SAVE_FAILED: { severity: 'error', summary: '--save could not write the config file.' },
  CRON_STATE_INVALID: { severity: 'error', summary: 'The cron state file in data_dir is corrupt or not ours (never reset silently).' },
  CRON_DATA_DIR_UNUSABLE: { severity: 'error', summary: 'The cron state directory under data_dir cannot be created.' },
  CRON_DATA_DIR_LOCKED: { severity: 'error', summary: 'Another running master schedules cron jobs from the same data_dir.' },
  CONFIG_UNKNOWN_KEY: { severity: 'warning', summary: 'A key that neither Odoo nor odoo-prefork knows (typo?).' },
  CONFIG_DEPRECATED_ALIAS: { severity: 'warning', summary: 'An old name of a key (longpolling_port → gevent_port).' },
  CONFIG_EMPTY_FILE: { severity: 'warning', summary: 'The config file holds no options at all.' },
  LIMIT_SOFT_ABOVE_HARD: { severity: 'warning', summary: 'limit_memory_soft is not below limit_memory_hard.' },
  LIMIT_BELOW_WORKER_FOOTPRINT: {
    severity: 'warning',
    summary: "A memory limit below a fresh worker's RSS: every worker would recycle (soft) or be killed (hard) at once.",
  },
  LIMIT_HARD_ABOVE_RAM: {
    severity: 'warning',
    summary: 'workers × limit_memory_hard exceeds the RAM: the OOM killer, not the limit, would decide.',
  },
  PLATFORM_NO_PREFORK: { severity: 'warning', summary: 'workers > 0 on a platform without prefork support: threaded mode is used.' },
  LIMIT_DISABLED: { severity: 'info', summary: 'A limit set to 0 is disabled (in Odoo, limit_time_real = 0 kills every worker).' },
  CONFIG_ODOO_KEYS_IGNORED: { severity: 'info', summary: 'Odoo keys that odoo-prefork reads but has no use for (database, addons, mail…).' },
  CONFIG_UNSET_WORD: { severity: 'info', summary: 'False / None / empty on a non-boolean key: the default applies.' },
} as const satisfies Record<string, { severity: Severity; summary: string }>;

export type DiagnosticCode = keyof typeof DIAGNOSTICS;

export interface Where {
  file?: string;
  line?: number;
  key?: string;
  flag?: string;
  hint?: string;
}

export interface Diagnostic extends Where {
  code: DiagnosticCode;
  severity: Severity;
  message: string;
}

export function diagnostic(code: DiagnosticCode, message: string, where: Where = {}): Diagnostic {
  return { code, severity: DIAGNOSTICS[code].severity, message, ...where };
}

/** A configuration problem that stops the program (exit code 2). */
export class ConfigError extends Error {
  readonly diagnostic: Diagnostic;
  constructor(code: DiagnosticCode, message: string, where: Where = {}) {
    super(message);
    this.name = 'ConfigError';
    this.diagnostic = diagnostic(code, message, where);
  }
}

/** Where a diagnostic points, as a prefix: `file:line: key: `, or `--flag: `. */
export function diagnosticPlace(d: Diagnostic): string {
  const place = d.file ? `${d.file}${d.line ? `:${d.line}` : ''}: ` : d.flag ? `${d.flag}: ` : '';
  return `${place}${d.key && !d.flag ? `${d.key}: ` : ''}`;
}

/** One line a human reads: `file:line: key: message` then the fix on its own line. */
export function formatDiagnostic(d: Diagnostic): string {
  const hint = d.hint ? `\n  fix: ${d.hint}` : '';
  return `${diagnosticPlace(d)}${d.message} [${d.code}]${hint}`;
}

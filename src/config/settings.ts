/**
 * The settings table: every option declared once, as data. The config-file reader, the command
 * line, `--save`, validation and docs/settings.md are all derived from it (gunicorn's idea).
 *
 * Keys, flags and defaults are Odoo's (odoo/tools/config.py, 16.0–18.0) unless `odoo` is false.
 */
import { parseBoolean, parseInteger, parseSeconds, parseSize, ValueError } from './values.js';

export const LOG_LEVELS = [
  'info',
  'debug_rpc',
  'warn',
  'test',
  'critical',
  'runbot',
  'debug_sql',
  'error',
  'debug',
  'debug_rpc_answer',
  'notset',
] as const;
export type OdooLogLevel = (typeof LOG_LEVELS)[number];

export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface Settings {
  workers: number;
  max_cron_threads: number;
  limit_memory_soft: number;
  limit_memory_hard: number;
  limit_memory_soft_gevent: number | null;
  limit_memory_hard_gevent: number | null;
  limit_request: number;
  limit_time_cpu: number;
  limit_time_real: number;
  limit_time_real_cron: number;
  http_enable: boolean;
  http_interface: string;
  http_port: number;
  gevent_port: number;
  proxy_mode: boolean;
  db_maxconn: number;
  longpolling_timeout: number;
  bus_retention: number;
  proxy_longpolling: boolean;
  data_dir: string;
  pidfile: string;
  logfile: string;
  log_level: OdooLogLevel;
  limit_request_jitter: number;
  limit_check_interval: number;
  app: string;
  http_queue_size: number | 'auto';
  http_queue_timeout: number;
  log_format: LogFormat;
}

export type SettingKey = keyof Settings;
export type SettingValue = Settings[SettingKey];

export type SettingGroup = 'multiprocessing' | 'http' | 'logging' | 'application';

export interface SettingSpec {
  key: SettingKey;
  /** Long command-line flag; Odoo's spelling (`_` → `-`). */
  flag: string;
  short?: string;
  /** For booleans that are switched off from the command line (Odoo's `--no-http`). */
  negatedFlag?: string;
  /** Older names still read from files and flags, with a deprecation warning. */
  aliases?: { key: string; flag: string; note: string }[];
  valueName: string;
  group: SettingGroup;
  /** True when Odoo has this option with this meaning. */
  odoo: boolean;
  default: SettingValue;
  /** How the default is shown in docs when it is not self-explanatory. */
  defaultText?: string;
  unit?: 'bytes' | 'seconds' | 'requests' | 'processes' | 'connections';
  /** Converts the text of a value (already known not to be an "unset" word). */
  parse: (text: string) => SettingValue;
  /** Writes the value back as config-file text (for --save); inverse of `parse`. */
  format?: (value: SettingValue) => string;
  help: string;
}

function integerAtLeast(min: number, what: string, max = Number.MAX_SAFE_INTEGER) {
  return (text: string): number => {
    const value = parseInteger(text);
    if (value < min) throw new ValueError(`${what} must be ${min} or more, got ${value}`, `write a number ≥ ${min}`);
    if (value > max) throw new ValueError(`${what} must be at most ${max}, got ${value}`, `write a number ≤ ${max} (odoo-prefork plan sizes a server)`);
    return value;
  };
}

/** More processes than this on one host is a typo, not a plan (and would fork that many). */
const MAX_PROCESSES = 1024;

function secondsLimit(allowMinusOne: boolean) {
  return (text: string): number => {
    const value = parseSeconds(text);
    if (allowMinusOne && value === -1) return value;
    if (value < 0) {
      throw new ValueError(
        `a time limit cannot be negative (got ${value})`,
        allowMinusOne ? 'write -1 (use limit_time_real), 0 (no limit) or a number of seconds' : 'write 0 (no limit) or a number of seconds',
      );
    }
    return value;
  };
}

/** Seconds within bounds, for odoo-prefork's own timing settings (0 is not "disabled" for these). */
function secondsWithin(key: string, min: number, max: number, example: string, minExclusive = false) {
  return (text: string): number => {
    const value = parseSeconds(text);
    if ((minExclusive ? value <= min : value < min) || value > max) {
      const range = max === Infinity ? `above ${min}` : `${minExclusive ? `above ${min} and at most` : `between ${min} and`} ${max} s`;
      throw new ValueError(`${key} must be ${range}, got ${value}`, `write e.g. ${example}`);
    }
    return value;
  };
}

function port(text: string): number {
  const value = parseInteger(text);
  if (value < 0 || value > 65535) {
    throw new ValueError(`port ${value} is out of range`, 'write a TCP port between 1 and 65535 (0 picks a free port)');
  }
  return value;
}

function choice<T extends string>(choices: readonly T[]) {
  return (text: string): T => {
    const value = text.trim();
    if ((choices as readonly string[]).includes(value)) return value as T;
    throw new ValueError(`invalid choice ${JSON.stringify(value)}`, `write one of: ${choices.join(', ')}`);
  };
}

function text(value: string): string {
  return value.trim();
}

function queueSize(value: string): number | 'auto' {
  if (value.trim().toLowerCase() === 'auto') return 'auto';
  return integerAtLeast(0, 'http_queue_size')(value);
}

const formatBoolean = (value: SettingValue) => (value ? 'True' : 'False');

export const SETTINGS: readonly SettingSpec[] = [
  // ---------------------------------------------------------------- multiprocessing
  {
    key: 'workers',
    flag: '--workers',
    valueName: '<count>',
    group: 'multiprocessing',
    odoo: true,
    default: 0,
    unit: 'processes',
    parse: integerAtLeast(0, 'workers', MAX_PROCESSES),
    help: 'Number of HTTP worker processes. 0 runs the threaded (single-process) server; > 0 runs the prefork server (Linux only).',
  },
  {
    key: 'max_cron_threads',
    flag: '--max-cron-threads',
    valueName: '<count>',
    group: 'multiprocessing',
    odoo: true,
    default: 2,
    unit: 'processes',
    parse: integerAtLeast(0, 'max_cron_threads', MAX_PROCESSES),
    help: 'Number of cron workers (prefork) or cron threads (threaded mode).',
  },
  {
    key: 'limit_memory_soft',
    flag: '--limit-memory-soft',
    valueName: '<bytes>',
    group: 'multiprocessing',
    odoo: true,
    default: 2147483648,
    defaultText: '2147483648 (2048 MiB)',
    unit: 'bytes',
    parse: parseSize,
    help: 'A worker whose RSS is above this after a request finishes that request, then exits and is replaced. 0 disables. Accepts binary units (1536MiB).',
  },
  {
    key: 'limit_memory_hard',
    flag: '--limit-memory-hard',
    valueName: '<bytes>',
    group: 'multiprocessing',
    odoo: true,
    default: 2684354560,
    defaultText: '2684354560 (2560 MiB)',
    unit: 'bytes',
    parse: parseSize,
    help: 'A worker whose RSS goes above this is killed at once by the master. 0 disables. Accepts binary units (3GiB).',
  },
  {
    key: 'limit_memory_soft_gevent',
    flag: '--limit-memory-soft-gevent',
    valueName: '<bytes>',
    group: 'multiprocessing',
    odoo: true,
    default: null,
    defaultText: 'None (use limit_memory_soft)',
    unit: 'bytes',
    parse: parseSize,
    help: 'limit_memory_soft for the long-polling worker. Unset: falls back to limit_memory_soft.',
  },
  {
    key: 'limit_memory_hard_gevent',
    flag: '--limit-memory-hard-gevent',
    valueName: '<bytes>',
    group: 'multiprocessing',
    odoo: true,
    default: null,
    defaultText: 'None (use limit_memory_hard)',
    unit: 'bytes',
    parse: parseSize,
    help: 'limit_memory_hard for the long-polling worker. Unset: falls back to limit_memory_hard.',
  },
  {
    key: 'limit_request',
    flag: '--limit-request',
    valueName: '<count>',
    group: 'multiprocessing',
    odoo: true,
    default: 65536,
    unit: 'requests',
    parse: integerAtLeast(0, 'limit_request'),
    help: 'Requests a worker serves before it exits and is replaced. 0 disables. (Odoo before mid-16.0: 8192.)',
  },
  {
    key: 'limit_time_cpu',
    flag: '--limit-time-cpu',
    valueName: '<seconds>',
    group: 'multiprocessing',
    odoo: true,
    default: 60,
    unit: 'seconds',
    parse: secondsLimit(false),
    help: 'CPU seconds one request may use. 0 disables.',
  },
  {
    key: 'limit_time_real',
    flag: '--limit-time-real',
    valueName: '<seconds>',
    group: 'multiprocessing',
    odoo: true,
    default: 120,
    unit: 'seconds',
    parse: secondsLimit(false),
    help: 'Wall-clock seconds one request may take before the master kills the worker. 0 disables (unlike Odoo, where 0 kills every worker).',
  },
  {
    key: 'limit_time_real_cron',
    flag: '--limit-time-real-cron',
    valueName: '<seconds>',
    group: 'multiprocessing',
    odoo: true,
    default: -1,
    unit: 'seconds',
    parse: secondsLimit(true),
    help: 'Wall-clock seconds one cron job may take. -1 uses limit_time_real, 0 disables.',
  },
  {
    key: 'limit_request_jitter',
    flag: '--limit-request-jitter',
    valueName: '<count>',
    group: 'multiprocessing',
    odoo: false,
    default: 0,
    unit: 'requests',
    parse: integerAtLeast(0, 'limit_request_jitter'),
    help: "Each worker's limit_request is raised by a random 0..N, so workers do not all recycle at once (gunicorn's max_requests_jitter).",
  },
  {
    key: 'limit_check_interval',
    flag: '--limit-check-interval',
    valueName: '<seconds>',
    group: 'multiprocessing',
    odoo: false,
    default: 0.1,
    unit: 'seconds',
    parse: secondsWithin('limit_check_interval', 0.005, 60, '0.1'),
    help: "How often the master samples every worker's RSS and CPU time (limit_memory_hard, limit_time_cpu, and limit_memory_soft while idle). Odoo's kernel rlimits have no interval; this is the price of doing it from outside.",
  },
  // ---------------------------------------------------------------- http
  {
    key: 'http_enable',
    flag: '--http',
    negatedFlag: '--no-http',
    valueName: '<bool>',
    group: 'http',
    odoo: true,
    default: true,
    parse: parseBoolean,
    format: formatBoolean,
    help: 'Serve HTTP (default). --no-http / http_enable = False starts neither the HTTP listener nor the long-polling worker: a cron-only node.',
  },
  {
    key: 'http_interface',
    flag: '--http-interface',
    valueName: '<address>',
    group: 'http',
    odoo: true,
    default: '',
    defaultText: "'' (all interfaces)",
    parse: text,
    help: 'Address the HTTP listener binds to. Empty: all interfaces.',
  },
  {
    key: 'http_port',
    flag: '--http-port',
    short: '-p',
    valueName: '<port>',
    group: 'http',
    odoo: true,
    default: 8069,
    parse: port,
    help: 'HTTP port.',
  },
  {
    key: 'gevent_port',
    flag: '--gevent-port',
    aliases: [
      {
        key: 'longpolling_port',
        flag: '--longpolling-port',
        note: 'longpolling_port is the pre-16.0 name of gevent_port (deprecated in Odoo 16–17, removed in 18)',
      },
    ],
    valueName: '<port>',
    group: 'http',
    odoo: true,
    default: 8072,
    parse: port,
    help: 'Port of the long-polling / websocket worker (prefork mode).',
  },
  {
    key: 'proxy_mode',
    flag: '--proxy-mode',
    valueName: '<bool>',
    group: 'http',
    odoo: true,
    default: false,
    parse: parseBoolean,
    format: formatBoolean,
    help: 'Behind a reverse proxy: the address the app sees (req.socket.remoteAddress) is taken from the last X-Forwarded-For entry.',
  },
  {
    key: 'longpolling_timeout',
    flag: '--longpolling-timeout',
    valueName: '<seconds>',
    group: 'http',
    odoo: false,
    default: 50,
    unit: 'seconds',
    parse: secondsWithin('longpolling_timeout', 0, 3600, '50 (Odoo waits 50 s)', true),
    help: 'How long a /longpolling/poll request waits for a message before it answers [] (Odoo: 50 s).',
  },
  {
    key: 'bus_retention',
    flag: '--bus-retention',
    valueName: '<seconds>',
    group: 'http',
    odoo: false,
    default: 120,
    unit: 'seconds',
    parse: secondsWithin('bus_retention', 0, Infinity, '120', true),
    help: 'Seconds bus messages are kept (the window also holds at most 10000 messages and 64 MiB), so a client that reconnects with its last id gets what it missed — also across a restart of the long-polling worker.',
  },
  {
    key: 'proxy_longpolling',
    flag: '--proxy-longpolling',
    negatedFlag: '--no-proxy-longpolling',
    valueName: '<bool>',
    group: 'http',
    odoo: false,
    default: true,
    parse: parseBoolean,
    format: formatBoolean,
    help: 'In prefork mode the master forwards /websocket and /longpolling/ requests on http_port to the long-polling worker, so they never hold an HTTP worker. False: it answers 404 naming gevent_port (route them in nginx, as Odoo requires).',
  },
  {
    key: 'db_maxconn',
    flag: '--db_maxconn',
    valueName: '<count>',
    group: 'http',
    odoo: true,
    default: 64,
    unit: 'connections',
    parse: integerAtLeast(1, 'db_maxconn'),
    help: "Odoo's database pool size per process. Accepted and validated for compatibility; odoo-prefork itself opens no database connections.",
  },
  // ---------------------------------------------------------------- logging and process
  {
    key: 'data_dir',
    flag: '--data-dir',
    short: '-D',
    valueName: '<dir>',
    group: 'logging',
    odoo: true,
    default: '~/.local/share/Odoo',
    parse: text,
    help: "Odoo's data directory. odoo-prefork keeps the cron schedule there (odoo-prefork/cron-state.json), so it survives restarts. ~ is expanded.",
  },
  {
    key: 'pidfile',
    flag: '--pidfile',
    valueName: '<path>',
    group: 'logging',
    odoo: true,
    default: '',
    parse: text,
    help: "File where the master's pid is written at start and removed at exit.",
  },
  {
    key: 'logfile',
    flag: '--logfile',
    valueName: '<path>',
    group: 'logging',
    odoo: true,
    default: '',
    defaultText: "'' (standard error, as Odoo)",
    parse: text,
    help: 'File the log is appended to. Empty: standard error.',
  },
  {
    key: 'log_level',
    flag: '--log-level',
    valueName: '<level>',
    group: 'logging',
    odoo: true,
    default: 'info',
    parse: choice(LOG_LEVELS),
    help: `Log level: ${LOG_LEVELS.join(', ')}.`,
  },
  {
    key: 'log_format',
    flag: '--log-format',
    valueName: '<format>',
    group: 'logging',
    odoo: false,
    default: 'text',
    parse: choice(LOG_FORMATS),
    help: "text: Odoo's log line format; json: one pino JSON object per line, with structured fields.",
  },
  // ---------------------------------------------------------------- odoo-prefork's own
  {
    key: 'app',
    flag: '--app',
    valueName: '<module>',
    group: 'application',
    odoo: false,
    default: '',
    defaultText: "'' (the built-in demo app)",
    parse: text,
    help: 'Module whose default export is a Node request listener (req, res); an Express app works as is. Loaded once per worker. Empty: the built-in demo app.',
  },
  {
    key: 'http_queue_size',
    flag: '--http-queue-size',
    valueName: '<count>',
    group: 'application',
    odoo: false,
    default: 'auto',
    defaultText: 'auto: 8 × workers (the listen backlog Odoo asks for), at least 100 (Passenger\'s default queue)',
    unit: 'requests',
    parse: queueSize,
    help: 'Requests the master holds while every HTTP worker is busy. Beyond it, 503 with Retry-After. 0: unbounded.',
  },
  {
    key: 'http_queue_timeout',
    flag: '--http-queue-timeout',
    valueName: '<seconds>',
    group: 'application',
    odoo: false,
    default: 60,
    unit: 'seconds',
    parse: secondsLimit(false),
    help: 'Seconds a request may wait in the queue for a free worker before the master answers 503. 0 disables.',
  },
];

export const SETTINGS_BY_KEY: ReadonlyMap<string, SettingSpec> = new Map(SETTINGS.map((spec) => [spec.key, spec]));

/** Alias key (e.g. longpolling_port) → the setting it names. */
export const ALIASES: ReadonlyMap<string, { spec: SettingSpec; note: string }> = new Map(
  SETTINGS.flatMap((spec) => (spec.aliases ?? []).map((alias) => [alias.key, { spec, note: alias.note }] as const)),
);

/** data_dir with ~ expanded, as Odoo expands it. */
export function resolveDataDir(settings: Pick<Settings, 'data_dir'>, home: string): string {
  return settings.data_dir === '~' || settings.data_dir.startsWith('~/') ? home + settings.data_dir.slice(1) : settings.data_dir;
}

/** The request queue bound that `http_queue_size = auto` stands for. */
export function effectiveQueueSize(settings: Pick<Settings, 'http_queue_size' | 'workers'>): number {
  if (settings.http_queue_size !== 'auto') return settings.http_queue_size;
  return Math.max(100, 8 * settings.workers);
}

export function defaultSettings(): Settings {
  return Object.fromEntries(SETTINGS.map((spec) => [spec.key, spec.default])) as unknown as Settings;
}

/**
 * Words that mean "not set": Odoo's --save writes `False` and `None` for unset options, and
 * `key = ` for empty ones. On a non-boolean key all three keep the default (None for the *_gevent
 * keys, i.e. "fall back"), which is what Odoo 17+ does for a non-boolean key reading 'False'. On a
 * boolean key `False` is a value; only `None` and empty mean "not set".
 */
export function isUnsetWord(text: string, boolean = false): boolean {
  const word = text.trim();
  return word === '' || word === 'None' || (!boolean && word === 'False');
}

export function formatValue(spec: SettingSpec, value: SettingValue): string {
  if (value === null) return 'None';
  if (spec.format) return spec.format(value);
  return String(value);
}

/**
 * Option keys of Odoo that odoo-prefork reads without using (addons, database, mail, …), so a
 * real Odoo config file loads without a warning per line. Includes keys of older versions.
 */
export const ODOO_KEYS_NOT_USED: ReadonlySet<string> = new Set([
  'addons_path', 'admin_passwd', 'csv_internal_sep', 'db_app_name', 'db_host',
  'db_maxconn_gevent', 'db_name', 'db_password', 'db_port', 'db_replica_host', 'db_replica_port', 'db_sslmode',
  'db_template', 'db_user', 'dbfilter', 'debug_mode', 'demo', 'dev_mode', 'email_from', 'from_filter',
  'geoip_city_db', 'geoip_country_db', 'geoip_database', 'import_partial', 'language', 'limit_time_worker_cron',
  'list_db', 'load_language', 'log_db', 'log_db_level', 'log_handler', 'netrpc', 'netrpc_interface',
  'netrpc_port', 'osv_memory_age_limit', 'osv_memory_count_limit', 'overwrite_existing_translations', 'pg_path',
  'pre_upgrade_scripts', 'publisher_warranty_url', 'reportgz', 'screencasts', 'screenshots', 'server_wide_modules',
  'shell_interface', 'smtp_password', 'smtp_port', 'smtp_server', 'smtp_ssl', 'smtp_ssl_certificate_filename',
  'smtp_ssl_private_key_filename', 'smtp_user', 'stop_after_init', 'syslog', 'test_enable', 'test_file',
  'test_tags', 'timezone', 'transient_age_limit', 'translate_in', 'translate_modules', 'translate_out', 'unaccent',
  'upgrade_path', 'websocket_keep_alive_timeout', 'websocket_rate_limit_burst', 'websocket_rate_limit_delay',
  'with_demo', 'without_demo', 'x_sendfile', 'xmlrpc', 'xmlrpc_interface', 'xmlrpc_port', 'xmlrpcs',
  'xmlrpcs_interface', 'xmlrpcs_port',
]);

/** Command-line-only options that Odoo ignores when they appear in a file. */
export const ODOO_CLI_ONLY_KEYS: ReadonlySet<string> = new Set(['config', 'save', 'init', 'update']);

/**
 * Odoo's other command-line flags: accepted and ignored (with a note), so an Odoo command line
 * can be pasted as is. `true`: the flag takes a value.
 */
export const ODOO_FLAGS_NOT_USED: ReadonlyMap<string, boolean> = new Map([
  ['-i, --init', true], ['-u, --update', true], ['-P, --import-partial', true], ['--load', true],
  ['--addons-path', true], ['--upgrade-path', true], ['--pre-upgrade-scripts', true], ['--db-filter', true],
  ['--test-file', true], ['--test-tags', true], ['--screencasts', true], ['--screenshots', true], ['--log-handler', true],
  ['--log-db', true], ['--log-db-level', true], ['--email-from', true], ['--from-filter', true], ['--smtp', true],
  ['--smtp-port', true], ['--smtp-user', true], ['--smtp-password', true], ['--smtp-ssl-certificate-filename', true],
  ['--smtp-ssl-private-key-filename', true], ['-d, --database', true], ['-r, --db_user', true], ['-w, --db_password', true],
  ['--pg_path', true], ['--db_host', true], ['--db_port', true], ['--db_sslmode', true], ['--db_maxconn_gevent', true],
  ['--db-template', true], ['--db_replica_host', true], ['--db_replica_port', true], ['--db_app_name', true],
  ['--load-language', true], ['-l, --language', true], ['--i18n-export', true], ['--i18n-import', true], ['--modules', true],
  ['--dev', true], ['--osv-memory-count-limit', true], ['--transient-age-limit', true], ['--geoip-city-db', true],
  ['--geoip-country-db', true], ['--geoip-db', true], ['--limit-time-worker-cron', true], ['--without-demo', true],
  ['--shell-interface', true], ['--websocket-keep-alive-timeout', true], ['--websocket-rate-limit-burst', true],
  ['--websocket-rate-limit-delay', true], ['--with-demo', false], ['--x-sendfile', false], ['--log-web', false],
  ['--log-sql', false], ['--smtp-ssl', false], ['--i18n-overwrite', false], ['--no-database-list', false],
  ['--stop-after-init', false], ['--unaccent', false], ['--test-enable', false], ['--syslog', false],
]);

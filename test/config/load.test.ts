import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSettings } from '../../src/config/checks.js';
import { ConfigError, type Diagnostic } from '../../src/config/diagnostics.js';
import { loadConfig, type FlagValue } from '../../src/config/load.js';
import { defaultSettings, type Settings } from '../../src/config/settings.js';
import { fixture, NON_DEFAULT_PROCESS_VALUES } from '../helpers/fixtures.js';

const NO_ENV = { env: {}, homedir: '' };
const FOOTPRINT = { rss: 50 * 1024 * 1024, source: 'test' };

function load(name: string, flags: FlagValue[] = []) {
  return loadConfig({ configPath: fixture(name), flags, ...NO_ENV });
}

function errorOf(action: () => unknown): Diagnostic {
  try {
    action();
  } catch (error) {
    if (error instanceof ConfigError) return error.diagnostic;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

function codes(diagnostics: readonly Diagnostic[], severity?: string): string[] {
  return diagnostics.filter((d) => !severity || d.severity === severity).map((d) => d.code);
}

const DEFAULTS = defaultSettings();

/** The process-model keys of the fixture README's matrix, in our names. */
function processKeys(s: Settings) {
  return {
    workers: s.workers,
    max_cron_threads: s.max_cron_threads,
    limit_memory_soft: s.limit_memory_soft,
    limit_memory_hard: s.limit_memory_hard,
    limit_memory_soft_gevent: s.limit_memory_soft_gevent,
    limit_memory_hard_gevent: s.limit_memory_hard_gevent,
    limit_request: s.limit_request,
    limit_time_cpu: s.limit_time_cpu,
    limit_time_real: s.limit_time_real,
    limit_time_real_cron: s.limit_time_real_cron,
    http_port: s.http_port,
    gevent_port: s.gevent_port,
    db_maxconn: s.db_maxconn,
    proxy_mode: s.proxy_mode,
    http_enable: s.http_enable,
    http_interface: s.http_interface,
    logfile: s.logfile,
    pidfile: s.pidfile,
    log_level: s.log_level,
  };
}

const ODOO_DEFAULTS = processKeys(DEFAULTS);

describe('fixtures from real Odoo deployments', () => {
  it('odoo-empty.conf: every value is the default', () => {
    const config = load('odoo-empty.conf');
    expect(processKeys(config.settings)).toEqual(ODOO_DEFAULTS);
    expect(codes(config.diagnostics, 'warning')).toEqual([]);
  });

  it('odoo-16.0-saved.conf: old --save output loads with the 16.0 values and no warning', () => {
    const config = load('odoo-16.0-saved.conf');
    expect(processKeys(config.settings)).toEqual(ODOO_DEFAULTS);
    expect(codes(config.diagnostics, 'warning')).toEqual([]);
    expect(config.origins.limit_request).toMatchObject({ kind: 'file', line: 27 });
    // Legacy keys are known Odoo keys: kept for --save, reported once as unused.
    expect(config.otherKeys.map((e) => e.key)).toEqual(expect.arrayContaining(['demo', 'geoip_database', 'osv_memory_age_limit']));
  });

  it('odoo-non-default.conf: every process key takes its non-default value', () => {
    const config = load('odoo-non-default.conf');
    expect(processKeys(config.settings)).toEqual(NON_DEFAULT_PROCESS_VALUES);
    // config/save/init/update in a file are ignored, as Odoo does; no key is unknown.
    expect(codes(config.diagnostics, 'warning')).toEqual([]);
    // 1 MiB limits are far below what a Node worker needs.
    expect(codes(checkSettings(config, FOOTPRINT), 'warning')).toEqual([
      'LIMIT_BELOW_WORKER_FOOTPRINT',
      'LIMIT_BELOW_WORKER_FOOTPRINT',
      'LIMIT_BELOW_WORKER_FOOTPRINT',
      'LIMIT_BELOW_WORKER_FOOTPRINT',
    ]);
  });

  it('limit-memory-units.conf: binary units, and the command line overrides them', () => {
    const config = load('limit-memory-units.conf');
    expect(config.settings.limit_memory_hard).toBe(3221225472);
    expect(config.settings.limit_memory_soft).toBe(1610612736);
    const overridden = load('limit-memory-units.conf', [
      { key: 'limit_memory_hard', flag: '--limit-memory-hard', value: '4GiB' },
      { key: 'limit_memory_soft', flag: '--limit-memory-soft', value: '3GiB' },
    ]);
    expect(overridden.settings.limit_memory_hard).toBe(4294967296);
    expect(overridden.settings.limit_memory_soft).toBe(3221225472);
    expect(overridden.origins.limit_memory_hard).toEqual({ kind: 'flag', flag: '--limit-memory-hard' });
  });

  it('odoo-save-posix.conf: the defaults Odoo serialises, None for the *_gevent keys', () => {
    const config = load('odoo-save-posix.conf');
    expect(processKeys(config.settings)).toEqual({ ...ODOO_DEFAULTS, http_interface: '0.0.0.0' });
    expect(config.settings.limit_memory_soft_gevent).toBeNull();
    expect(codes(config.diagnostics, 'warning')).toEqual([]);
  });

  it('debian-odoo.conf and docker-16.0-odoo.conf: only non-process keys, so all defaults', () => {
    for (const name of ['debian-odoo.conf', 'docker-16.0-odoo.conf']) {
      const config = load(name);
      expect(processKeys(config.settings)).toEqual(ODOO_DEFAULTS);
      expect(codes(config.diagnostics, 'warning')).toEqual([]);
      expect(codes(config.diagnostics)).toContain('CONFIG_ODOO_KEYS_IGNORED');
    }
  });

  it('compose-template-odoo.conf: a 400-line commented file with 5 active keys', () => {
    const config = load('compose-template-odoo.conf');
    expect(processKeys(config.settings)).toEqual({ ...ODOO_DEFAULTS, logfile: '/etc/odoo/odoo-server.log' });
    expect(codes(config.diagnostics, 'warning')).toEqual([]);
  });

  it('seed-deploy-example.conf: the deploy docs example', () => {
    const config = load('seed-deploy-example.conf');
    expect(config.settings).toMatchObject({
      workers: 8,
      max_cron_threads: 1,
      limit_memory_soft: 629145600,
      limit_memory_hard: 1677721600,
      limit_time_cpu: 600,
      limit_time_real: 1200,
      limit_request: 8192,
    });
    expect(codes(config.diagnostics, 'warning')).toEqual([]);
  });

  it('camptocamp-odoo.cfg.tmpl raw: refused as an unrendered template at its first template line', () => {
    const d = errorOf(() => load('camptocamp-odoo.cfg.tmpl'));
    expect(d).toMatchObject({ code: 'CONFIG_TEMPLATE', line: 2 });
    expect(d.hint).toMatch(/render it first/);
  });

  it('camptocamp-odoo.cfg.tmpl rendered with its defaults: workers 4, limit_request 8192, limit_time_real_cron 120', () => {
    const rendered = readFileSync(fixture('camptocamp-odoo.cfg.tmpl'), 'utf8')
      .replace(/\{\{ default \.Env\.\w+ "((?:[^"\\]|\\.)*)" \}\}/g, '$1')
      .replace(/\{\{ \.Env\.\w+ \}\}/g, '');
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'odoo-prefork-')), 'odoo.cfg');
    writeFileSync(file, rendered);
    const config = loadConfig({ configPath: file, ...NO_ENV });
    expect(config.settings).toMatchObject({ workers: 4, limit_request: 8192, limit_time_real_cron: 120, proxy_mode: true, logfile: '' });
    const unknown = config.diagnostics.filter((d) => d.code === 'CONFIG_UNKNOWN_KEY').map((d) => d.key);
    expect(unknown).toEqual(['auto_reload', 'logrotate', 'running_env']);
  });

  it('doodba-60-performance.conf: a fragment without [options], recognised as such', () => {
    const d = errorOf(() => load('doodba-60-performance.conf'));
    expect(d).toMatchObject({ code: 'CONFIG_NO_SECTION_HEADER', line: 1, key: 'max_cron_threads' });
    expect(d.hint).toMatch(/conf\.d fragment/);
  });
});

describe('layers and sources', () => {
  function tempConfig(text: string): string {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'odoo-prefork-')), 'odoo.conf');
    writeFileSync(file, text);
    return file;
  }

  it('command line beats file beats default, and every value knows where it came from', () => {
    const file = tempConfig('[options]\nworkers = 3\nlimit_time_real = 30\n');
    const config = loadConfig({ configPath: file, flags: [{ key: 'workers', flag: '--workers', value: '7' }], ...NO_ENV });
    expect(config.settings.workers).toBe(7);
    expect(config.settings.limit_time_real).toBe(30);
    expect(config.settings.limit_time_cpu).toBe(60);
    expect(config.origins.workers).toEqual({ kind: 'flag', flag: '--workers' });
    expect(config.origins.limit_time_real).toEqual({ kind: 'file', file, line: 3, via: '-c' });
    expect(config.origins.limit_time_cpu).toEqual({ kind: 'default' });
  });

  it('finds the file through $ODOO_RC, then ~/.odoorc', () => {
    const file = tempConfig('[options]\nworkers = 2\n');
    expect(loadConfig({ env: { ODOO_RC: file }, homedir: '' }).file).toMatchObject({ path: file, via: 'ODOO_RC' });
    const home = path.dirname(tempConfig(''));
    writeFileSync(path.join(home, '.odoorc'), '[options]\nworkers = 4\n');
    const fromHome = loadConfig({ env: {}, homedir: home });
    expect(fromHome.file).toMatchObject({ via: '~/.odoorc', exists: true });
    expect(fromHome.settings.workers).toBe(4);
    // A missing ~/.odoorc is fine: defaults.
    expect(loadConfig({ env: {}, homedir: path.join(home, 'nowhere') }).settings.workers).toBe(0);
  });

  it('False, None and empty on a numeric key mean "not set"', () => {
    const file = tempConfig('[options]\nworkers = False\nlimit_memory_soft_gevent = None\nlimit_request = \n');
    const config = loadConfig({ configPath: file, ...NO_ENV });
    expect(config.settings.workers).toBe(0);
    expect(config.settings.limit_memory_soft_gevent).toBeNull();
    expect(config.settings.limit_request).toBe(65536);
    expect(codes(config.diagnostics)).toEqual(['CONFIG_UNSET_WORD', 'CONFIG_UNSET_WORD', 'CONFIG_UNSET_WORD']);
  });

  it('unknown keys warn with a suggestion; longpolling_port warns and still applies', () => {
    const file = tempConfig('[options]\nworkerz = 2\nlongpolling_port = 9072\n');
    const config = loadConfig({ configPath: file, ...NO_ENV });
    const unknown = config.diagnostics.find((d) => d.code === 'CONFIG_UNKNOWN_KEY');
    expect(unknown).toMatchObject({ key: 'workerz', line: 2, hint: 'did you mean "workers"?' });
    expect(config.settings.gevent_port).toBe(9072);
    expect(config.diagnostics.find((d) => d.code === 'CONFIG_DEPRECATED_ALIAS')).toMatchObject({ line: 3, hint: 'rename it to gevent_port' });
  });

  it('gevent_port wins over longpolling_port when both are set', () => {
    const file = tempConfig('[options]\ngevent_port = 8072\nlongpolling_port = 9072\n');
    const config = loadConfig({ configPath: file, ...NO_ENV });
    expect(config.settings.gevent_port).toBe(8072);
    expect(config.diagnostics.find((d) => d.code === 'CONFIG_DEPRECATED_ALIAS')?.message).toMatch(/ignored because gevent_port/);
  });

  it.each([
    ['[options]\nhttp_port = 8070 # c\n', 'CONFIG_INVALID_VALUE', 2, /inline comments/],
    ['[options]\nworkers = $ODOO_WORKERS\n', 'CONFIG_INVALID_VALUE', 2, /environment variable/],
    ['[options]\nlimit_memory_soft = 10kB\n', 'CONFIG_INVALID_VALUE', 2, /ki, Mi, Gi/],
    ['[options]\nlimit_time_real = -5\n', 'CONFIG_INVALID_VALUE', 2, /0 \(no limit\)/],
    ['[options]\nhttp_port = 70000\n', 'CONFIG_INVALID_VALUE', 2, /between 1 and 65535/],
    ['[options]\nlog_level = loud\n', 'CONFIG_INVALID_VALUE', 2, /one of: info/],
    ['[options]\nworkers = 2\nworkers = 3\n', 'CONFIG_DUPLICATE_KEY', 3, /keep one/],
    ['[server]\nworkers = 2\n', 'CONFIG_NO_OPTIONS_SECTION', 1, /\[options\] header/],
    ['[Options]\nworkers = 2\n', 'CONFIG_NO_OPTIONS_SECTION', 1, /case-sensitive/],
    ['workers = 2\n[options]\n', 'CONFIG_NO_SECTION_HEADER', 1, /add an \[options\] line/],
  ])('refuses %j with %s at line %d', (text, code, line, hint) => {
    const file = tempConfig(text);
    const d = errorOf(() => loadConfig({ configPath: file, ...NO_ENV }));
    expect(d).toMatchObject({ code, line, file });
    expect(d.hint).toMatch(hint);
  });

  it('an unreadable -c file is an error unless --save will create it', () => {
    const missing = path.join(os.tmpdir(), 'odoo-prefork-does-not-exist.conf');
    expect(errorOf(() => loadConfig({ configPath: missing, ...NO_ENV }))).toMatchObject({ code: 'CONFIG_FILE_UNREADABLE' });
    expect(loadConfig({ configPath: missing, save: true, ...NO_ENV }).file).toMatchObject({ exists: false });
    const directory = mkdtempSync(path.join(os.tmpdir(), 'odoo-prefork-'));
    expect(errorOf(() => loadConfig({ configPath: directory, ...NO_ENV })).message).toMatch(/directory/);
  });

  it('a comments-only file warns that nothing was read', () => {
    const config = loadConfig({ configPath: tempConfig('; nothing yet\n'), ...NO_ENV });
    expect(codes(config.diagnostics)).toEqual(['CONFIG_EMPTY_FILE']);
  });

  it('invalid flag values name the flag', () => {
    const d = errorOf(() => loadConfig({ flags: [{ key: 'workers', flag: '--workers', value: 'many' }], ...NO_ENV }));
    expect(d).toMatchObject({ code: 'CONFIG_INVALID_VALUE', flag: '--workers', key: 'workers' });
  });
});

describe('cross-field checks', () => {
  function check(text: string) {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'odoo-prefork-')), 'odoo.conf');
    writeFileSync(file, text);
    return checkSettings(loadConfig({ configPath: file, ...NO_ENV }), FOOTPRINT);
  }

  it('warns when the soft memory limit is not below the hard one', () => {
    const warnings = check('[options]\nlimit_memory_soft = 2GiB\nlimit_memory_hard = 1GiB\n');
    expect(warnings.find((d) => d.code === 'LIMIT_SOFT_ABOVE_HARD')).toMatchObject({ key: 'limit_memory_soft', line: 2 });
  });

  it('warns when a limit is below a fresh worker, naming the effect', () => {
    const warnings = check('[options]\nlimit_memory_soft = 10MiB\n');
    expect(warnings.find((d) => d.code === 'LIMIT_BELOW_WORKER_FOOTPRINT')?.message).toMatch(/recycle after each request/);
  });

  it('notes disabled limits and how Odoo differs for limit_time_real', () => {
    const notes = check('[options]\nlimit_time_real = 0\nlimit_request = 0\n');
    expect(notes.filter((d) => d.code === 'LIMIT_DISABLED').map((d) => d.key)).toEqual(['limit_request', 'limit_time_real']);
    expect(notes.find((d) => d.key === 'limit_time_real')?.message).toMatch(/every prefork worker is killed/);
  });

  it('refuses the same port for HTTP and long-polling in prefork mode', () => {
    expect(() => check('[options]\nworkers = 2\nhttp_port = 8072\n')).toThrow(/http_port and gevent_port are both 8072/);
  });
});

describe('workers × limit_memory_hard against the RAM', () => {
  it('warns when every worker at the hard limit would not fit, and says how to fix it', () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'odoo-prefork-')), 'odoo.conf');
    writeFileSync(file, '[options]\nworkers = 8\nmax_cron_threads = 1\nlimit_memory_hard = 2GiB\n');
    const warnings = checkSettings(loadConfig({ configPath: file, ...NO_ENV }), { ...FOOTPRINT, ram: 8 * 1024 ** 3 });
    const warning = warnings.find((d) => d.code === 'LIMIT_HARD_ABOVE_RAM');
    expect(warning?.message).toBe('10 worker processes (8 HTTP + 1 cron + 1 long-polling) × limit_memory_hard (2 GiB) = 20 GiB, more than the 8 GiB of RAM');
    expect(warning?.hint).toMatch(/at most 819.2 MiB/);
    expect(checkSettings(loadConfig({ configPath: file, ...NO_ENV }), { ...FOOTPRINT, ram: 64 * 1024 ** 3 }).some((d) => d.code === 'LIMIT_HARD_ABOVE_RAM')).toBe(false);
  });
});

describe('edge cases found by review', () => {
  function loadText(text: string) {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'odoo-prefork-')), 'odoo.conf');
    writeFileSync(file, text);
    return loadConfig({ configPath: file, ...NO_ENV });
  }

  it('reads files with CR-only line endings, as Python does', () => {
    expect(loadText('[options]\rworkers = 3\rlimit_request = 9\r').settings).toMatchObject({ workers: 3, limit_request: 9 });
  });

  it('refuses absurd process counts', () => {
    expect(errorOf(() => loadText('[options]\nworkers = 99999999999\n'))).toMatchObject({ code: 'CONFIG_INVALID_VALUE', key: 'workers' });
    expect(errorOf(() => loadText('[options]\nmax_cron_threads = 5000\n')).message).toMatch(/at most 1024/);
  });

  it('treats None and empty as "not set" on boolean keys too; False stays a value', () => {
    expect(loadText('[options]\nproxy_mode = None\nhttp_enable =\n').settings).toMatchObject({ proxy_mode: false, http_enable: true });
    expect(loadText('[options]\nhttp_enable = False\n').settings.http_enable).toBe(false);
  });
});

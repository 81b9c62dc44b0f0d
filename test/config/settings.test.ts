import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SETTINGS, formatValue, ODOO_KEYS_NOT_USED } from '../../src/config/settings.js';
import { renderSettingsDoc } from '../../src/cli/settings-doc.js';

describe('the settings table', () => {
  it('every default survives its own parser (format → parse round trip)', () => {
    for (const spec of SETTINGS) {
      if (spec.default === null) continue;
      expect(spec.parse(formatValue(spec, spec.default)), spec.key).toEqual(spec.default);
    }
  });

  it('has Odoo defaults for Odoo keys', () => {
    const byKey = Object.fromEntries(SETTINGS.map((s) => [s.key, s.default]));
    expect(byKey).toMatchObject({
      workers: 0,
      max_cron_threads: 2,
      limit_memory_soft: 2147483648,
      limit_memory_hard: 2684354560,
      limit_memory_soft_gevent: null,
      limit_memory_hard_gevent: null,
      limit_request: 65536,
      limit_time_cpu: 60,
      limit_time_real: 120,
      limit_time_real_cron: -1,
      http_port: 8069,
      http_interface: '',
      gevent_port: 8072,
      http_enable: true,
      proxy_mode: false,
      db_maxconn: 64,
      log_level: 'info',
    });
  });

  it('flags are the key with _ → - (Odoo spelling), or Odoo\'s own exceptions', () => {
    for (const spec of SETTINGS) {
      if (spec.negatedFlag) continue;
      const expected = spec.key === 'db_maxconn' ? '--db_maxconn' : `--${spec.key.replace(/_/g, '-')}`;
      expect(spec.flag, spec.key).toBe(expected);
    }
  });

  it('no key is both ours and in the ignored Odoo list', () => {
    for (const spec of SETTINGS) expect(ODOO_KEYS_NOT_USED.has(spec.key), spec.key).toBe(false);
  });

  it('docs/settings.md is up to date (run `npm run docs` after changing the table)', () => {
    const committed = readFileSync(path.join(__dirname, '..', '..', 'docs', 'settings.md'), 'utf8');
    expect(committed).toBe(renderSettingsDoc());
  });
});

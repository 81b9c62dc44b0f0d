import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { renderConfig, saveConfig } from '../../src/config/save.js';
import { fixture } from '../helpers/fixtures.js';

describe('--save', () => {
  it('writes every option sorted, None for unset, and reads back to the same values', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'odoo-prefork-'));
    const file = path.join(dir, 'odoo.conf');
    const config = loadConfig({ configPath: file, save: true, env: {}, homedir: '', flags: [{ key: 'workers', flag: '--workers', value: '3' }] });
    saveConfig(config, file);
    const text = readFileSync(file, 'utf8');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const keys = text.split('\n').filter((l) => l.includes(' = ')).map((l) => l.split(' = ')[0]);
    expect(keys).toEqual([...keys].sort());
    expect(text).toMatch(/^\[options\]\n/);
    expect(text).toContain('workers = 3\n');
    expect(text).toContain('limit_memory_soft_gevent = None\n');
    expect(text).toContain('http_enable = True\n');
    expect(text).toContain('http_interface = \n');
    const again = loadConfig({ configPath: file, env: {}, homedir: '' });
    expect(again.settings).toEqual(config.settings);
  });

  it('keeps the keys and sections it does not own (nothing lost)', () => {
    const config = loadConfig({ configPath: fixture('odoo-non-default.conf'), env: {}, homedir: '' });
    const text = renderConfig(config);
    expect(text).toContain('db_host = db.localhost\n');
    expect(text).toContain('addons_path = /tmp/odoo\n');
    expect(text).toContain('workers = 92\n');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'odoo-prefork-'));
    const file = path.join(dir, 'extra.conf');
    writeFileSync(file, '[options]\nworkers = 2\n\n[queue_job]\nchannels = root:2\n');
    const withSection = renderConfig(loadConfig({ configPath: file, env: {}, homedir: '' }));
    expect(withSection).toContain('[queue_job]\nchannels = root:2\n');
  });
});

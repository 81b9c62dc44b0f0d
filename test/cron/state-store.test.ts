import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/diagnostics.js';
import { CronStateStore } from '../../src/cron/state-store.js';

function store() {
  return new CronStateStore(mkdtempSync(path.join(os.tmpdir(), 'odoo-prefork-data-')));
}

function codeOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    if (error instanceof ConfigError) return error.diagnostic.code;
    throw error;
  }
  return 'no error';
}

describe('CronStateStore', () => {
  it('starts empty and round-trips the schedule', () => {
    const s = store();
    expect(s.load().size).toBe(0);
    s.lock();
    s.save({ a: { nextCall: 5, failures: 1, runs: 2, lastOutcome: 'failure', lastError: 'boom' } });
    expect(s.load().get('a')).toEqual({ nextCall: 5, failures: 1, runs: 2, lastOutcome: 'failure', lastError: 'boom' });
    expect(JSON.parse(readFileSync(s.file, 'utf8')).format).toBe('odoo-prefork/cron-state');
  });

  it.each([
    ['{ not json', /not valid JSON/],
    ['{"jobs": {}}', /not an odoo-prefork cron state file/],
    ['{"format": "odoo-prefork/cron-state", "version": 9, "jobs": {}}', /version 9 is not supported/],
    ['{"format": "odoo-prefork/cron-state", "version": 1, "jobs": {"a": {"nextCall": "soon"}}}', /entry for job "a" is malformed/],
  ])('refuses a corrupt or foreign file, naming it: %s', (content, message) => {
    const s = store();
    mkdirSync(s.dir, { recursive: true });
    writeFileSync(s.file, content);
    try {
      s.load();
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).diagnostic).toMatchObject({ code: 'CRON_STATE_INVALID', file: s.file });
      expect((error as Error).message).toMatch(message);
      expect((error as ConfigError).diagnostic.hint).toMatch(/never reset silently/);
    }
  });

  it('refuses a data_dir whose lock is held by a live process, and takes over a stale lock', () => {
    const s = store();
    mkdirSync(s.dir, { recursive: true });
    writeFileSync(path.join(s.dir, 'cron.lock'), `${process.ppid}\n`);
    expect(codeOf(() => s.lock())).toBe('CRON_DATA_DIR_LOCKED');
    writeFileSync(path.join(s.dir, 'cron.lock'), '999999999\n');
    expect(codeOf(() => s.lock())).toBe('no error');
    expect(readFileSync(path.join(s.dir, 'cron.lock'), 'utf8').trim()).toBe(String(process.pid));
    s.unlock();
  });
});

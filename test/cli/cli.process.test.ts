/**
 * The command line as a user meets it: exit codes, messages, config files, --save.
 */
import { execa } from 'execa';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fixture, NON_DEFAULT_PROCESS_VALUES } from '../helpers/fixtures.js';
import { CLI, killAll, ROOT, ServerProcess } from '../helpers/server.js';

afterEach(killAll);

function cli(args: string[], env: Record<string, string> = {}) {
  return execa('node', [CLI, ...args], { cwd: ROOT, reject: false, env: { ODOO_RC: '', HOME: '/nonexistent', ...env } });
}

function tempFile(name: string, text: string): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'odoo-prefork-')), name);
  writeFileSync(file, text);
  return file;
}

describe('odoo-prefork config', () => {
  it('prints every setting with its value and source', async () => {
    const file = tempFile('odoo.conf', '[options]\nworkers = 3\n');
    const result = await cli(['config', '-c', file, '--limit-time-real', '30']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^workers\\s+3\\s+file ${file}:2$`, 'm'));
    expect(result.stdout).toMatch(/^limit_time_real\s+30\s+flag --limit-time-real$/m);
    expect(result.stdout).toMatch(/^limit_time_cpu\s+60\s+default$/m);
  });

  it('--json gives the same facts to scripts, including where the file came from', async () => {
    const file = tempFile('odoo.conf', '[options]\nworkers = 3\nworkerz = 1\n');
    const result = await cli(['config', '--json'], { ODOO_RC: file });
    const parsed = JSON.parse(result.stdout);
    expect(parsed.file).toMatchObject({ path: file, via: 'ODOO_RC', exists: true });
    expect(parsed.settings.workers).toMatchObject({ value: 3, source: `file ${file}:2 (via ODOO_RC)` });
    expect(parsed.diagnostics.find((d: { code: string }) => d.code === 'CONFIG_UNKNOWN_KEY')).toMatchObject({ key: 'workerz', hint: 'did you mean "workers"?' });
  });

  it('reads the Odoo command-line fixture on top of empty.conf, ignoring the Odoo-only flags', async () => {
    const tokens = readFileSync(fixture('odoo-cli-tokens.txt'), 'utf8').split(/\s+/).filter(Boolean);
    const result = await cli(['config', '--json', '-c', fixture('odoo-empty.conf'), ...tokens]);
    expect(result.exitCode).toBe(0);
    const values = Object.fromEntries(Object.entries(JSON.parse(result.stdout).settings).map(([k, v]) => [k, (v as { value: unknown }).value]));
    expect(values).toMatchObject(NON_DEFAULT_PROCESS_VALUES);
    expect(JSON.parse(result.stdout).diagnostics.some((d: { message: string }) => /--db_host/.test(d.message))).toBe(true);
  });

  it.each([
    ['[options]\nhttp_port = 8070 # dev\n', /odoo\.conf:2: http_port: invalid integer "8070 # dev" \[CONFIG_INVALID_VALUE\]\n  fix: inline comments are not supported/],
    ['[options]\nworkers = 2\nworkers = 4\n', /odoo\.conf:3: workers: "workers" is set twice in \[options\] \(first at line 2\)/],
    ['[server]\nworkers = 2\n', /no \[options\] section .*Odoo would silently ignore this whole file/],
    ['[options]\nlimit_memory_hard = 2GB\n', /invalid IEC 80000-13 binary prefix "GB".*\n  fix: write a byte count/],
  ])('refuses a bad file with exit code 2 and one clear message: %j', async (text, message) => {
    const result = await cli(['config', '-c', tempFile('odoo.conf', text)]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('refuses an unreadable -c file and an invalid flag with exit code 2', async () => {
    const missing = await cli(['config', '-c', '/nonexistent/odoo.conf']);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/cannot read the config file given with -c: no such file/);
    const badFlag = await cli(['config', '--workers', 'lots']);
    expect(badFlag.exitCode).toBe(2);
    expect(badFlag.stderr).toMatch(/--workers: invalid integer "lots"/);
    const unknown = await cli(['--wokers', '2']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toMatch(/unknown option '--wokers'[\s\S]*Did you mean --workers\?/);
  });

  it('serve refuses the same bad file before starting anything', async () => {
    const result = await cli(['-c', fixture('doodba-60-performance.conf')]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/doodba-60-performance\.conf:1: max_cron_threads: "max_cron_threads" appears before any \[section\] header/);
  });
});

describe('odoo-prefork serve', () => {
  it('-s/--save writes the effective configuration (mode 0600) and keeps running', async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'odoo-prefork-')), 'saved.conf');
    const server = await ServerProcess.start(['--workers', '1', '-c', file, '--save', '--limit-request', '500']);
    const saved = readFileSync(file, 'utf8');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(saved).toMatch(/^limit_request = 500$/m);
    expect(saved).toMatch(/^workers = 1$/m);
    expect(server.logs.some((l) => l.msg === `Configuration saved to ${file}`)).toBe(true);
    expect(await server.stop()).toBe(0);
  });

  it('says clearly when the port is taken, and exits 1', async () => {
    const blocker = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const port = (blocker.address() as net.AddressInfo).port;
    const server = await ServerProcess.start(['--workers', '1', '-p', String(port)], { noWait: true });
    expect(await server.exited()).toBe(1);
    expect(server.logs.some((l) => l.msg === `cannot listen on 127.0.0.1:${port}: the address is already in use (another server running?); stop it or choose another http_port`)).toBe(true);
    blocker.close();
  });

  it('an app that fails to load stops the server once, clearly, with exit code 3 (no respawn loop)', async () => {
    const server = await ServerProcess.start(['--workers', '3', '--max-cron-threads', '2', '--app', 'test/fixtures/apps/throws-at-load.mjs'], { noWait: true });
    expect(await server.exited()).toBe(3);
    const critical = server.logs.filter((l) => /^Critial worker error \(\d+\)$/.test(l.msg));
    expect(critical).toHaveLength(1);
    expect(server.logs.some((l) => /could not load the app: the database is not configured/.test(l.msg))).toBe(true);
    expect(server.logs.some((l) => /stopping the server: a Worker\w+ worker could not start: could not load the app: the database is not configured/.test(l.msg))).toBe(true);
    // At most the initial workers (3 HTTP + 2 cron) tried; none was respawned.
    expect(server.logs.filter((l) => l.reason === 'boot-error' && /could not load/.test(l.msg)).length).toBeLessThanOrEqual(5);
  });

  it('says so when the app module does not exist', async () => {
    const server = await ServerProcess.start(['--workers', '1', '--app', './no-such-app.mjs'], { noWait: true });
    expect(await server.exited()).toBe(3);
    expect(server.logs.some((l) => /the app module \.\/no-such-app\.mjs does not exist/.test(l.msg))).toBe(true);
  });

  it('logs the Odoo start-up lines in the text format by default', async () => {
    const result = execa('node', [CLI, '--workers', '1', '-p', '0', '--http-interface', '127.0.0.1', '--max-cron-threads', '0'], {
      cwd: ROOT,
      reject: false,
      env: { ODOO_RC: '', HOME: '/nonexistent' },
    });
    let text = '';
    await new Promise<void>((resolve) => {
      result.stderr!.on('data', (chunk: Buffer) => {
        text += chunk;
        if (/Worker WorkerHTTP \(\d+\) alive/.test(text)) resolve();
      });
    });
    result.kill('SIGTERM');
    await result;
    expect(text).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} \d+ INFO \? odoo\.service\.server: HTTP service \(werkzeug\) running on 127\.0\.0\.1:\d+$/m);
    expect(text).toMatch(/INFO \? odoo\.service\.server: prefork mode: 1 HTTP worker \(one request at a time each\)/);
    expect(text).toMatch(/INFO \? odoo\.service\.server: Worker WorkerHTTP \(\d+\) alive$/m);
    expect(text).toMatch(/INFO \? odoo\.service\.server: Stopping gracefully$/m);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { json, killAll, request, ServerProcess } from '../helpers/server.js';

afterEach(killAll);

describe('threaded mode (workers = 0)', () => {
  it('serves the app from one process, concurrently, and says so', async () => {
    const server = await ServerProcess.start(['--workers', '0']);
    await server.waitForLog((l) => /^threaded mode \(workers = 0\): one process serves every request concurrently/.test(l.msg));
    const [a, b] = await Promise.all([request(server.url('/sleep?ms=300')), request(server.url('/sleep?ms=300'))]);
    const bodies = [JSON.parse(a!.body), JSON.parse(b!.body)];
    expect(bodies.map((x) => x.pid)).toEqual([server.pid, server.pid]);
    expect(bodies.map((x) => x.kind)).toEqual(['threaded', 'threaded']);
    // Both were in flight together: Node's event loop stands in for Odoo's threads.
    expect(Math.max(...bodies.map((x) => x.maxConcurrent))).toBe(2);
    expect((await request(server.url('/crash'))).status).toBe(409);
    expect(await server.stop()).toBe(0);
  });

  it('survives HUP, TTIN, TTOU and QUIT (nothing to reload or resize in one process)', async () => {
    const server = await ServerProcess.start(['--workers', '0', '--max-cron-threads', '0']);
    for (const signal of ['SIGHUP', 'SIGTTIN', 'SIGTTOU', 'SIGQUIT'] as const) {
      server.signal(signal);
      await server.waitForLog((l) => l.msg.startsWith(`${signal}:`));
      expect((await request(server.url('/whoami'))).status).toBe(200);
    }
    expect(await server.stop()).toBe(0);
  });

  it('an app that fails to load stops it with a clear message and exit code 3', async () => {
    const server = await ServerProcess.start(['--workers', '0', '--app', 'test/fixtures/apps/throws-at-load.mjs'], { noWait: true });
    expect(await server.exited()).toBe(3);
    expect(server.logs.some((l) => /cannot load the app: .*threw while loading: the database is not configured/.test(l.msg))).toBe(true);
    expect(server.rawStderr.join('\n')).not.toMatch(/internal error|\n\s+at /);
  });

  it('falls back to threaded mode with a warning where prefork is not available', async () => {
    const server = await ServerProcess.start(['--workers', '3'], { workers: 0, env: { ODOO_PREFORK_PLATFORM: 'win32' } });
    const warning = server.logs.find((l) => l.code === 'PLATFORM_NO_PREFORK');
    expect(warning?.msg).toMatch(/workers = 3 but the prefork server needs Linux \(this is win32\): running the threaded server instead/);
    expect((await json<{ kind: string }>(server.url('/whoami'))).kind).toBe('threaded');
    expect(await server.stop()).toBe(0);
  });
});

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

  it('falls back to threaded mode with a warning where prefork is not available', async () => {
    const server = await ServerProcess.start(['--workers', '3'], { workers: 0, env: { ODOO_PREFORK_PLATFORM: 'win32' } });
    const warning = server.logs.find((l) => l.code === 'PLATFORM_NO_PREFORK');
    expect(warning?.msg).toMatch(/workers = 3 but the prefork server needs Linux \(this is win32\): running the threaded server instead/);
    expect((await json<{ kind: string }>(server.url('/whoami'))).kind).toBe('threaded');
    expect(await server.stop()).toBe(0);
  });
});

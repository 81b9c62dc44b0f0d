import { afterEach, describe, expect, it } from 'vitest';
import { json, killAll, request, ServerProcess } from '../helpers/server.js';

afterEach(killAll);

describe('examples/express-app.mjs', () => {
  it('runs unchanged under odoo-prefork, one request at a time per worker', async () => {
    const server = await ServerProcess.start(['--workers', '2', '--app', 'examples/express-app.mjs']);
    const home = await json<{ app: string; worker: string; pid: number; ip: string }>(server.url('/'));
    expect(home).toMatchObject({ app: 'express', ip: '127.0.0.1' });
    expect(server.alivePids()).toContain(home.pid);
    const created = await request(server.url('/notes'), {
      method: 'POST',
      body: JSON.stringify({ text: 'hello' }),
      headers: { 'content-type': 'application/json' },
    });
    expect(created.status).toBe(201);
    const slow = await Promise.all([1, 2, 3, 4].map(() => json<{ pid: number }>(server.url('/slow?ms=100'))));
    expect(new Set(slow.map((s) => s.pid)).size).toBe(2);
    expect(await server.stop()).toBe(0);
  });
});

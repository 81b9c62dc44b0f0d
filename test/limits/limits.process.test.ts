/**
 * Each limit for real: it fires, logs its line, the client gets what the README says, and a
 * replacement serves the next request. Limits are small so the tests are quick.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { json, killAll, request, ServerProcess, type LogLine } from '../helpers/server.js';

afterEach(killAll);

interface Whoami {
  pid: number;
  requests: number;
}

const MiB = 1024 * 1024;

function exitOf(server: ServerProcess, pid: number): Promise<LogLine> {
  return server.waitForLog((l) => l.workerPid === pid && typeof l.reason === 'string' && /exited|died|crashed/.test(l.msg));
}

describe('limit_request', () => {
  it('recycles a worker after N requests without failing one, and logs Odoo\'s line', async () => {
    const server = await ServerProcess.start(['--workers', '1', '--limit-request', '3']);
    const bodies: Whoami[] = [];
    for (let i = 0; i < 7; i++) bodies.push(await json<Whoami>(server.url('/whoami')));
    const pids = [...new Set(bodies.map((b) => b.pid))];
    expect(pids).toHaveLength(3);
    expect(bodies.map((b) => b.requests)).toEqual([1, 2, 3, 1, 2, 3, 1]);
    const line = await server.waitForLog((l) => l.msg === `Worker (${pids[0]}) max request (3) reached.`);
    expect(line).toMatchObject({ pid: pids[0], reason: 'max-requests', value: 3, limit: 3 });
    expect(await exitOf(server, pids[0]!)).toMatchObject({ reason: 'max-requests', requests: 3, code: 0, detail: 'served 3 of 3 requests' });
    await server.stop();
  });
});

describe('limit_memory_soft', () => {
  it('recycles a worker above the limit after its request; the client sees nothing', async () => {
    const server = await ServerProcess.start(['--workers', '1', '--limit-memory-soft', '150MiB']);
    const grown = await request(server.url('/alloc?mb=160&keep=1'));
    expect(grown.status).toBe(200);
    const { pid, rss, vms } = JSON.parse(grown.body) as { pid: number; rss: number; vms: number };
    expect(rss).toBeGreaterThan(150 * MiB);
    expect(vms).toBeGreaterThan(rss); // both metrics, for comparison with Odoo
    const line = await server.waitForLog((l) => l.reason === 'soft-memory' && l.pid === pid);
    expect(line.msg).toMatch(new RegExp(`^Worker \\(${pid}\\) virtual memory limit \\(\\d+\\) reached\\.$`));
    expect(line.limit).toBe(150 * MiB);
    expect((await json<Whoami>(server.url('/whoami'))).pid).not.toBe(pid);
    expect(await exitOf(server, pid)).toMatchObject({ reason: 'soft-memory', code: 0 });
    await server.stop();
  });

  it('also catches a worker that grows while idle (sampled by the master)', async () => {
    const server = await ServerProcess.start(['--workers', '1', '--limit-memory-soft', '150MiB', '--app', 'test/fixtures/apps/idle-leak.mjs']);
    const { pid } = await json<{ pid: number }>(server.url('/?mb=200'));
    const line = await server.waitForLog((l) => l.reason === 'soft-memory' && l.pid === pid);
    expect(line.msg).toMatch(/virtual memory limit \(\d+\) reached\./);
    expect(await exitOf(server, pid)).toMatchObject({ reason: 'soft-memory', code: 0 });
    expect((await json<{ pid: number }>(server.url('/'))).pid).not.toBe(pid);
    await server.stop();
  });
});

describe('limit_memory_hard', () => {
  it('kills a worker above the limit at once; its client gets 502 naming the reason', async () => {
    const server = await ServerProcess.start(['--workers', '1', '--limit-memory-hard', '300MiB', '--limit-memory-soft', '200MiB']);
    const [pid] = server.alivePids();
    const response = await request(server.url('/alloc?mb=400&hold=10000'));
    expect(response.status).toBe(502);
    expect(response.headers['x-odoo-prefork-reason']).toBe('hard-memory');
    const line = await server.waitForLog((l) => l.reason === 'hard-memory' && l.workerPid === pid && /hard memory limit/.test(l.msg));
    expect(line.msg).toBe(`Worker (${pid}) hard memory limit (${300 * MiB}) reached: RSS ${line.value}, killed.`);
    expect(line.request).toMatchObject({ method: 'GET', path: '/alloc' });
    const exit = await exitOf(server, pid!);
    expect(exit).toMatchObject({ reason: 'hard-memory', signal: 'SIGKILL', limit: 300 * MiB });
    expect(exit.peakRss).toBeGreaterThan(300 * MiB);
    expect(exit.request).toMatchObject({ path: '/alloc' });
    expect((await request(server.url('/whoami'))).status).toBe(200);
    await server.stop();
  });
});

describe('limit_time_cpu', () => {
  it('kills a request that burns more CPU than allowed; its client gets 504 naming the reason', async () => {
    const server = await ServerProcess.start(['--workers', '1', '--limit-time-cpu', '0.5']);
    const [pid] = server.alivePids();
    const started = Date.now();
    const response = await request(server.url('/cpu?ms=10000'));
    expect(response.status).toBe(504);
    expect(response.headers['x-odoo-prefork-reason']).toBe('cpu');
    expect(Date.now() - started).toBeLessThan(5000);
    const line = await server.waitForLog((l) => l.reason === 'cpu' && /CPU time limit/.test(l.msg));
    expect(line.msg).toBe(`Worker (${pid}) CPU time limit (0.5) reached.`);
    expect(line.value as number).toBeGreaterThan(500);
    expect(await exitOf(server, pid!)).toMatchObject({ reason: 'cpu', signal: 'SIGKILL' });
    expect((await request(server.url('/whoami'))).status).toBe(200);
    await server.stop();
  });

  it('does not count the time a request spends waiting (sleep uses no CPU)', async () => {
    const server = await ServerProcess.start(['--workers', '1', '--limit-time-cpu', '0.3']);
    expect((await request(server.url('/sleep?ms=800'))).status).toBe(200);
    await server.stop();
  });
});

describe('limit_time_real', () => {
  it('kills a request right at the limit; its client gets 504 naming the reason', async () => {
    const server = await ServerProcess.start(['--workers', '1', '--limit-time-real', '1']);
    const [pid] = server.alivePids();
    const started = Date.now();
    const response = await request(server.url('/sleep?ms=20000'));
    const elapsed = Date.now() - started;
    expect(response.status).toBe(504);
    expect(response.headers['x-odoo-prefork-reason']).toBe('real-time');
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    expect(elapsed).toBeLessThan(3000);
    const line = await server.waitForLog((l) => l.reason === 'real-time' && /timeout after/.test(l.msg));
    expect(line.msg).toBe(`WorkerHTTP (${pid}) timeout after 1s`);
    expect(line.request).toMatchObject({ method: 'GET', path: '/sleep' });
    expect((line.request as { elapsedMs: number }).elapsedMs).toBeGreaterThanOrEqual(1000);
    expect(await exitOf(server, pid!)).toMatchObject({ reason: 'real-time', signal: 'SIGKILL' });
    const next = await json<Whoami>(server.url('/whoami'));
    expect(next.pid).not.toBe(pid);
    await server.stop();
  });
});

describe('0 disables a limit', () => {
  it('lets through what each limit would otherwise stop', async () => {
    const server = await ServerProcess.start([
      '--workers', '1',
      '--limit-request', '0',
      '--limit-memory-soft', '0',
      '--limit-memory-hard', '0',
      '--limit-time-cpu', '0',
      '--limit-time-real', '0',
    ]);
    const [pid] = server.alivePids();
    expect((await request(server.url('/alloc?mb=300&keep=1'))).status).toBe(200);
    expect((await request(server.url('/cpu?ms=1200'))).status).toBe(200);
    expect((await request(server.url('/sleep?ms=1200'))).status).toBe(200);
    const last = await json<Whoami>(server.url('/whoami'));
    expect(last).toMatchObject({ pid, requests: 4 });
    expect(server.logs.filter((l) => l.code === 'LIMIT_DISABLED').map((l) => l.key)).toEqual([
      'limit_memory_soft',
      'limit_memory_hard',
      'limit_request',
      'limit_time_cpu',
      'limit_time_real',
    ]);
    await server.stop();
  });
});

describe('crash loops', () => {
  it('respawns workers that keep dying young with growing delays, and says the server is degraded', async () => {
    const server = await ServerProcess.start(['--workers', '2', '--app', 'test/fixtures/apps/crash-soon.mjs'], { workers: 2 });
    const degraded = await server.waitForLogCount((l) => /^degraded: \d+ WorkerHTTP workers in a row died soon after starting/.test(l.msg), 3, 30_000);
    const delays = degraded.map((l) => Number(/next one in ([\d.]+) s/.exec(l.msg)?.[1]));
    expect(delays[2]).toBeGreaterThan(delays[0]!);
    // Far fewer starts than a tight respawn loop would make in the same time.
    const started = server.logs.filter((l) => /^Worker WorkerHTTP \(\d+\) alive$/.test(l.msg)).length;
    const crashes = server.logs.filter((l) => l.reason === 'crash' && typeof l.workerPid === 'number').length;
    expect(started).toBeLessThan(20);
    expect(crashes).toBeGreaterThanOrEqual(4);
    await server.stop();
  });
});

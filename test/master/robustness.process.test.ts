/**
 * Regressions from a review that tried to break the server: each case once left a worker stuck,
 * refused requests it should not have, or died with a stack trace.
 */
import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, killAll, json, request, ROOT, ServerProcess } from '../helpers/server.js';
import { execa } from 'execa';

afterEach(killAll);

function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(text));
    let data = '';
    socket.on('data', (c) => (data += c));
    socket.on('close', () => resolve(data));
    socket.on('error', reject);
    socket.setTimeout(10_000, () => socket.destroy());
  });
}

describe('the worker is never left stuck', () => {
  it('after answers node:http writes by itself (400 without Host, 417 for an unknown Expect)', async () => {
    const server = await ServerProcess.start(['--workers', '1', '--http-queue-timeout', '5']);
    expect(await raw(server.port, 'GET /whoami HTTP/1.1\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 /);
    const expectation = await request(server.url('/whoami'), { headers: { expect: 'foo' } });
    expect(expectation.status).toBe(417);
    expect((await request(server.url('/whoami'))).status).toBe(200);
    await server.stop();
  });

  it('after a malformed chunked body in the first packet (400 from the master)', async () => {
    const server = await ServerProcess.start(['--workers', '1', '--http-queue-timeout', '5']);
    const bad = 'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n';
    const answers = await Promise.all([raw(server.port, bad), raw(server.port, bad)]);
    for (const answer of answers) expect(answer).toMatch(/^HTTP\/1\.1 400 [\s\S]*X-Odoo-Prefork-Reason: bad-request/);
    expect((await request(server.url('/whoami'))).status).toBe(200);
    await server.stop();
  });

  it('after a client that leaves in the middle of a large response it never read', async () => {
    const server = await ServerProcess.start(['--workers', '1', '--http-queue-timeout', '10']);
    const [pid] = server.alivePids();
    await new Promise<void>((resolve) => {
      const req = http.request(server.url('/echo'), { method: 'POST', agent: false }, (res) => {
        res.pause(); // never read: the response backs up into the master
        setTimeout(() => {
          req.destroy();
          resolve();
        }, 500);
      });
      req.on('error', () => undefined);
      req.end(Buffer.alloc(20 * 1024 * 1024, 1));
    });
    const next = await json<{ pid: number }>(server.url('/whoami'));
    expect(next.pid).toBe(pid);
    await server.stop();
  });
});

describe('requests on one worker never bleed into each other', () => {
  it('after the app answered without reading a large body, the next request is parsed from its own start', async () => {
    const server = await ServerProcess.start(['--workers', '1', '--app', 'test/fixtures/apps/early-answer.mjs']);
    for (let i = 0; i < 3; i++) {
      const early = await request(server.url('/upload'), { method: 'POST', body: Buffer.alloc(2 * 1024 * 1024, 65) });
      expect(early.status).toBe(413);
      const next = await json<{ url: string }>(server.url(`/after-${i}`));
      expect(next.url).toBe(`/after-${i}`);
    }
    await server.stop();
  });
});

describe('signals', () => {
  it('SIGTERM to a busy worker: it finishes its request, then leaves and is replaced', async () => {
    const server = await ServerProcess.start(['--workers', '1', '--log-level', 'debug']);
    const [pid] = server.alivePids();
    const busy = request(server.url('/sleep?ms=600'));
    await server.waitForLog((l) => l.msg.startsWith('request dispatched'));
    process.kill(pid!, 'SIGTERM');
    expect((await busy).status).toBe(200);
    const exit = await server.waitForLog((l) => l.workerPid === pid && l.reason === 'signal' && /exited/.test(l.msg));
    expect(exit).toMatchObject({ code: 0, detail: 'SIGTERM received' });
    expect((await json<{ pid: number }>(server.url('/whoami'))).pid).not.toBe(pid);
    await server.stop();
  });

  it('two SIGHUPs in a row under load: every request still succeeds', async () => {
    const server = await ServerProcess.start(['--workers', '2', '--max-cron-threads', '0']);
    const original = server.alivePids();
    let stop = false;
    const statuses: number[] = [];
    const clients = [1, 2, 3].map(async () => {
      while (!stop) statuses.push((await request(server.url('/sleep?ms=20'))).status);
    });
    server.signal('SIGHUP');
    await new Promise((r) => setTimeout(r, 30));
    server.signal('SIGHUP');
    // Done when every original worker has left for the reload and two fresh ones serve.
    for (const pid of original) await server.waitForLog((l) => l.workerPid === pid && l.reason === 'reload' && /exited/.test(l.msg), 30_000);
    await server.waitForLogCount((l) => /^Worker WorkerHTTP \(\d+\) alive$/.test(l.msg), 6, 30_000);
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await Promise.all(clients);
    expect(statuses.length).toBeGreaterThan(10);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    await server.stop();
  });
});

describe('limits count only what the request did', () => {
  it('limit_time_cpu does not charge a request for CPU its worker burnt while idle', async () => {
    const server = await ServerProcess.start(['--workers', '1', '--max-cron-threads', '0', '--limit-time-cpu', '1', '--app', 'test/fixtures/apps/background-cpu.mjs']);
    expect((await request(server.url('/'))).status).toBe(200);
    // Idle for a while: the background timer burns ~1.2 s of CPU, more than the limit.
    await new Promise((r) => setTimeout(r, 2500));
    expect((await request(server.url('/'))).status).toBe(200);
    expect(server.logs.some((l) => l.reason === 'cpu')).toBe(false);
    await server.stop();
  });
});

describe('a forced stop answers everyone it can', () => {
  it('requests still queued or running when the grace period ends get 503, not an empty reply', async () => {
    const server = await ServerProcess.start(['--workers', '1', '--max-cron-threads', '0', '--limit-time-real', '1', '--log-level', 'debug']);
    const responses = [1, 2, 3, 4].map(() => request(server.url('/sleep?ms=700')));
    await server.waitForLogCount((l) => l.msg.startsWith('request queued'), 3);
    const code = server.stop('SIGTERM');
    const statuses = (await Promise.all(responses)).map((r) => r.status).sort();
    expect(statuses[0]).toBe(200);
    expect(statuses.filter((s) => s === 503).length).toBeGreaterThanOrEqual(2);
    expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
    expect(await code).toBe(0);
  });
});

describe('settings at the edges', () => {
  it('a huge limit_time_real does not overflow a timer: the graceful stop waits for the request', async () => {
    const server = await ServerProcess.start(['--workers', '1', '--limit-time-real', '99999999', '--log-level', 'debug']);
    const pending = request(server.url('/sleep?ms=400'));
    await server.waitForLog((l) => l.msg.startsWith('request dispatched'));
    const code = server.stop('SIGTERM');
    expect((await pending).status).toBe(200);
    expect(await code).toBe(0);
    expect(server.logs.some((l) => l.msg === 'Stopping forcefully')).toBe(false);
    expect(server.rawStderr.join('\n')).not.toMatch(/TimeoutOverflowWarning/);
  });

  it.each([
    [['--pidfile', '/nonexistent-dir/x.pid'], 2, /pidfile: cannot write \/nonexistent-dir\/x\.pid: ENOENT/],
    [['--logfile', '/proc/nope/odoo.log'], 2, /logfile: cannot write \/proc\/nope\/odoo\.log/],
    [['--data-dir', '/proc/nope'], 2, /cannot create the cron state directory/],
  ])('%j stops at once with a clear message and exit code %d, no stack trace', async (args, code, message) => {
    const result = await execa('node', [CLI, '--workers', '1', '-p', '0', '--http-interface', '127.0.0.1', ...args], {
      cwd: ROOT,
      reject: false,
      timeout: 20_000,
      env: { ODOO_RC: '', HOME: '/nonexistent' },
    });
    expect(result.timedOut).toBe(false);
    expect(result.exitCode).toBe(code);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('an http_interface that does not resolve is a start failure with a clear message', async () => {
    const server = await ServerProcess.start(['--workers', '1', '--http-interface', 'nosuchhost.invalid'], { noWait: true });
    expect(await server.exited()).toBe(1);
    expect(server.logs.some((l) => /http_interface "nosuchhost.invalid" is not an address or a name this machine can resolve/.test(l.msg))).toBe(true);
  });
});

/**
 * The prefork master for real: the CLI started with execa on a free loopback port, real requests,
 * real signals. Each test waits for log lines or responses, never for a fixed delay.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, isAlive, json, killAll, request, ServerProcess } from '../helpers/server.js';

afterEach(killAll);

interface Whoami {
  pid: number;
  kind: string;
  requests: number;
  concurrent: number;
  maxConcurrent: number;
}

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]) * 1024;
}

describe('prefork master and HTTP workers', () => {
  it('serves 40 concurrent requests with 2 single-request workers: all succeed, both used, never two at once', async () => {
    const server = await ServerProcess.start(['--workers', '2']);
    const responses = await Promise.all(Array.from({ length: 40 }, () => request(server.url('/sleep?ms=50'))));
    expect(responses.map((r) => r.status)).toEqual(Array(40).fill(200));
    const bodies = responses.map((r) => JSON.parse(r.body) as Whoami);
    expect(new Set(bodies.map((b) => b.pid)).size).toBe(2);
    expect(bodies.every((b) => b.kind === 'http')).toBe(true);
    // Seen from the app: each worker only ever had one request in flight.
    expect(Math.max(...bodies.map((b) => b.concurrent))).toBe(1);
    expect(Math.max(...bodies.map((b) => b.maxConcurrent))).toBe(1);
    expect(await server.stop()).toBe(0);
  });

  it('keeps a client connection alive without pinning it to one worker', async () => {
    const server = await ServerProcess.start(['--workers', '2']);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const ports = new Set<number>();
    const pids = new Set<number>();
    for (let i = 0; i < 6; i++) {
      const body = await new Promise<Whoami>((resolve, reject) => {
        http
          .get(server.url('/whoami'), { agent }, (res) => {
            ports.add(res.socket.localPort!);
            let text = '';
            res.on('data', (c) => (text += c));
            res.on('end', () => resolve(JSON.parse(text) as Whoami));
          })
          .on('error', reject);
      });
      pids.add(body.pid);
    }
    agent.destroy();
    expect(ports.size).toBe(1);
    expect(pids.size).toBe(2);
    await server.stop();
  });

  it('streams a 100 MB upload and its echo through the master without buffering it', async () => {
    const server = await ServerProcess.start(['--workers', '1']);
    const masterBefore = rssOf(server.pid);
    const size = 100 * 1024 * 1024;
    const block = Buffer.alloc(1024 * 1024, 7);
    const sent = createHash('sha256');
    const received = createHash('sha256');
    let receivedBytes = 0;
    let masterPeak = masterBefore;
    const sampler = setInterval(() => {
      masterPeak = Math.max(masterPeak, rssOf(server.pid));
    }, 20);
    await new Promise<void>((resolve, reject) => {
      // No Content-Length: chunked transfer encoding both ways.
      const req = http.request(server.url('/echo'), { method: 'POST', agent: false }, (res) => {
        expect(res.statusCode).toBe(200);
        res.on('data', (chunk: Buffer) => {
          received.update(chunk);
          receivedBytes += chunk.length;
        });
        res.on('end', resolve);
      });
      req.on('error', reject);
      let written = 0;
      const pump = () => {
        while (written < size) {
          sent.update(block);
          written += block.length;
          if (!req.write(block)) {
            req.once('drain', pump);
            return;
          }
        }
        req.end();
      };
      pump();
    });
    clearInterval(sampler);
    expect(receivedBytes).toBe(size);
    expect(received.digest('hex')).toBe(sent.digest('hex'));
    // The master relays the stream; it must not hold anything near the whole body.
    expect(masterPeak - masterBefore).toBeLessThan(40 * 1024 * 1024);
    await server.stop();
  });

  it('forwards a Content-Length body and keeps the connection for the next request', async () => {
    const server = await ServerProcess.start(['--workers', '1']);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const first = await request(server.url('/echo'), { method: 'POST', body: 'hello world', agent });
    const second = await request(server.url('/echo'), { method: 'POST', body: 'second', agent, headers: { 'content-type': 'text/plain' } });
    agent.destroy();
    expect(first).toMatchObject({ status: 200, body: 'hello world' });
    expect(second).toMatchObject({ status: 200, body: 'second' });
    expect(second.headers['content-type']).toBe('text/plain');
    await server.stop();
  });

  it('answers 502 naming the reason when the worker is killed mid-request, then replaces it', async () => {
    const server = await ServerProcess.start(['--workers', '2']);
    const pending = request(server.url('/sleep?ms=20000'));
    // With two workers the sleeping request holds one; /whoami can only be served by the other.
    const other = await json<Whoami>(server.url('/whoami'));
    const victim = server.alivePids().find((pid) => pid !== other.pid)!;
    process.kill(victim, 'SIGKILL');
    const response = await pending;
    expect(response.status).toBe(502);
    expect(response.headers['x-odoo-prefork-reason']).toBe('worker-crash');
    const exit = await server.waitForLog((l) => l.workerPid === victim && l.reason === 'signal');
    expect(exit.msg).toMatch(/killed by SIGKILL from outside the master \(out of memory\?/);
    await server.waitForLogCount((l) => /^Worker WorkerHTTP \(\d+\) alive$/.test(l.msg), 3);
    const after = await Promise.all(Array.from({ length: 6 }, () => request(server.url('/whoami'))));
    expect(after.map((r) => r.status)).toEqual(Array(6).fill(200));
    expect(server.alivePids()).toHaveLength(2);
    await server.stop();
  });

  it('replaces a worker that crashes on an uncaught exception (/crash)', async () => {
    const server = await ServerProcess.start(['--workers', '1']);
    const [pid] = server.alivePids();
    const response = await request(server.url('/crash'));
    expect(response.status).toBe(502);
    const exit = await server.waitForLog((l) => l.workerPid === pid && l.reason === 'crash');
    expect(exit.code).toBe(1);
    expect(exit.detail).toMatch(/crashing this worker on purpose/);
    expect((await json<Whoami>(server.url('/whoami'))).pid).not.toBe(pid);
    await server.stop();
  });

  it('answers 503 with Retry-After when the queue is full', async () => {
    const server = await ServerProcess.start(['--workers', '1', '--http-queue-size', '1']);
    // One request runs, one waits, the third finds the queue full — whatever order they arrive in.
    const responses = await Promise.all([1, 2, 3].map(() => request(server.url('/sleep?ms=300'))));
    const refused = responses.filter((r) => r.status === 503);
    expect(refused).toHaveLength(1);
    expect(refused[0]!.headers['retry-after']).toBe('1');
    expect(refused[0]!.headers['x-odoo-prefork-reason']).toBe('queue-full');
    expect(responses.filter((r) => r.status === 200)).toHaveLength(2);
    await server.stop();
  });

  it('answers 503 when a request waited longer than http_queue_timeout', async () => {
    const server = await ServerProcess.start(['--workers', '1', '--http-queue-timeout', '0.3', '--log-level', 'debug']);
    const busy = request(server.url('/sleep?ms=1500'));
    await server.waitForLog((l) => l.msg.startsWith('request dispatched') && l.path === '/sleep');
    const started = Date.now();
    const waited = await request(server.url('/whoami'));
    expect(waited.status).toBe(503);
    expect(waited.headers['x-odoo-prefork-reason']).toBe('queue-timeout');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect((await busy).status).toBe(200);
    await server.stop();
  });

  it('refuses malformed requests and protocol upgrades itself, naming the reason', async () => {
    const server = await ServerProcess.start(['--workers', '1']);
    const raw = (text: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = net.connect(server.port, '127.0.0.1', () => socket.end(text));
        let data = '';
        socket.on('data', (c) => (data += c));
        socket.on('close', () => resolve(data));
        socket.on('error', reject);
      });
    const bad = await raw('POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n');
    expect(bad).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(bad).toMatch(/X-Odoo-Prefork-Reason: bad-request/);
    const upgrade = await request(server.url('/socket.io/'), { headers: { connection: 'Upgrade', upgrade: 'websocket' } });
    expect(upgrade.status).toBe(501);
    expect(upgrade.headers['x-odoo-prefork-reason']).toBe('upgrade-unsupported');
    expect(upgrade.body).toMatch(/\/websocket/);
    await server.stop();
  });

  it('gives the app the real client address on req.socket', async () => {
    const server = await ServerProcess.start(['--workers', '1', '--app', 'test/fixtures/apps/address.mjs']);
    const body = await json<{ remoteAddress: string; remotePort: number; localPort: number }>(server.url('/'));
    expect(body.remoteAddress).toMatch(/127\.0\.0\.1/);
    expect(body.remotePort).toBeGreaterThan(0);
    expect(body.localPort).toBe(server.port);
    await server.stop();
  });
});

describe('stopping', () => {
  it('SIGTERM under load: in-flight and queued requests complete, exit code 0, no process remains', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'odoo-prefork-'));
    const pidfile = path.join(dir, 'server.pid');
    const server = await ServerProcess.start(['--workers', '2', '--log-level', 'debug', '--pidfile', pidfile]);
    expect(readFileSync(pidfile, 'utf8').trim()).toBe(String(server.pid));
    const workers = server.alivePids();
    const responses = Array.from({ length: 6 }, () => request(server.url('/sleep?ms=400')));
    // Two run, four wait in the master's queue: stop while all six are inside the server.
    await server.waitForLogCount((l) => l.msg.startsWith('request dispatched'), 2);
    await server.waitForLogCount((l) => l.msg.startsWith('request queued'), 4);
    const code = server.stop('SIGTERM');
    const results = await Promise.all(responses);
    expect(results.map((r) => r.status)).toEqual(Array(6).fill(200));
    expect(await code).toBe(0);
    expect(server.logs.some((l) => l.msg === 'Stopping gracefully')).toBe(true);
    for (const pid of [...workers, server.pid]) expect(isAlive(pid)).toBe(false);
    expect(existsSync(pidfile)).toBe(false);
  });

  it('a second SIGTERM forces: Forced shutdown., workers killed at once', async () => {
    const server = await ServerProcess.start(['--workers', '1', '--log-level', 'debug']);
    const workers = server.alivePids();
    const long = request(server.url('/sleep?ms=60000'));
    await server.waitForLog((l) => l.msg.startsWith('request dispatched'));
    server.signal('SIGTERM');
    await server.waitForLog((l) => l.msg === 'Stopping gracefully');
    const started = Date.now();
    const code = await server.stop('SIGTERM');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(code).toBe(0);
    expect(server.logs.some((l) => l.msg === 'Forced shutdown.')).toBe(true);
    // Its worker is killed, yet the client still gets an answer that says why.
    const answer = await long;
    expect(answer.status).toBe(503);
    expect(answer.headers['x-odoo-prefork-reason']).toBe('shutting-down');
    for (const pid of workers) await eventually(() => !isAlive(pid), 2_000, `worker ${pid} gone`);
  });

  it('a master killed with SIGKILL leaves no worker behind (all gone within 2 s)', async () => {
    const server = await ServerProcess.start(['--workers', '3', '--max-cron-threads', '2'], { cronWorkers: 2 });
    await server.waitForLog((l) => /^Worker WorkerLongPolling \(\d+\) alive$/.test(l.msg));
    const workers = server.allWorkerPids();
    expect(workers).toHaveLength(6);
    server.signal('SIGKILL');
    await server.exited();
    await eventually(() => workers.every((pid) => !isAlive(pid)), 2_000, 'every worker exits after its master died');
    // Odoo's own line for it, from each worker.
    expect(server.logs.filter((l) => /^Worker \(\d+\) Parent changed$/.test(l.msg)).map((l) => l.pid).sort()).toEqual([...workers].sort());
  });
});

/**
 * The long-polling worker and the bus for real: publish through an HTTP worker, receive by long
 * poll and websocket, on gevent_port and through the master on http_port.
 */
import { afterEach, describe, expect, it } from 'vitest';
import http from 'node:http';
import WebSocket from 'ws';
import { json, killAll, request, ServerProcess } from '../helpers/server.js';

afterEach(killAll);

interface Note {
  id: number;
  channel: string;
  message: unknown;
}

async function startPrefork(args: string[] = []): Promise<{ server: ServerProcess; gevent: number }> {
  const server = await ServerProcess.start(['--workers', '2', '--max-cron-threads', '0', '--gevent-port', '0', ...args]);
  const line = await server.waitForLog((l) => /^Evented Service \(longpolling\) running on .*:\d+$/.test(l.msg));
  // Ready once the master hands /longpolling/ on http_port over (it learns the port from the worker).
  for (let i = 0; i < 200; i++) {
    const health = await request(server.url('/longpolling/health')).catch(() => undefined);
    if (health?.status === 200 || args.includes('--no-proxy-longpolling')) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  return { server, gevent: Number(/:(\d+)$/.exec(line.msg)![1]) };
}

function publish(server: ServerProcess, channel: string, message: unknown) {
  return request(server.url('/bus/publish'), { method: 'POST', body: JSON.stringify({ channel, message }), headers: { 'content-type': 'application/json' } });
}

function poll(url: string, channels: string[], last: number) {
  return request(url, { method: 'POST', body: JSON.stringify({ channels, last }), headers: { 'content-type': 'application/json' } });
}

/** A websocket client that collects notifications; `until(n)` waits for the n-th one. */
function subscribe(url: string, channels: string[], last = 0) {
  const ws = new WebSocket(url);
  const received: Note[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => {
      ws.send(JSON.stringify({ event_name: 'subscribe', data: { channels, last } }));
      resolve();
    });
    ws.once('error', reject);
  });
  ws.on('message', (data) => {
    received.push(...(JSON.parse(data.toString()) as Note[]));
    for (const w of [...waiters]) if (received.length >= w.n) w.resolve();
  });
  const until = (n: number) =>
    received.length >= n
      ? Promise.resolve()
      : new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`only ${received.length} of ${n} notifications arrived`)), 15_000);
          waiters.push({ n, resolve: () => (clearTimeout(timer), resolve()) });
        });
  return { ws, received, opened, until };
}

describe('long polling', () => {
  it('returns at once what is retained, waits for the next message, and answers [] on timeout', async () => {
    const { server, gevent } = await startPrefork(['--longpolling-timeout', '0.5']);
    expect((await publish(server, 'news', { n: 1 })).status).toBe(202);
    // Retained: returned at once (the publish went through the master before the poll).
    const first = await (async () => {
      for (;;) {
        const r = JSON.parse((await poll(`http://127.0.0.1:${gevent}/longpolling/poll`, ['news'], 0)).body) as Note[];
        if (r.length > 0) return r;
      }
    })();
    expect(first.map((n) => n.message)).toEqual([{ n: 1 }]);
    // Waiting: answered by the next publish.
    const waiting = poll(`http://127.0.0.1:${gevent}/longpolling/poll`, ['news'], first[0]!.id);
    const health = await json<{ longpolling: number }>(`http://127.0.0.1:${gevent}/longpolling/health`);
    expect(health.longpolling).toBeLessThanOrEqual(1);
    await publish(server, 'news', { n: 2 });
    expect((JSON.parse((await waiting).body) as Note[]).map((n) => n.message)).toEqual([{ n: 2 }]);
    // Nothing new: [] after longpolling_timeout.
    const started = Date.now();
    const empty = await poll(`http://127.0.0.1:${gevent}/longpolling/poll`, ['quiet'], 0);
    expect(JSON.parse(empty.body)).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    await server.stop();
  });
});

describe('websocket', () => {
  it('receives the messages of its channels, in order, also through the master on http_port', async () => {
    const { server, gevent } = await startPrefork(['--log-level', 'debug']);
    const direct = subscribe(`ws://127.0.0.1:${gevent}/websocket`, ['room']);
    const routed = subscribe(`ws://127.0.0.1:${server.port}/websocket`, ['room']);
    await Promise.all([direct.opened, routed.opened]);
    // Give the subscriptions a round trip before publishing (a health call on the same worker).
    await json(`http://127.0.0.1:${gevent}/websocket/health`);
    for (let i = 0; i < 20; i++) await publish(server, i % 2 ? 'room' : 'elsewhere', { i });
    await Promise.all([direct.until(10), routed.until(10)]);
    for (const client of [direct, routed]) {
      expect(client.received.map((n) => (n.message as { i: number }).i)).toEqual([1, 3, 5, 7, 9, 11, 13, 15, 17, 19]);
      const ids = client.received.map((n) => n.id);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
    }
    // The routed websocket never reached an HTTP worker.
    expect(server.logs.some((l) => l.msg.startsWith('request dispatched') && l.path === '/websocket')).toBe(false);
    direct.ws.close();
    routed.ws.close();
    await server.stop();
  });

  it('resumes from its last id after the long-polling worker is killed: nothing lost, nothing twice', async () => {
    const { server, gevent } = await startPrefork();
    const client = subscribe(`ws://127.0.0.1:${gevent}/websocket`, ['feed']);
    await client.opened;
    await json(`http://127.0.0.1:${gevent}/websocket/health`);
    for (let i = 0; i < 3; i++) await publish(server, 'feed', { i });
    await client.until(3);
    const [lpPid] = server.alivePids('WorkerLongPolling');
    const closed = new Promise((r) => client.ws.once('close', r));
    process.kill(lpPid!, 'SIGKILL');
    await closed;
    // Published while no long-polling worker runs: the master keeps them.
    for (let i = 3; i < 6; i++) expect((await publish(server, 'feed', { i })).status).toBe(202);
    await server.waitForNextLog((l) => /^Evented Service \(longpolling\) running on/.test(l.msg), 30_000);
    const last = client.received.at(-1)!.id;
    const resumed = subscribe(`ws://127.0.0.1:${gevent}/websocket`, ['feed'], last);
    await resumed.opened;
    await resumed.until(3);
    expect(resumed.received.map((n) => (n.message as { i: number }).i)).toEqual([3, 4, 5]);
    resumed.ws.close();
    await server.stop();
  });
});

describe('misbehaving clients', () => {
  it('a websocket sending null, junk or unknown events never takes the long-polling worker down', async () => {
    const { server, gevent } = await startPrefork();
    const before = await json<{ pid: number }>(`http://127.0.0.1:${gevent}/websocket/health`);
    for (const junk of ['null', '[]', '"text"', '{"event_name":"subscribe","data":null}']) {
      const ws = new WebSocket(`ws://127.0.0.1:${gevent}/websocket`);
      await new Promise((r) => ws.once('open', r));
      ws.send(junk);
      const code = await new Promise<number>((r) => ws.once('close', (closeCode: number) => r(closeCode)));
      expect(code).toBe(1008);
    }
    // Unknown events (Odoo's update_presence…) are ignored: the socket stays and still receives.
    const client = subscribe(`ws://127.0.0.1:${gevent}/websocket`, ['p']);
    await client.opened;
    client.ws.send(JSON.stringify({ event_name: 'update_presence', data: {} }));
    await json(`http://127.0.0.1:${gevent}/websocket/health`);
    await publish(server, 'p', 'still here');
    await client.until(1);
    client.ws.close();
    expect((await json<{ pid: number }>(`http://127.0.0.1:${gevent}/websocket/health`)).pid).toBe(before.pid);
    expect((await publish(server, 'x'.repeat(300), 1)).status).toBe(400);
    await server.stop();
  });

  it('a keep-alive connection goes back to the HTTP workers after any long-polling answer on http_port', async () => {
    const { server } = await startPrefork();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    expect((await request(server.url('/longpolling/health'), { agent })).status).toBe(200);
    expect((await request(server.url('/longpolling/poll'), { agent })).status).toBe(405);
    const after = await request(server.url('/whoami'), { agent });
    expect(JSON.parse(after.body).kind).toBe('http');
    agent.destroy();
    await server.stop();
  });
});

describe('routing on http_port', () => {
  it('answers 404 naming gevent_port when proxy_longpolling is off, without using an HTTP worker', async () => {
    const { server } = await startPrefork(['--no-proxy-longpolling']);
    const response = await poll(server.url('/longpolling/poll'), ['x'], 0);
    expect(response.status).toBe(404);
    expect(response.headers['x-odoo-prefork-reason']).toBe('wrong-port');
    expect(response.body).toMatch(/gevent_port \d+/);
    await server.stop();
  });

  it('threaded mode serves the bus and the app on one port', async () => {
    const server = await ServerProcess.start(['--workers', '0', '--max-cron-threads', '0']);
    const client = subscribe(`ws://127.0.0.1:${server.port}/websocket`, ['t']);
    await client.opened;
    await json(server.url('/longpolling/health'));
    const waiting = poll(server.url('/longpolling/poll'), ['t'], 0);
    await new Promise((r) => setTimeout(r, 50));
    await publish(server, 't', 'hello');
    await client.until(1);
    expect(client.received[0]!.message).toBe('hello');
    expect((JSON.parse((await waiting).body) as Note[])[0]!.message).toBe('hello');
    client.ws.close();
    await server.stop();
  });
});

describe('the long-polling worker under its own memory limits', () => {
  it('is killed above limit_memory_hard_gevent, restarted, and serves again', async () => {
    const server = await ServerProcess.start(
      // The general limits are off: the long-polling worker's own limit applies all the same.
      ['--workers', '1', '--max-cron-threads', '0', '--limit-memory-soft', '0', '--limit-memory-hard', '0', '--limit-time-cpu', '0',
        '--limit-memory-hard-gevent', '150MiB', '--bus-retention', '1', '--app', 'test/fixtures/apps/bus-flood.mjs'],
    );
    const first = await server.waitForLog((l) => /^Evented Service \(longpolling\) running on/.test(l.msg));
    const gevent = Number(/:(\d+)$/.exec(first.msg)![1]);
    expect((await request(server.url('/flood?n=400'))).status).toBe(200);
    const kill = await server.waitForLog((l) => l.reason === 'hard-memory' && /hard memory limit \(157286400\) reached/.test(l.msg), 30_000);
    expect(kill.kind).toBe('longpolling');
    await server.waitForNextLog((l) => /^Evented Service \(longpolling\) running on/.test(l.msg), 30_000);
    const health = await json<{ status: string; pid: number }>(`http://127.0.0.1:${gevent}/longpolling/health`);
    expect(health.status).toBe('pass');
    expect(health.pid).not.toBe(kill.workerPid);
    await server.stop();
  });

  it('is not restarted in a loop when the retention window alone exceeds limit_memory_soft_gevent', async () => {
    const server = await ServerProcess.start(['--workers', '1', '--max-cron-threads', '0', '--limit-memory-soft-gevent', '120MiB', '--app', 'test/fixtures/apps/bus-flood.mjs']);
    await server.waitForLog((l) => /^Evented Service \(longpolling\) running on/.test(l.msg));
    expect((await request(server.url('/flood?n=400'))).status).toBe(200);
    const warning = await server.waitForLog((l) => l.code === 'LIMIT_BELOW_WORKER_FOOTPRINT' && /once settled/.test(l.msg), 30_000);
    expect(warning.msg).toMatch(/limit_memory_soft_gevent \(120 MiB\) is below what a fresh WorkerLongPolling worker weighs once settled .*with the bus retention window/);
    expect(server.logs.filter((l) => l.kind === 'longpolling' && l.reason === 'soft-memory' && /exited/.test(l.msg)).length).toBeLessThanOrEqual(1);
    await server.stop();
  });
});

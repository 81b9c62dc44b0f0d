#!/usr/bin/env node
// Idle clients on the long-polling worker and publish → delivery latency:
//   node scripts/bench-longpolling.mjs [--clients 1000] [--messages 40] [--gap-ms 50]
// Runs two rounds — N websocket clients, then N long-poll clients — against a prefork server
// started here. Prints the long-polling worker's RSS per 1000 clients and, for each message, how
// long it took from the publish request (POST /bus/publish on http_port, through an HTTP worker and
// the master) to every client (p50, p99 over all deliveries).
import { execa } from 'execa';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { freePort, quantile } from './lib/bench.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '1000' },
    messages: { type: 'string', default: '40' },
    'gap-ms': { type: 'string', default: '50' },
  },
});
const CLIENTS = Number(values.clients);
const MESSAGES = Number(values.messages);
const GAP_MS = Number(values['gap-ms']);
const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS + 10 });

function post(port, pathname, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: pathname, method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

function get(port, pathname) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: pathname, agent: false }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve(JSON.parse(text)));
    }).on('error', reject);
  });
}

async function startServer() {
  const httpPort = await freePort();
  const geventPort = await freePort();
  const child = execa(
    'node',
    ['dist/cli/main.js', '--workers', '2', '--max-cron-threads', '0', '-p', String(httpPort), '--gevent-port', String(geventPort), '--http-interface', '127.0.0.1', '--log-format', 'json', '--log-level', 'warn'],
    { cwd: root, reject: false, stdout: 'ignore', env: { ODOO_RC: '' } },
  );
  readline.createInterface({ input: child.stderr }).on('line', () => undefined);
  for (let i = 0; i < 300; i++) {
    try {
      await get(geventPort, '/longpolling/health');
      await post(httpPort, '/bus/publish', { channel: 'warmup', message: 0 });
      return { child, httpPort, geventPort };
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error('the server did not start');
}


/** Publishes MESSAGES messages, GAP_MS apart; resolves with the publish times by message number. */
async function publishAll(httpPort, channel) {
  const sentAt = new Map();
  for (let i = 0; i < MESSAGES; i++) {
    sentAt.set(i, performance.now());
    const { status } = await post(httpPort, '/bus/publish', { channel, message: { i } });
    if (status !== 202) throw new Error(`publish answered ${status}`);
    await new Promise((r) => setTimeout(r, GAP_MS));
  }
  return sentAt;
}

async function round(kind, server) {
  const channel = `bench-${kind}`;
  const before = await get(server.geventPort, '/longpolling/health');
  const received = []; // [message number, time]
  const closers = [];
  let connected = 0;
  if (kind === 'websocket') {
    await Promise.all(
      Array.from({ length: CLIENTS }, () =>
        new Promise((resolve, reject) => {
          const ws = new WebSocket(`ws://127.0.0.1:${server.geventPort}/websocket`);
          ws.on('open', () => {
            ws.send(JSON.stringify({ event_name: 'subscribe', data: { channels: [channel], last: before.lastId } }));
            connected++;
            resolve();
          });
          ws.on('message', (data) => {
            const now = performance.now();
            for (const n of JSON.parse(data.toString())) received.push([n.message.i, now]);
          });
          ws.on('error', reject);
          closers.push(() => ws.terminate());
        }),
      ),
    );
  } else {
    // Raw keep-alive sockets with a minimal response reader: node:http's client would spend more
    // time parsing 1000 responses than the server spends writing them, and measure itself.
    for (let c = 0; c < CLIENTS; c++) {
      let last = before.lastId;
      let buffer = Buffer.alloc(0);
      const socket = net.connect(server.geventPort, '127.0.0.1');
      const ask = () => {
        const body = JSON.stringify({ channels: [channel], last });
        socket.write(`POST /longpolling/poll HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      };
      socket.setNoDelay(true);
      socket.on('connect', () => {
        connected++;
        ask();
      });
      socket.on('data', (chunk) => {
        buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
        for (;;) {
          const headEnd = buffer.indexOf('\r\n\r\n');
          if (headEnd < 0) return;
          const length = Number(/content-length: (\d+)/i.exec(buffer.toString('latin1', 0, headEnd))?.[1] ?? 0);
          if (buffer.length < headEnd + 4 + length) return;
          const now = performance.now();
          const notes = JSON.parse(buffer.toString('utf8', headEnd + 4, headEnd + 4 + length));
          buffer = buffer.subarray(headEnd + 4 + length);
          for (const n of notes) {
            received.push([n.message.i, now]);
            last = Math.max(last, n.id);
          }
          ask();
        }
      });
      socket.on('error', () => undefined);
      closers.push(() => socket.destroy());
    }
  }
  // Wait until the worker counts every client as waiting.
  for (let i = 0; i < 200; i++) {
    const h = await get(server.geventPort, '/longpolling/health');
    if ((kind === 'websocket' ? h.websockets : h.longpolling) >= CLIENTS) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const idle = await get(server.geventPort, '/longpolling/health');
  const sentAt = await publishAll(server.httpPort, channel);
  const deadline = Date.now() + 10_000;
  while (received.length < CLIENTS * MESSAGES && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const latencies = received.map(([i, at]) => at - sentAt.get(i));
  for (const close of closers) close();
  return {
    kind,
    clients: kind === 'websocket' ? idle.websockets : idle.longpolling,
    rssPer1000: ((idle.rss - before.rss) / idle[kind === 'websocket' ? 'websockets' : 'longpolling']) * 1000,
    delivered: received.length,
    expected: CLIENTS * MESSAGES,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    max: Math.max(...latencies),
  };
}

const server = await startServer();
const results = [];
try {
  results.push(await round('websocket', server));
  await new Promise((r) => setTimeout(r, 500));
  results.push(await round('longpolling', server));
} finally {
  server.child.kill('SIGTERM');
  await server.child;
  agent.destroy();
}

const mb = (bytes) => (bytes / 1048576).toFixed(1);
console.log(`\nLong-polling worker, ${CLIENTS} idle clients, ${MESSAGES} messages ${GAP_MS} ms apart, published with POST /bus/publish (${new Date().toISOString().slice(0, 10)})\n`);
console.log('| clients | connected | RSS per 1000 clients | delivered | publish → delivery p50 | p99 | max | target p99 |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of results) {
  console.log(`| ${r.kind} | ${r.clients} | ${mb(r.rssPer1000)} MB | ${r.delivered}/${r.expected} | ${r.p50.toFixed(1)} ms | ${r.p99.toFixed(1)} ms | ${r.max.toFixed(1)} ms | ≤ 50 ms |`);
}

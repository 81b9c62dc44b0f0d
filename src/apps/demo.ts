/**
 * The built-in demo app: routes that make each worker limit easy to trigger and each worker
 * visible. Tests, benchmarks and the README rely on these names.
 *
 *   GET  /                   a small page saying which worker served you
 *   GET  /whoami             {pid, kind, id, requests, rss, concurrent, maxConcurrent}
 *   GET  /cpu?ms=N           burns N ms of CPU (max 120000)
 *   GET  /sleep?ms=N         waits N ms without CPU (max 600000)
 *   GET  /alloc?mb=N[&keep=1][&hold=MS]  allocates N MiB (max 4096); keep=1 holds it until the worker
 *                            exits (a leak); hold=MS answers only after MS ms, the memory still in use
 *   GET  /crash              kills its own worker abruptly (prefork only)
 *   POST /echo               streams the request body back
 *   POST /bus/publish        {channel, message}: publishes on the bus (202)
 *   GET  /chat               a live chat page: two tabs chat through the bus
 *
 * Scheduled jobs (run by cron workers):
 *   demo.heartbeat   every 5 s: logs a line, so cron is visible right after `npm start`
 *   demo.chores      every DEMO_CRON_INTERVAL (default 30s); DEMO_CRON_MODE makes it misbehave
 *                    for the limit demos: slow (sleeps DEMO_CRON_SLOW_MS, default 10 min),
 *                    leak (keeps DEMO_CRON_LEAK_MB, default 64, per run), fail (throws), ok
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JobContext, JobDefinition } from '../cron/jobs.js';
import { memoryFigures } from '../workers/memory.js';
import { workerInfo } from '../workers/runtime-info.js';
import { bus } from '../bus/publish.js';
import { CHAT_PAGE } from './chat-page.js';

const LIMITS = { cpuMs: 120_000, sleepMs: 600_000, allocMb: 4096 };

/** Memory kept on purpose by /alloc?keep=1 — a leak the soft and hard memory limits can catch. */
const leaked: Buffer[] = [];
let inFlight = 0;
let maxInFlight = 0;

class BadRequest extends Error {}

function integerParam(url: URL, name: string, max: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null) throw new BadRequest(`missing parameter ${name} (an integer from 0 to ${max})`);
  if (!/^\d+$/.test(raw)) throw new BadRequest(`parameter ${name} must be an integer from 0 to ${max}, got ${JSON.stringify(raw)}`);
  const value = Number(raw);
  if (value > max) throw new BadRequest(`parameter ${name} must be at most ${max}, got ${value}`);
  return value;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function identity(concurrent: number) {
  const info = workerInfo();
  return {
    pid: process.pid,
    kind: info.kind,
    id: info.id,
    requests: info.requests,
    rss: process.memoryUsage.rss(),
    concurrent,
    maxConcurrent: maxInFlight,
  };
}

function burnCpu(ms: number): number {
  const start = process.cpuUsage();
  const deadline = performance.now() + ms;
  let x = 0;
  while (performance.now() < deadline) {
    for (let i = 0; i < 1000; i++) x = (x * 31 + i) % 1000003;
  }
  const used = process.cpuUsage(start);
  return x >= 0 ? (used.user + used.system) / 1000 : 0;
}

function allocate(mb: number): Buffer {
  // allocUnsafe + fill touches every page, so the memory shows up in RSS at once.
  return Buffer.allocUnsafe(mb * 1024 * 1024).fill(1);
}

function page(res: ServerResponse): void {
  const info = workerInfo();
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>odoo-prefork demo</title>
<style>body{font-family:system-ui,sans-serif;max-width:44rem;margin:2rem auto;line-height:1.5}code{background:#eee;padding:0 .2rem}</style>
</head><body>
<h1>odoo-prefork demo app</h1>
<p>Served by <strong>${info.kind === 'threaded' ? 'the threaded server' : `HTTP worker #${info.id}`}</strong>,
pid <strong>${process.pid}</strong>, request number ${info.requests} of this process.
Reload the page: in prefork mode each request goes to whichever worker is idle.</p>
<ul>
<li><a href="/whoami">/whoami</a>: this worker as JSON</li>
<li><a href="/sleep?ms=1000">/sleep?ms=1000</a>: wait one second without CPU</li>
<li><a href="/cpu?ms=500">/cpu?ms=500</a>: burn half a second of CPU (limit_time_cpu)</li>
<li><a href="/alloc?mb=64">/alloc?mb=64</a>: allocate 64 MiB (add <code>&amp;keep=1</code> to leak it: limit_memory_soft / hard)</li>
<li><a href="/crash">/crash</a>: crash this worker (the master replaces it)</li>
<li><code>curl -X POST --data-binary @file http://HOST/echo</code>: streams the body back</li>
<li><a href="/chat">/chat</a>: live chat through the bus (open it in two tabs)</li>
</ul>
</body></html>
`;
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(html) });
  res.end(html);
}

function route(req: IncomingMessage, res: ServerResponse, url: URL, concurrent: number): void {
  const method = req.method ?? 'GET';
  const getOnly = () => {
    if (method !== 'GET' && method !== 'HEAD') throw new MethodNotAllowed('GET');
  };
  switch (url.pathname) {
    case '/':
      getOnly();
      page(res);
      return;
    case '/whoami':
      getOnly();
      sendJson(res, 200, identity(concurrent));
      return;
    case '/cpu': {
      getOnly();
      const ms = integerParam(url, 'ms', LIMITS.cpuMs);
      const cpuMs = burnCpu(ms);
      sendJson(res, 200, { ...identity(concurrent), ms, cpuMs: Math.round(cpuMs) });
      return;
    }
    case '/sleep': {
      getOnly();
      const ms = integerParam(url, 'ms', LIMITS.sleepMs);
      setTimeout(() => sendJson(res, 200, { ...identity(concurrent), ms }), ms);
      return;
    }
    case '/alloc': {
      getOnly();
      const mb = integerParam(url, 'mb', LIMITS.allocMb);
      const keep = url.searchParams.get('keep');
      if (keep !== null && keep !== '0' && keep !== '1') throw new BadRequest('parameter keep must be 0 or 1');
      const hold = url.searchParams.has('hold') ? integerParam(url, 'hold', LIMITS.sleepMs) : 0;
      const allocStarted = performance.now();
      const block = allocate(mb);
      const allocMs = Math.round((performance.now() - allocStarted) * 10) / 10;
      if (keep === '1') leaked.push(block);
      const respond = (held: Buffer) =>
        sendJson(res, 200, {
          ...identity(concurrent),
          ...memoryFigures(),
          mb: held.length / 1048576,
          allocMs,
          kept: keep === '1',
          leakedMb: leaked.reduce((n, b) => n + b.length, 0) / 1048576,
        });
      // hold=MS answers later with the memory still referenced: how a hard-limit kill mid-request is shown.
      if (hold > 0) setTimeout(() => respond(block), hold);
      else respond(block);
      return;
    }
    case '/crash':
      getOnly();
      if (workerInfo().kind === 'threaded') {
        sendJson(res, 409, { error: 'threaded mode (workers = 0) has no worker to crash: /crash would stop the whole server' });
        return;
      }
      // An uncaught exception, as a real bug would raise: the worker dies without answering.
      setImmediate(() => {
        throw new Error('demo app /crash: crashing this worker on purpose');
      });
      return;
    case '/bus/publish': {
      if (method !== 'POST') throw new MethodNotAllowed('POST');
      readJson(req, res, (body) => {
        const { channel, message } = (body ?? {}) as { channel?: unknown; message?: unknown };
        if (typeof channel !== 'string' || channel === '' || message === undefined) {
          sendJson(res, 400, { error: 'POST a JSON object {"channel": "…", "message": …}' });
          return;
        }
        try {
          bus.publish(channel, message);
        } catch (error) {
          sendJson(res, 400, { error: (error as Error).message });
          return;
        }
        sendJson(res, 202, { published: true, channel, pid: process.pid });
      });
      return;
    }
    case '/chat':
      getOnly();
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(CHAT_PAGE) });
      res.end(CHAT_PAGE);
      return;
    case '/echo': {
      if (method !== 'POST' && method !== 'PUT') throw new MethodNotAllowed('POST, PUT');
      const headers: Record<string, string> = { 'content-type': req.headers['content-type'] ?? 'application/octet-stream' };
      if (req.headers['content-length']) headers['content-length'] = req.headers['content-length'];
      res.writeHead(200, headers);
      req.pipe(res);
      return;
    }
    default:
      sendJson(res, 404, { error: `no route ${url.pathname}; see GET /` });
  }
}

/** Reads a small JSON body (≤ 64 KiB), or answers 400/413 itself. */
function readJson(req: IncomingMessage, res: ServerResponse, then: (body: unknown) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= 65536) chunks.push(chunk);
  });
  req.on('end', () => {
    if (size > 65536) {
      sendJson(res, 413, { error: 'the body is limited to 64 KiB' });
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      sendJson(res, 400, { error: 'the body must be JSON' });
      return;
    }
    then(body);
  });
}

class MethodNotAllowed extends Error {
  constructor(readonly allow: string) {
    super(`method not allowed; use ${allow}`);
  }
}

export default function demoApp(req: IncomingMessage, res: ServerResponse): void {
  inFlight += 1;
  const concurrent = inFlight;
  if (inFlight > maxInFlight) maxInFlight = inFlight;
  res.once('close', () => {
    inFlight -= 1;
  });
  try {
    route(req, res, new URL(req.url ?? '/', 'http://localhost'), concurrent);
  } catch (error) {
    if (error instanceof BadRequest) sendJson(res, 400, { error: error.message });
    else if (error instanceof MethodNotAllowed) {
      res.setHeader('allow', error.allow);
      sendJson(res, 405, { error: error.message });
    } else throw error;
  }
}

let heartbeats = 0;
const cronLeak: Buffer[] = [];

function envNumber(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

export const jobs: JobDefinition[] = [
  {
    name: 'demo.heartbeat',
    interval: '5s',
    priority: 10,
    handler: (ctx: JobContext) => {
      heartbeats += 1;
      const info = workerInfo();
      ctx.logger.info(`heartbeat: ${info.kind} process ${process.pid} ran this job ${heartbeats} time(s)`);
    },
  },
  {
    name: 'demo.chores',
    interval: process.env.DEMO_CRON_INTERVAL ?? '30s',
    handler: async (ctx: JobContext) => {
      const mode = process.env.DEMO_CRON_MODE ?? 'ok';
      switch (mode) {
        case 'slow':
          await new Promise((resolve) => setTimeout(resolve, envNumber('DEMO_CRON_SLOW_MS', 600_000)));
          break;
        case 'leak':
          cronLeak.push(allocate(envNumber('DEMO_CRON_LEAK_MB', 64)));
          break;
        case 'fail':
          throw new Error(`demo.chores failed on purpose (DEMO_CRON_MODE=fail), failure ${ctx.failures + 1} in a row`);
        default:
          burnCpu(20);
      }
    },
  },
];

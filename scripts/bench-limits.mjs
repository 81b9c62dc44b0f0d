#!/usr/bin/env node
// How fast and how precisely each worker limit fires, measured against the real server:
//   node scripts/bench-limits.mjs [--trials 20] [--interval 0.1] [--load-seconds 10]
// Prints one table (markdown). Figures come from the master's JSON log (its own clock) and from
// the clients (status codes). Targets are printed next to each figure.
import autocannon from 'autocannon';
import { execa } from 'execa';
import http from 'node:http';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { quantile } from './lib/bench.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    trials: { type: 'string', default: '20' },
    interval: { type: 'string', default: '0.1' },
    'load-seconds': { type: 'string', default: '10' },
  },
});
const TRIALS = Number(values.trials);
const INTERVAL_MS = Number(values.interval) * 1000;
const LOAD_SECONDS = Number(values['load-seconds']);
const MiB = 1024 * 1024;

class Server {
  static async start(args) {
    const server = new Server();
    server.logs = [];
    server.waiters = [];
    server.child = execa('node', ['dist/cli/main.js', '-p', '0', '--http-interface', '127.0.0.1', '--log-format', 'json', '--limit-check-interval', String(values.interval), ...args], {
      cwd: root,
      reject: false,
      stdout: 'ignore',
      env: { ODOO_RC: '' },
    });
    readline.createInterface({ input: server.child.stderr }).on('line', (text) => {
      let line;
      try {
        line = JSON.parse(text);
      } catch {
        return;
      }
      server.logs.push(line);
      server.waiters = server.waiters.filter((w) => (w.test(line) ? (w.resolve(line), false) : true));
    });
    const listening = await server.next((l) => /HTTP service \(werkzeug\) running on/.test(l.msg));
    server.port = Number(/:(\d+)$/.exec(listening.msg)[1]);
    const workers = Number(args[args.indexOf('--workers') + 1]);
    while (server.logs.filter((l) => /^Worker WorkerHTTP \(\d+\) alive$/.test(l.msg)).length < workers) await server.next((l) => /alive$/.test(l.msg));
    return server;
  }
  next(test, timeoutMs = 30_000) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timeout waiting for a log line')), timeoutMs);
      this.waiters.push({ test, resolve: (line) => (clearTimeout(timer), resolve(line)) });
    });
  }
  url(p) {
    return `http://127.0.0.1:${this.port}${p}`;
  }
  async stop() {
    this.child.kill('SIGTERM');
    await this.child;
  }
}

function get(url) {
  return new Promise((resolve, reject) => {
    http.get(url, { agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, reason: res.headers['x-odoo-prefork-reason'], body }));
    }).on('error', reject);
  });
}

const fmt = (n, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '–');

/** Triggers a kill `TRIALS` times; returns how far past the limit it fired and how long the replacement took. */
async function killTrials(name, args, path, { overshoot }) {
  const server = await Server.start(['--workers', '1', ...args]);
  const past = [];
  const replacement = [];
  let wrongStatus = 0;
  for (let i = 0; i < TRIALS; i++) {
    // Requests arrive at random moments relative to the master's sampling rounds; without this pause
    // each trial would start in step with the round that killed the previous worker.
    await new Promise((r) => setTimeout(r, Math.random() * INTERVAL_MS * 2));
    const killLine = server.next((l) => typeof l.workerPid === 'number' && l.reason && /timeout after|CPU time limit|hard memory limit/.test(l.msg));
    const response = await get(server.url(path));
    if (response.status < 500) wrongStatus++;
    const kill = await killLine;
    past.push(overshoot(kill));
    const alive = await server.next((l) => /^Worker WorkerHTTP \(\d+\) alive$/.test(l.msg) && l.time >= kill.time);
    replacement.push(alive.time - kill.time);
  }
  await server.stop();
  return { name, past, replacement, wrongStatus };
}

async function recycleUnderLoad(name, args, path) {
  const server = await Server.start(['--workers', '4', ...args]);
  const result = await new Promise((resolve, reject) =>
    autocannon({ url: server.url(path), connections: 20, duration: LOAD_SECONDS }, (error, r) => (error ? reject(error) : resolve(r))),
  );
  const recycled = server.logs.filter((l) => l.reason && /exited/.test(l.msg) && typeof l.workerPid === 'number').length;
  await server.stop();
  return { name, requests: result.requests.total, failed: result.errors + result.timeouts + result.non2xx, recycled };
}

async function allocationRate() {
  const server = await Server.start(['--workers', '1', '--limit-memory-hard', '0', '--limit-memory-soft', '0']);
  const rates = [];
  for (let i = 0; i < 10; i++) {
    const { body } = await get(server.url('/alloc?mb=512'));
    const { mb, allocMs } = JSON.parse(body);
    rates.push(mb / allocMs);
  }
  await server.stop();
  // The fastest rate seen: within one interval the worker can allocate at least that much.
  return Math.max(...rates); // MB per ms
}

console.error(`bench-limits: ${TRIALS} trials per limit, sampling every ${INTERVAL_MS} ms…`);
const real = await killTrials('limit_time_real = 0.5 s', ['--limit-time-real', '0.5'], '/sleep?ms=5000', {
  overshoot: (l) => l.request.elapsedMs - 500,
});
const cpu = await killTrials('limit_time_cpu = 0.3 s', ['--limit-time-cpu', '0.3'], '/cpu?ms=5000', { overshoot: (l) => l.value - 300 });
const rate = await allocationRate();
const hard = await killTrials('limit_memory_hard = 256 MiB', ['--limit-memory-hard', '256MiB', '--limit-memory-soft', '0'], '/alloc?mb=512&hold=5000', {
  overshoot: (l) => (l.value - 256 * MiB) / MiB,
});
const maxRequests = await recycleUnderLoad('limit_request = 50 (jitter 10)', ['--limit-request', '50', '--limit-request-jitter', '10'], '/whoami');
const soft = await recycleUnderLoad('limit_memory_soft = 120 MiB, 4 MiB leaked per request', ['--limit-memory-soft', '120MiB', '--limit-request', '0'], '/alloc?mb=4&keep=1');

const kills = [real, cpu, hard];
const allReplacements = kills.flatMap((k) => k.replacement);
console.log(`\nWorker limits, ${TRIALS} trials each, limit_check_interval = ${INTERVAL_MS} ms (${new Date().toISOString().slice(0, 10)})\n`);
console.log('| limit | trials | past the limit p50 | p99 | max | target | client got the error | replacement ready p50 | p95 |');
console.log('|---|---|---|---|---|---|---|---|---|');
const row = (k, unit, target) =>
  console.log(
    `| ${k.name} | ${k.past.length} | ${fmt(quantile(k.past, 0.5), 1)} ${unit} | ${fmt(quantile(k.past, 0.99), 1)} ${unit} | ${fmt(Math.max(...k.past), 1)} ${unit} | ${target} | ${k.past.length - k.wrongStatus}/${k.past.length} | ${fmt(quantile(k.replacement, 0.5))} ms | ${fmt(quantile(k.replacement, 0.95))} ms |`,
  );
row(real, 'ms', '≤ 20 ms at p99');
row(cpu, 'ms CPU', `≤ ${INTERVAL_MS + 20} ms (interval + 20)`);
row(hard, 'MB', `≤ ${fmt(rate * INTERVAL_MS)} MB (allocated in one interval at ${fmt(rate * 1000)} MB/s)`);
console.log(`\nReplacement ready after a kill, all limits: p50 ${fmt(quantile(allReplacements, 0.5))} ms, p95 ${fmt(quantile(allReplacements, 0.95))} ms (target ≤ 300 ms at p95)\n`);
console.log('| recycling under load (4 workers, 20 connections) | seconds | requests | workers recycled | failed requests |');
console.log('|---|---|---|---|---|');
for (const r of [maxRequests, soft]) console.log(`| ${r.name} | ${LOAD_SECONDS} | ${r.requests} | ${r.recycled} | ${r.failed} |`);

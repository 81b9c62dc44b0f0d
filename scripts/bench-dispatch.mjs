#!/usr/bin/env node
// Dispatch throughput: odoo-prefork's master (queue + one request per worker) against Node's own
// cluster module serving the same demo handler with the same number of workers, measured in the
// same run with autocannon. Prints req/s, latency and errors for both, and the ratio.
//   node scripts/bench-dispatch.mjs [--workers 5] [--connections 50] [--duration 10] [--path /whoami]
import autocannon from 'autocannon';
import { execa } from 'execa';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort, waitForPort } from './lib/bench.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    workers: { type: 'string', default: '5' },
    connections: { type: 'string', default: '50' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    path: { type: 'string', default: '/whoami' },
  },
});
const workers = Number(values.workers);
const connections = Number(values.connections);

function run(url, duration) {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections, duration, pipelining: 1 }, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

async function measure(name, command, args, port) {
  const child = execa(command, args, { cwd: root, stdio: 'ignore', reject: false, env: { ODOO_RC: '' } });
  try {
    await waitForPort(port, child);
    // Prefork waits for all its workers before the first request is dispatched; give both a warm-up.
    const url = `http://127.0.0.1:${port}${values.path}`;
    await run(url, Number(values.warmup));
    const result = await run(url, Number(values.duration));
    return {
      name,
      rps: result.requests.average,
      p50: result.latency.p50,
      p99: result.latency.p99,
      total: result.requests.total,
      errors: result.errors + result.timeouts,
      non2xx: result.non2xx,
    };
  } finally {
    child.kill('SIGTERM');
    await child;
  }
}

const basePort = await freePort();
const baseline = await measure('node:cluster (baseline)', 'node', ['scripts/cluster-baseline.mjs', '--workers', String(workers), '--port', String(basePort)], basePort);
const preforkPort = await freePort();
const prefork = await measure(
  'odoo-prefork',
  'node',
  ['dist/cli/main.js', '--workers', String(workers), '--max-cron-threads', '0', '-p', String(preforkPort), '--http-interface', '127.0.0.1', '--log-level', 'warn'],
  preforkPort,
);

const rows = [baseline, prefork];
console.log(`\n${workers} workers, ${connections} connections, ${values.duration} s, GET ${values.path} (autocannon, after ${values.warmup} s warm-up)\n`);
console.log('| server | req/s | p50 ms | p99 ms | requests | errors | non-2xx |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.name} | ${Math.round(r.rps)} | ${r.p50} | ${r.p99} | ${r.total} | ${r.errors} | ${r.non2xx} |`);
console.log(`\nodoo-prefork / node:cluster throughput: ${(prefork.rps / baseline.rps).toFixed(2)}`);

#!/usr/bin/env node
// The baseline for the dispatch benchmark: Node's own cluster module (round-robin, no queue, a
// worker may hold many requests at once) serving the same demo app with the same worker count.
//   node scripts/cluster-baseline.mjs [--workers 5] [--port 18069]
import cluster from 'node:cluster';
import http from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { workers: { type: 'string', default: '5' }, port: { type: 'string', default: '18069' }, host: { type: 'string', default: '127.0.0.1' } },
});

if (cluster.isPrimary) {
  const count = Number(values.workers);
  let listening = 0;
  for (let i = 0; i < count; i++) {
    cluster.fork().on('listening', () => {
      if (++listening === count) console.log(`cluster baseline: ${count} workers on http://${values.host}:${values.port}`);
    });
  }
  process.on('SIGTERM', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill();
    process.exit(0);
  });
  process.on('SIGINT', () => process.emit('SIGTERM'));
} else {
  const { default: demo } = await import('../dist/apps/demo.js');
  http.createServer(demo).listen(Number(values.port), values.host);
}

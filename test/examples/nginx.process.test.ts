/**
 * examples/nginx.conf in front of the server, when nginx is installed (apt-get install nginx-light):
 * the websocket and long polling reach the long-polling worker, the rest the HTTP workers.
 */
import { execaSync, execa } from 'execa';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { json, killAll, request, ROOT, ServerProcess } from '../helpers/server.js';

afterEach(killAll);

const nginx = (() => {
  try {
    execaSync('nginx', ['-v']);
    return true;
  } catch {
    return false;
  }
})();

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

describe.runIf(nginx)('examples/nginx.conf', () => {
  it('routes /websocket and /longpolling/ to gevent_port and the rest to http_port', async () => {
    const [httpPort, geventPort, nginxPort] = [await freePort(), await freePort(), await freePort()];
    const server = await ServerProcess.start(['--workers', '1', '--max-cron-threads', '0', '-p', String(httpPort), '--gevent-port', String(geventPort)]);
    await server.waitForLog((l) => /^Evented Service \(longpolling\)/.test(l.msg));
    const dir = mkdtempSync(path.join(os.tmpdir(), 'odoo-prefork-nginx-'));
    const conf = readFileSync(path.join(ROOT, 'examples', 'nginx.conf'), 'utf8')
      .replaceAll('/tmp/odoo-prefork-nginx', `${dir}/nginx`)
      .replace('127.0.0.1:8069', `127.0.0.1:${httpPort}`)
      .replace('127.0.0.1:8072', `127.0.0.1:${geventPort}`)
      .replace('listen 127.0.0.1:8080', `listen 127.0.0.1:${nginxPort}`);
    const confFile = path.join(dir, 'nginx.conf');
    writeFileSync(confFile, conf);
    const proxy = execa('nginx', ['-c', confFile, '-g', 'daemon off;'], { reject: false });
    try {
      let whoami: { kind: string } | undefined;
      for (let i = 0; i < 100 && !whoami; i++) {
        whoami = await json<{ kind: string }>(`http://127.0.0.1:${nginxPort}/whoami`).catch(async () => {
          await new Promise((r) => setTimeout(r, 50));
          return undefined;
        });
      }
      expect(whoami?.kind).toBe('http');
      const ws = new WebSocket(`ws://127.0.0.1:${nginxPort}/websocket`);
      const got = new Promise<string>((resolve) => ws.once('message', (d) => resolve(d.toString())));
      await new Promise((r) => ws.once('open', r));
      ws.send(JSON.stringify({ event_name: 'subscribe', data: { channels: ['n'], last: 0 } }));
      await json(`http://127.0.0.1:${nginxPort}/longpolling/health`);
      await request(`http://127.0.0.1:${nginxPort}/bus/publish`, { method: 'POST', body: JSON.stringify({ channel: 'n', message: 'via nginx' }), headers: { 'content-type': 'application/json' } });
      expect(JSON.parse(await got)[0].message).toBe('via nginx');
      ws.close();
      const polled = await request(`http://127.0.0.1:${nginxPort}/longpolling/poll`, { method: 'POST', body: JSON.stringify({ channels: ['n'], last: 0 }) });
      expect(JSON.parse(polled.body)[0].message).toBe('via nginx');
    } finally {
      proxy.kill('SIGQUIT');
      await proxy;
      await server.stop();
    }
  });
});

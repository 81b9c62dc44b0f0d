/**
 * Threaded mode (workers = 0): one process serves the app, Node's event loop standing in for
 * Odoo's thread per request. This is Odoo's development mode; no limits apply.
 */
import http, { type Server } from 'node:http';
import type { Settings } from '../config/settings.js';
import type { Logger } from '../observability/logger.js';
import { loadApp } from '../workers/app-loader.js';
import { setWorkerInfo } from '../workers/runtime-info.js';
import { rmSync, writeFileSync } from 'node:fs';

export interface ThreadedOptions {
  settings: Settings;
  logger: Logger;
  appLogger: Logger;
  /** Why threaded mode runs, for the start-up line. */
  reason: string;
}

export async function runThreaded(options: ThreadedOptions): Promise<number> {
  const { settings, logger } = options;
  const info = setWorkerInfo({ kind: 'threaded', pid: process.pid, id: 0, requests: 0, startedAt: Date.now() });
  const app = await loadApp(settings.app, process.cwd());
  const server: Server = http.createServer((req, res) => {
    info.requests += 1;
    try {
      const result = app.listener(req, res);
      if (result && typeof (result as Promise<unknown>).catch === 'function') {
        (result as Promise<unknown>).catch((error: unknown) => fail(res, error));
      }
    } catch (error) {
      fail(res, error);
    }
  });
  function fail(res: http.ServerResponse, error: unknown): void {
    options.appLogger.error({ err: error }, 'Exception in request handler');
    if (!res.headersSent) {
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
      res.end('Internal Server Error\n');
    } else res.destroy();
  }

  if (!settings.http_enable) {
    logger.info({ mode: 'threaded' }, 'HTTP disabled (--no-http / http_enable = False): nothing is served');
  } else {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: settings.http_port, ...(settings.http_interface ? { host: settings.http_interface } : {}) }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const port = (server.address() as { port: number }).port;
    logger.info({ mode: 'threaded', port }, `HTTP service (werkzeug) running on ${settings.http_interface || '0.0.0.0'}:${port}`);
    logger.info(`threaded mode (${options.reason}): one process serves every request concurrently, no worker limits apply; app: ${app.source}`);
  }
  if (settings.pidfile) writeFileSync(settings.pidfile, `${process.pid}\n`);

  return new Promise((resolve) => {
    let signals = 0;
    const done = () => {
      if (settings.pidfile) rmSync(settings.pidfile, { force: true });
      resolve(0);
    };
    const onSignal = () => {
      signals += 1;
      if (signals > 1) {
        logger.info('Forced shutdown.');
        server.closeAllConnections();
        done();
        return;
      }
      logger.info('Stopping gracefully');
      if (!server.listening) {
        done();
        return;
      }
      server.close(() => done());
      server.closeIdleConnections();
      // In-flight requests get limit_time_real to finish, as in prefork mode.
      const graceSeconds = settings.limit_time_real > 0 ? settings.limit_time_real : 120;
      setTimeout(() => {
        logger.info('Stopping forcefully');
        server.closeAllConnections();
        done();
      }, graceSeconds * 1000).unref();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

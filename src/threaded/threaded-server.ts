/**
 * Threaded mode (workers = 0): one process serves the app, Node's event loop standing in for
 * Odoo's thread per request, and runs the app's jobs with at most max_cron_threads at a time.
 * This is Odoo's development mode; no worker limits apply.
 */
import http, { type Server } from 'node:http';
import os from 'node:os';
import { resolveDataDir, type Settings } from '../config/settings.js';
import { specOf } from '../cron/jobs.js';
import { runJob } from '../cron/run-job.js';
import { CronScheduler } from '../cron/scheduler.js';
import { CronStateStore } from '../cron/state-store.js';
import type { Logger } from '../observability/logger.js';
import { AppLoadError, loadApp, requireListener, type LoadedApp } from '../workers/app-loader.js';
import { setWorkerInfo } from '../workers/runtime-info.js';
import { BusHub } from '../bus/hub.js';
import { busIdGenerator } from '../bus/bus-log.js';
import { setBusTransport } from '../bus/publish.js';
import { clampDelay } from '../util/timers.js';

export interface ThreadedOptions {
  settings: Settings;
  logger: Logger;
  appLogger: Logger;
  cronLogger: Logger;
  busLogger: Logger;
  /** Why threaded mode runs, for the start-up line. */
  reason: string;
}

/** Cron "threads": up to max_cron_threads jobs run at once in this process. */
function startCron(app: LoadedApp, options: ThreadedOptions): CronScheduler<number> | undefined {
  const { settings, logger, cronLogger } = options;
  if (settings.max_cron_threads === 0) {
    logger.info('cron: max_cron_threads = 0: no cron thread, scheduled jobs will not run');
    return undefined;
  }
  const store = new CronStateStore(resolveDataDir(settings, os.homedir()));
  store.lock();
  const scheduler: CronScheduler<number> = new CronScheduler<number>({
    store,
    logger: cronLogger,
    describe: (slot) => `cron thread ${slot} (${process.pid})`,
    start: (slot, lease) => {
      const job = app.jobs.get(lease.spec.name);
      if (!job) {
        scheduler.finished(lease.runId, 'failure', 'the job is no longer declared');
        scheduler.runnerIdle(slot);
        return;
      }
      void runJob(job, lease, cronLogger).then((result) => {
        scheduler.finished(lease.runId, result.outcome, result.error);
        scheduler.runnerIdle(slot);
      });
    },
  });
  logger.info({ cronThreads: settings.max_cron_threads, stateFile: store.file }, `cron: ${settings.max_cron_threads} cron thread(s), schedule kept in ${store.file}`);
  scheduler.setJobs([...app.jobs.values()].map(specOf));
  for (let slot = 1; slot <= settings.max_cron_threads; slot++) scheduler.runnerIdle(slot);
  process.once('exit', () => store.unlock());
  return scheduler;
}

export async function runThreaded(options: ThreadedOptions): Promise<number> {
  const { settings, logger } = options;
  const info = setWorkerInfo({ kind: 'threaded', pid: process.pid, id: 0, requests: 0, startedAt: Date.now() });
  // Signals that reshape or reload a prefork pool have nothing to act on here; they must not kill
  // (HUP) or suspend (TTIN/TTOU) the one process that serves everything — from the first moment.
  process.on('SIGHUP', () =>
    logger.info('SIGHUP: threaded mode (workers = 0) cannot reload in place; restart the server (prefork mode reloads its workers on SIGHUP)'),
  );
  process.on('SIGTTIN', () => logger.info('SIGTTIN: threaded mode has no workers to add'));
  process.on('SIGTTOU', () => logger.info('SIGTTOU: threaded mode has no workers to remove'));
  let quitState: () => object = () => ({});
  process.on('SIGQUIT', () => logger.info(quitState(), `SIGQUIT: threaded server, ${info.requests} requests served`));
  let app: LoadedApp;
  let listener: ReturnType<typeof requireListener> | undefined;
  try {
    app = await loadApp(settings.app, process.cwd());
    listener = settings.http_enable ? requireListener(app) : undefined;
  } catch (error) {
    if (error instanceof AppLoadError) throw error;
    throw new AppLoadError(`the app module ${settings.app} threw while loading: ${(error as Error).message}`);
  }
  // Threaded mode serves the bus on http_port itself, as Odoo does.
  const hub = new BusHub({ retentionMs: settings.bus_retention * 1000, pollTimeoutMs: settings.longpolling_timeout * 1000, logger: options.busLogger });
  const nextId = busIdGenerator();
  setBusTransport((channel, message) => hub.deliver({ id: nextId(), channel, message, time: Date.now() }));
  const server: Server = http.createServer((req, res) => {
    if (hub.handleRequest(req, res)) return;
    info.requests += 1;
    try {
      const result = listener!(req, res);
      if (result && typeof (result as Promise<unknown>).catch === 'function') {
        (result as Promise<unknown>).catch((error: unknown) => fail(res, error));
      }
    } catch (error) {
      fail(res, error);
    }
  });
  server.on('upgrade', (req, socket, head) => {
    if (!hub.handleUpgrade(req, socket, head)) {
      socket.end('HTTP/1.1 501 Not Implemented\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
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
    logger.info({ mode: 'threaded' }, 'HTTP disabled (--no-http / http_enable = False): cron only, no HTTP listener');
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
  const cron = startCron(app, options);
  quitState = () => ({ requests: info.requests, bus: hub.stats(), cron: cron?.status() ?? [] });

  return new Promise((resolve) => {
    let signals = 0;
    let done = false;
    let serverClosed = !server.listening;
    const finish = () => {
      if (done) return;
      done = true;
      resolve(0);
    };
    // Graceful: no new connections or jobs; what is running finishes.
    const whenIdle = () => {
      if (serverClosed && (cron?.running ?? 0) === 0) finish();
      else setTimeout(whenIdle, 50); // keeps the process alive until the last request or job is done
    };
    const onSignal = () => {
      signals += 1;
      if (signals > 1) {
        logger.info('Forced shutdown.');
        server.closeAllConnections();
        finish();
        return;
      }
      logger.info('Stopping gracefully');
      cron?.stop();
      hub.closeAll();
      if (server.listening) {
        server.close(() => {
          serverClosed = true;
        });
        server.closeIdleConnections();
      }
      // In-flight requests and jobs get limit_time_real to finish, as in prefork mode.
      const graceSeconds = settings.limit_time_real > 0 ? settings.limit_time_real : 120;
      setTimeout(() => {
        logger.info('Stopping forcefully');
        server.closeAllConnections();
        finish();
      }, clampDelay(graceSeconds * 1000)).unref();
      whenIdle();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

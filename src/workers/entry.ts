/**
 * Entry point of every worker process (node:cluster runs this file). It reads what the master
 * handed over in the environment, loads the app, and runs the worker of its kind. The life cycle
 * is the same for every kind: ready → work handed over by the master → exit when told to (or
 * after a limit), never in the middle of work the master believes it gave.
 */
import { createLogger, LOGGER_NAMES } from '../observability/logger.js';
import { BOOTSTRAP_ENV, CRITICAL_EXIT_CODE, type MasterToWorker, type WorkerBootstrap, type WorkerToMaster } from '../ipc/messages.js';
import { specOf } from '../cron/jobs.js';
import { AppLoadError, loadApp, requireListener, type LoadedApp } from './app-loader.js';
import { setBusTransport } from '../bus/publish.js';
import { setWorkerInfo } from './runtime-info.js';
import { workerClassName } from './names.js';
import type { Verdict } from '../limits/policy.js';
import { limitDetail, limitMessage } from '../limits/messages.js';
import { memoryFigures } from './memory.js';

const bootstrap = JSON.parse(process.env[BOOTSTRAP_ENV] ?? 'null') as WorkerBootstrap | null;
if (!bootstrap || !process.send) {
  process.stderr.write('odoo-prefork: this file is a worker entry point; it is started by the master, not by hand\n');
  process.exit(2);
}

const { settings, kind } = bootstrap;
const root = createLogger({ level: settings.log_level, format: settings.log_format, logfile: settings.logfile });
const logger = root.child({ name: LOGGER_NAMES.server, kind, worker: bootstrap.id });
const info = setWorkerInfo({ kind, pid: process.pid, id: bootstrap.id, requests: 0, startedAt: Date.now() });
let stopping = false;

function send(message: WorkerToMaster, then?: () => void): void {
  if (!process.connected) {
    then?.();
    return;
  }
  // Exit only once the message has left, so the master always learns why (bounded wait).
  const fallback = then ? setTimeout(then, 500) : undefined;
  process.send?.(message, undefined, {}, () => {
    if (fallback) clearTimeout(fallback);
    then?.();
  });
}

process.on('uncaughtException', (error) => {
  logger.fatal({ err: error, reason: 'crash' }, `Worker (${process.pid}) crashed: ${error.message}`);
  send({ type: 'exiting', reason: 'crash', detail: error.message }, () => process.exit(1));
});

// Ctrl-C in a terminal reaches every process of the group; the master alone decides how to stop,
// so queued requests are still served. SIGTERM sent to one worker retires it gracefully: the
// master first stops handing it work (exiting on its own could strand a request in flight).
process.on('SIGINT', () => undefined);
// SIGQUIT (Ctrl-\ reaches every process of the group): Odoo dumps stacks and goes on; so does this
// worker, with what it is doing. (A worker stuck in synchronous code cannot answer: the limits get it.)
process.on('SIGQUIT', () => {
  logger.info({ requests: info.requests, stack: new Error('SIGQUIT').stack }, `Worker ${workerClassName(kind)} (${process.pid}) SIGQUIT: ${info.requests} requests served, RSS ${process.memoryUsage.rss()}`);
});
process.on('SIGTERM', () => {
  if (process.connected) send({ type: 'retire-me', reason: 'signal', detail: 'SIGTERM received' });
  else process.exit(0);
});

process.on('exit', (code) => {
  if (!stopping && !process.connected && code === 0) {
    logger.info({ reason: 'master-gone' }, `Worker (${process.pid}) Parent changed`);
  }
});

/** What the worker of this kind does; `flush` runs before exiting (an HTTP worker ends its data channel). */
interface KindRuntime {
  busy(): boolean;
  flush(callback: () => void): void;
}

function onIdle(retire: Verdict | undefined): void {
  if (retire) leaveForLimit(retire);
  else if (stopping) exitWhenFlushed();
}

function bootFailed(error: unknown, cause?: unknown): Promise<never> {
  const err = error as Error;
  // The stack that matters is the app's (cause), not this wrapper's.
  logger.error({ ...(cause ? { err: cause } : {}), reason: 'boot-error' }, `Worker ${workerClassName(kind)} (${process.pid}) could not start: ${err.message}`);
  send({ type: 'boot-error', message: err.message, ...(err.stack ? { stack: err.stack } : {}) }, () => process.exit(CRITICAL_EXIT_CODE));
  return new Promise(() => undefined);
}

// Each kind loads only its own runtime: a fresh worker starts sooner (the replacement after a
// limit kill is on the clock), and an HTTP worker never loads the websocket library.
async function startLongpolling(): Promise<KindRuntime> {
  const { LongpollingWorker } = await import('./longpolling-worker.js');
  const worker = new LongpollingWorker(settings, root.child({ name: LOGGER_NAMES.bus, kind, worker: bootstrap!.id }));
  let port: number;
  try {
    port = await worker.listen();
  } catch (error) {
    const err = error as NodeJS.ErrnoException;
    const why = err.code === 'EADDRINUSE' ? 'the port is already in use; stop what holds it or choose another gevent_port' : err.message;
    return bootFailed(new Error(`cannot listen on gevent_port ${settings.gevent_port}: ${why}`));
  }
  process.on('message', (message: MasterToWorker) => {
    if (message?.type === 'bus-messages') for (const m of message.messages) worker.hub.deliver(m);
  });
  logger.info({ port }, `Evented Service (longpolling) running on ${settings.http_interface || '0.0.0.0'}:${port}`);
  readyExtras = { port };
  return { busy: () => false, flush: (callback) => worker.close(callback) };
}

async function startWithApp(): Promise<KindRuntime> {
  let app: LoadedApp;
  try {
    app = await loadApp(settings.app, process.cwd());
    if (kind === 'http') requireListener(app);
  } catch (error) {
    return bootFailed(new Error(`could not load the app: ${(error as Error).message}`), error instanceof AppLoadError ? undefined : error);
  }
  // App code publishes through the master, which numbers messages and relays them.
  setBusTransport((channel, message) => send({ type: 'bus-publish', channel, message }));
  readyExtras = kind === 'cron' ? { jobs: [...app.jobs.values()].map(specOf) } : {};
  if (kind === 'cron') {
    const { CronWorker } = await import('./cron-worker.js');
    const cron = new CronWorker({
      jobs: app.jobs,
      logger: root.child({ name: LOGGER_NAMES.cron, kind, worker: bootstrap!.id }),
      info,
      limits: bootstrap!.limits,
      send,
      onIdle,
    });
    process.on('message', (message: MasterToWorker) => {
      if (message?.type === 'run-job' && !cron.busy && !stopping) void cron.run(message);
    });
    return { busy: () => cron.busy, flush: (callback) => callback() };
  }
  const { HttpWorker } = await import('./http-worker.js');
  const http = new HttpWorker({
    listener: requireListener(app),
    logger: root.child({ name: LOGGER_NAMES.app, kind, worker: bootstrap!.id }),
    info,
    limits: bootstrap!.limits,
    onIdle,
  });
  return { busy: () => http.busy, flush: (callback) => http.flush(callback) };
}

let readyExtras: Partial<Extract<WorkerToMaster, { type: 'ready' }>> = {};
const runtime: KindRuntime = kind === 'longpolling' ? await startLongpolling() : await startWithApp();

function exitWhenFlushed(): void {
  runtime.flush(() => process.exit(0));
}

/** limit_request or limit_memory_soft: the master already knows from the last message of the work. */
function leaveForLimit(verdict: Verdict): void {
  stopping = true;
  logger.info(
    { reason: verdict.reason, value: verdict.value, limit: verdict.limit, requests: info.requests, ...memoryFigures() },
    limitMessage(verdict, process.pid, kind),
  );
  send({ type: 'exiting', reason: verdict.reason, detail: limitDetail(verdict) }, exitWhenFlushed);
}

function beginStop(): void {
  if (stopping) return;
  stopping = true;
  if (!runtime.busy()) exitWhenFlushed();
}

process.on('message', (message: MasterToWorker) => {
  if (message?.type !== 'shutdown') return;
  if (message.limit && !stopping) {
    const verdict: Verdict = { action: 'retire', ...message.limit };
    logger.info(
      { reason: verdict.reason, value: verdict.value, limit: verdict.limit, requests: info.requests, ...memoryFigures() },
      limitMessage(verdict, process.pid, kind),
    );
  }
  beginStop();
});

const cpu = process.cpuUsage();
send({ type: 'ready', rss: process.memoryUsage.rss(), cpuMicros: cpu.user + cpu.system, ...readyExtras });
logger.info(`Worker ${workerClassName(kind)} (${process.pid}) alive`);

/**
 * The prefork master. It owns the worker table, spawns workers with node:cluster, runs the HTTP
 * front (queue + dispatch), and reacts to a few kinds of events: a worker message, a worker exit,
 * a finished request, a signal. After each it reconciles the pool with the desired counts.
 *
 * States: starting → running → stopping → stopped. Signal handlers only record the signal and
 * act on it in the next tick; an exception inside one event is logged and the master goes on.
 */
import cluster from 'node:cluster';
import type { Socket } from 'node:net';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { effectiveQueueSize, resolveDataDir, type Settings } from '../config/settings.js';
import { CronScheduler } from '../cron/scheduler.js';
import type { JobStatus, Lease } from '../cron/schedule.js';
import { CronStateStore } from '../cron/state-store.js';
import type { ResponseEnd } from '../ipc/frames.js';
import {
  BOOTSTRAP_ENV,
  CRITICAL_EXIT_CODE,
  isWorkerMessage,
  type MasterToWorker,
  type WorkerBootstrap,
  type WorkerExitReason,
  type WorkerKind,
  type WorkerToMaster,
} from '../ipc/messages.js';
import { limitDetail, limitMessage, limitResponse } from '../limits/messages.js';
import { limitsFor, type Verdict } from '../limits/policy.js';
import { describeExit, exitLevel, type ExitRecord } from '../observability/exit-reasons.js';
import type { Logger } from '../observability/logger.js';
import { workerClassName } from '../workers/names.js';
import { clampDelay } from '../util/timers.js';
import { CrashBackoff } from './backoff.js';
import { BusRelay } from './bus-relay.js';
import { formatWorkers, summarizeWorkers } from './pool-summary.js';
import { RefusalLog } from './refusal-log.js';
import { Watchdog } from './watchdog.js';
import { newWorkerRecord, type WorkerRecord } from './worker-record.js';

export type { WorkerRecord } from './worker-record.js';
import { HttpFront, WorkerPort, type ClientConnection } from './http-front.js';
import { reconcile } from './reconcile.js';
import type { RequestHead } from './request-framing.js';

export type MasterState = 'starting' | 'running' | 'stopping' | 'stopped';

/** Where the master reaches the long-polling worker: its own interface, or loopback for "all". */
function loopbackFor(httpInterface: string): string {
  return httpInterface === '' || httpInterface === '0.0.0.0' ? '127.0.0.1' : httpInterface === '::' ? '::1' : httpInterface;
}

export interface MasterOptions {
  settings: Settings;
  logger: Logger;
  /** Logger for job runs and the schedule (Odoo's ir_cron). */
  cronLogger: Logger;
  /** Logger for the per-request access line (werkzeug's, at debug level). */
  accessLogger?: Logger;
  /** Where the log lines of the mode and app come from, for the start-up line. */
  appSource: string;
}

const WORKER_ENTRY = fileURLToPath(new URL('../workers/entry.js', import.meta.url));


export class Master {
  state: MasterState = 'starting';
  readonly workers = new Map<number, WorkerRecord>();
  readonly exits: ExitRecord[] = [];
  private readonly settings: Settings;
  private readonly logger: Logger;
  private front: HttpFront | undefined;
  private cron: CronScheduler<WorkerRecord> | undefined;
  /** The bus's retention window: the source of truth, replayed to each new long-polling worker. */
  private readonly bus: BusRelay;
  /** gevent_port as bound by the first long-polling worker (differs when gevent_port = 0). */
  private longpollingPort: number | undefined;
  private cronStore: CronStateStore | undefined;
  private desired: Record<WorkerKind, number>;
  private readonly backoff: Record<WorkerKind, CrashBackoff> = {
    http: new CrashBackoff(),
    cron: new CrashBackoff(),
    longpolling: new CrashBackoff(),
  };
  private nextWorkerId = 0;
  private spawnTimers = new Map<WorkerKind, NodeJS.Timeout>();
  private stopRequested = false;
  /** Per-request debug lines cost a check, not a log call, when the level is above debug. */
  private readonly debug: boolean;
  private readonly accessLogger: Logger;
  private readonly refusals: RefusalLog;
  private exitCode = 0;
  private graceTimer: NodeJS.Timeout | undefined;
  /** The limits: real-time timers, RSS/CPU sampling, the warnings about footprints. */
  private readonly watchdog: Watchdog;
  private resolveStopped: ((code: number) => void) | undefined;
  readonly stopped: Promise<number>;

  constructor(private readonly options: MasterOptions) {
    this.settings = options.settings;
    this.logger = options.logger;
    this.debug = this.logger.isLevelEnabled('debug');
    this.accessLogger = options.accessLogger ?? options.logger;
    this.refusals = new RefusalLog(this.logger);
    this.watchdog = new Watchdog({
      settings: this.settings,
      logger: this.logger,
      workers: () => this.workers.values(),
      guard: (action) => this.guard(action),
      kill: (record, verdict) => this.killForLimit(record, verdict),
      retireIdle: (record, verdict) =>
        this.retire(record, verdict.reason, limitDetail(verdict), { reason: verdict.reason, value: verdict.value, limit: verdict.limit }),
    });
    this.desired = {
      http: this.settings.http_enable ? this.settings.workers : 0,
      cron: this.settings.max_cron_threads,
      // Odoo's gevent process: only with HTTP (--no-http makes a cron-only node).
      longpolling: this.settings.http_enable ? 1 : 0,
    };
    this.bus = new BusRelay(this.settings.bus_retention * 1000);
    this.stopped = new Promise((resolve) => {
      this.resolveStopped = resolve;
    });
  }

  async start(): Promise<void> {
    const s = this.settings;
    // From the first moment: a signal during start-up must not kill the master with its default action.
    this.installSignals();
    cluster.setupPrimary({
      exec: WORKER_ENTRY,
      // fd 3: node:cluster's IPC channel (control messages); fd 4: the data channel (frames.ts).
      stdio: ['ignore', 'inherit', 'inherit', 'ipc', 'pipe'],
      serialization: 'json',
    });

    if (s.max_cron_threads > 0) {
      this.cronStore = new CronStateStore(resolveDataDir(s, os.homedir()));
      this.cronStore.lock();
      this.cron = new CronScheduler<WorkerRecord>({
        store: this.cronStore,
        logger: this.options.cronLogger,
        start: (record, lease) => this.guard(() => this.startJob(record, lease)),
        describe: (record) => `${workerClassName(record.kind)} (${record.pid})`,
      });
      this.logger.info(
        { cronWorkers: s.max_cron_threads, stateFile: this.cronStore.file },
        `cron: ${s.max_cron_threads} cron worker${s.max_cron_threads === 1 ? '' : 's'}, schedule kept in ${this.cronStore.file}`,
      );
    } else {
      this.logger.info({ cronWorkers: 0 }, 'cron: max_cron_threads = 0: no cron worker, scheduled jobs will not run');
    }

    if (s.http_enable) {
      const queueSize = effectiveQueueSize(s);
      this.front = new HttpFront({
        queue: { maxQueued: queueSize, maxWaitMs: s.http_queue_timeout * 1000 },
        proxyMode: s.proxy_mode,
        longpolling: s.proxy_longpolling ? { host: loopbackFor(s.http_interface), port: s.gevent_port } : 'refuse',
        geventPort: s.gevent_port,
        hooks: {
          requestStarted: (port, head) => this.guard(() => this.onRequestStarted(port, head)),
          requestQueued: (head, queued) => {
            if (this.debug) this.logger.debug({ method: head.method, path: head.path, queued }, `request queued: ${head.method} ${head.path} (${queued} waiting)`);
          },
          requestDone: (port, end, connection) => this.guard(() => this.onRequestDone(port, end, connection)),
          drained: () => this.guard(() => this.onDrained()),
          refused: (response) => this.refusals.count(response),
        },
      });
      const bound = await this.front.listen(s.http_port, s.http_interface);
      this.logger.info(
        { mode: 'prefork', workers: s.workers, queue: queueSize, host: bound.address, port: bound.port },
        `HTTP service (werkzeug) running on ${s.http_interface || '0.0.0.0'}:${bound.port}`,
      );
      this.logger.info(
        `prefork mode: ${s.workers} HTTP worker${s.workers === 1 ? '' : 's'} (one request at a time each), ` +
          `request queue of ${queueSize === 0 ? 'unbounded size' : queueSize} (wait at most ${s.http_queue_timeout || '∞'} s), ` +
          `long-polling worker on gevent_port ${s.gevent_port}${s.proxy_longpolling ? ' (/websocket and /longpolling/ on this port are handed to it)' : ''}, app: ${this.options.appSource}`,
      );
    } else {
      this.logger.info({ mode: 'prefork' }, 'HTTP disabled (--no-http / http_enable = False): no HTTP listener and no HTTP workers');
    }

    this.state = 'running';
    this.maintain();
    this.watchdog.start();
    if (this.stopRequested) this.stop();
  }

  // ------------------------------------------------------------------ events

  private guard(action: () => void): void {
    try {
      action();
    } catch (error) {
      // One bad event must not take the master (and every request in flight) down.
      this.logger.error({ err: error }, 'master: unexpected error while handling an event; continuing');
    }
  }

  private installSignals(): void {
    const on = (signal: NodeJS.Signals, action: () => void) =>
      process.on(signal, () => setImmediate(() => this.guard(action)));
    on('SIGINT', () => this.stop());
    on('SIGTERM', () => this.stop());
    on('SIGHUP', () => this.reload());
    on('SIGTTIN', () => this.scale(+1));
    on('SIGTTOU', () => this.scale(-1));
    on('SIGQUIT', () => this.dumpState());
  }

  /**
   * SIGQUIT: Odoo dumps the stacks of its threads. A Node master has one thread and nothing
   * blocked to show, so it logs what is useful instead — every worker with its state and the
   * request it is serving, the queue, the cron jobs — and keeps running.
   */
  private dumpState(): void {
    const workers = summarizeWorkers(this.workers.values(), Date.now());
    const queued = this.front?.queued ?? 0;
    const inFlight = this.front?.inFlight ?? 0;
    this.logger.info(
      { workers, queued, inFlight, cron: this.cronStatus(), bus: this.bus.stats() },
      `SIGQUIT: ${workers.length} workers, ${queued} requests queued, ${inFlight} in flight${formatWorkers(workers)}`,
    );
  }

  private onMessage(record: WorkerRecord, message: WorkerToMaster): void {
    switch (message.type) {
      case 'ready':
        record.state = record.state === 'draining' ? 'draining' : 'idle';
        record.readyAt = Date.now();
        record.rss = message.rss;
        record.readyRss = message.rss;
        record.peakRss = Math.max(record.peakRss, message.rss);
        record.cpuMicros = message.cpuMicros;
        if (this.debug) {
          const startupMs = record.readyAt - record.startedAt;
          this.logger.debug({ kind: record.kind, workerPid: record.pid, startupMs }, `worker ready: ${workerClassName(record.kind)} (${record.pid}) started in ${startupMs} ms`);
        }
        this.watchdog.checkFootprint(record);
        if (record.kind === 'cron') this.cron?.setJobs(message.jobs ?? []);
        if (record.kind === 'longpolling' && message.port) {
          // Later long-polling workers take the same port, so clients resume where they were.
          this.longpollingPort = message.port;
          this.front?.setLongpollingPort(message.port);
        }
        this.onWorkerReady(record);
        break;
      case 'job-done':
        this.onJobDone(record, message);
        break;
      case 'boot-error':
        record.exit ??= { reason: 'boot-error', detail: message.message };
        break;
      case 'exiting':
        record.exit ??= { reason: message.reason, detail: message.detail };
        break;
      case 'retire-me':
        if (record.state !== 'draining' && record.state !== 'exited') this.retire(record, message.reason, message.detail);
        break;
      case 'bus-publish':
        this.publish(message.channel, message.message);
        break;
    }
  }

  // ------------------------------------------------------------------ bus

  /** Numbers a message, keeps it for the retention window and relays it to the long-polling worker. */
  private publish(channel: string, message: unknown): void {
    if (typeof channel !== 'string' || channel === '') return;
    const entry = this.bus.publish(channel, message);
    for (const record of this.workers.values()) {
      if (record.kind === 'longpolling' && record.readyAt !== undefined && !record.killed) this.send(record, { type: 'bus-messages', messages: [entry] });
    }
  }

  private onWorkerReady(record: WorkerRecord): void {
    if (record.state === 'draining' || record.exit) {
      // Told to leave before it was ready (e.g. a second SIGHUP): it never takes work.
      record.state = 'draining';
      this.send(record, { type: 'shutdown' });
      return;
    }
    // A reload finishes one old worker for each new one ready, so capacity never drops.
    const old = [...this.workers.values()].find(
      (w) => w !== record && w.kind === record.kind && w.exit?.reason === 'reload' && w.state !== 'draining' && w.state !== 'starting',
    );
    if (old) this.retire(old, 'reload', 'replaced by a fresh worker (SIGHUP)');
    this.makeAvailable(record);
  }

  /** The worker can take work: an HTTP request from the queue, a due cron job, or bus messages. */
  private makeAvailable(record: WorkerRecord): void {
    if (record.kind === 'longpolling') {
      // A new long-polling worker starts with the retention window: clients resume without loss.
      this.send(record, { type: 'bus-messages', messages: this.bus.window() });
    } else if (record.kind === 'cron') this.cron?.runnerIdle(record);
    else if (record.port && this.front) this.front.workerAvailable(record.port);
  }

  // ------------------------------------------------------------------ cron

  /** A due job leased to this idle cron worker. */
  private startJob(record: WorkerRecord, lease: Lease): void {
    record.state = 'busy';
    record.job = lease;
    record.dispatched += 1;
    record.request = { method: 'CRON', path: lease.spec.name, startedAt: Date.now(), cpuAtStartMs: this.watchdog.cpuAtDispatch(record) };
    this.watchdog.requestStarted(record);
    if (!record.process.isConnected()) {
      this.cron?.finished(lease.runId, 'killed', 'the cron worker was gone before the job started');
      return;
    }
    record.process.send({ type: 'run-job', runId: lease.runId, name: lease.spec.name, dueAt: lease.dueAt, failures: lease.failures });
  }

  private onJobDone(record: WorkerRecord, done: Extract<WorkerToMaster, { type: 'job-done' }>): void {
    record.requests = done.requests;
    record.rss = done.rss;
    record.peakRss = Math.max(record.peakRss, done.rss);
    record.cpuMicros = done.cpuMicros;
    record.request = undefined;
    record.job = undefined;
    this.backoff.cron.recordHealthy();
    this.cron?.finished(done.runId, done.outcome, done.error);
    if (done.retire) {
      const limit = done.retire === 'max-requests' ? record.limits.requests : record.limits.memorySoft;
      const value = done.retire === 'max-requests' ? done.requests : done.rss;
      record.exit ??= { reason: done.retire, detail: limitDetail({ action: 'retire', reason: done.retire, value, limit }), value, limit };
      record.state = 'draining';
      this.maintain();
    } else if (record.state === 'busy') {
      record.state = 'idle';
      this.makeAvailable(record);
    } else if (record.state === 'draining') {
      this.send(record, { type: 'shutdown' });
    }
  }

  /** A cron worker died or was killed during a run: the run failed, the job is due again later. */
  private abandonJob(record: WorkerRecord, why: string): void {
    const job = record.job;
    if (!job) return;
    record.job = undefined;
    const elapsed = record.request ? (Date.now() - record.request.startedAt) / 1000 : 0;
    this.options.cronLogger.error(
      { job: job.spec.name, outcome: 'killed', reason: why, workerPid: record.pid },
      `Job '${job.spec.name}' killed after ${elapsed.toFixed(3)}s: ${why}`,
    );
    this.cron?.finished(job.runId, 'killed', why);
  }

  /** The schedule, for status output. */
  cronStatus(): JobStatus[] {
    return this.cron?.status() ?? [];
  }

  private onRequestStarted(port: WorkerPort, head: RequestHead): void {
    const record = this.workers.get(port.id);
    if (record) {
      if (record.state === 'idle') record.state = 'busy';
      record.request = { method: head.method, path: head.path, startedAt: Date.now(), cpuAtStartMs: this.watchdog.cpuAtDispatch(record) };
      record.dispatched += 1;
      this.watchdog.requestStarted(record);
    }
    if (this.debug) {
      this.logger.debug(
        { workerPid: port.pid, worker: port.id, method: head.method, path: head.path },
        `request dispatched: ${head.method} ${head.path} → WorkerHTTP (${port.pid})`,
      );
    }
  }

  private onRequestDone(port: WorkerPort, end: ResponseEnd, connection: ClientConnection): void {
    const record = this.workers.get(port.id);
    if (this.debug && record?.request) {
      // werkzeug's access line, as Odoo logs it per request (here at debug: see README).
      const head = connection.head;
      const ms = Date.now() - record.request.startedAt;
      this.accessLogger.debug(
        { workerPid: port.pid, worker: port.id, method: head?.method, path: head?.path, status: connection.status, durationMs: ms },
        `${connection.socket.remoteAddress ?? '-'} - - "${head?.method} ${head?.target} HTTP/1.${head?.versionMinor}" ${connection.status || '-'} - ${ms} ms (WorkerHTTP ${port.pid})`,
      );
    }
    if (!record) return;
    record.requests = end.requests;
    record.rss = end.rss;
    record.peakRss = Math.max(record.peakRss, end.rss);
    record.cpuMicros = end.cpuMicros;
    record.request = undefined;
    this.backoff.http.recordHealthy(); // a worker that completes a request breaks any crash loop
    if (end.retire) {
      // The worker's last request (limit_request / limit_memory_soft): it exits by itself now.
      const limit = end.retire === 'max-requests' ? record.limits.requests : record.limits.memorySoft;
      const value = end.retire === 'max-requests' ? end.requests : end.rss;
      record.exit ??= { reason: end.retire, detail: limitDetail({ action: 'retire', reason: end.retire, value, limit }), value, limit };
      record.state = 'draining';
      this.maintain(); // its replacement starts while it exits
    } else if (record.state === 'busy') {
      record.state = 'idle';
      this.front?.workerAvailable(port);
    } else if (record.state === 'draining') {
      this.send(record, { type: 'shutdown' });
    }
  }

  // ------------------------------------------------------------------ limits

  /** SIGKILL for a limit: the client gets its answer now, a replacement starts now. */
  private killForLimit(record: WorkerRecord, verdict: Verdict): void {
    if (record.killed) return;
    record.killed = true;
    const previous = record.exit ? ` (it was already leaving: ${record.exit.reason})` : '';
    record.exit = { reason: verdict.reason, detail: `${limitDetail(verdict)}${previous}`, value: verdict.value, limit: verdict.limit };
    const request = record.request;
    const level = verdict.reason === 'real-time' ? 'error' : 'warn';
    this.logger[level](
      {
        kind: record.kind,
        workerPid: record.pid,
        reason: verdict.reason,
        value: Math.round(verdict.value),
        limit: verdict.limit,
        ...(request ? { request: { method: request.method, path: request.path, elapsedMs: Date.now() - request.startedAt } } : {}),
      },
      limitMessage(verdict, record.pid, record.kind),
    );
    try {
      record.process.process.kill('SIGKILL');
    } catch {
      // already gone
    }
    record.state = 'draining';
    if (record.realTimer) clearTimeout(record.realTimer);
    if (record.port) this.front?.workerUnavailable(record.port, limitResponse(verdict));
    this.cron?.runnerGone(record);
    this.abandonJob(record, `${verdict.reason} (${limitDetail(verdict)})`);
    this.maintain();
  }

  private onExit(record: WorkerRecord, code: number | null, signal: NodeJS.Signals | null): void {
    const wasBusy = record.port?.connection !== undefined;
    record.state = 'exited';
    if (record.realTimer) clearTimeout(record.realTimer);
    this.workers.delete(record.id);
    const now = Date.now();
    const exit = describeExit({
      record: {
        id: record.id,
        kind: record.kind,
        pid: record.pid,
        startedAt: record.startedAt,
        endedAt: now,
        requests: record.requests,
        rss: record.rss,
        peakRss: record.peakRss,
        request: record.request ? { method: record.request.method, path: record.request.path, startedAt: record.request.startedAt } : undefined,
      },
      recorded: record.exit,
      code,
      signal,
    });
    this.exits.push(exit);
    if (this.exits.length > 100) this.exits.shift();
    this.cron?.runnerGone(record);
    this.abandonJob(record, `${exit.reason}: ${exit.detail}`);

    if (record.port && this.front) {
      this.front.workerUnavailable(
        record.port,
        wasBusy ? { status: 502, reason: 'worker-crash', message: `the worker serving this request exited (${exit.reason})` } : undefined,
      );
    }
    const { pid: workerPid, message, ...fields } = exit;
    this.logger[exitLevel(exit)]({ ...fields, workerPid }, message);

    // Several workers can fail the same way at once: the server stops once, and says so once.
    if (code === CRITICAL_EXIT_CODE && this.exitCode === CRITICAL_EXIT_CODE) return;
    if (code === CRITICAL_EXIT_CODE) {
      this.logger.fatal({ workerPid: record.pid, reason: exit.reason }, `Critial worker error (${record.pid})`);
      const why =
        exit.reason === 'boot-error'
          ? `a ${workerClassName(record.kind)} worker could not start: ${exit.detail}; fix that and start again — respawning it would fail the same way`
          : 'a worker exited with code 3, which means a critical error in Odoo\'s convention';
      this.logger.fatal(`stopping the server: ${why}`);
      this.exitCode = CRITICAL_EXIT_CODE;
      this.front?.failQueued({ status: 503, reason: 'no-worker', message: 'the server is stopping after a critical worker error' });
      this.forceStop(false);
      return;
    }

    if (this.state === 'running') {
      const backoff = this.backoff[record.kind];
      // Only deaths the worker did not choose count towards a crash loop (not limits, not retiring).
      // The long-polling worker takes no requests: a young one killed for memory is a loop too
      // (e.g. a retention window that alone exceeds limit_memory_hard_gevent).
      if (exit.reason === 'crash' || exit.reason === 'signal' || (record.kind === 'longpolling' && exit.reason === 'hard-memory')) {
        backoff.recordExit({ uptimeMs: now - record.startedAt, becameReady: record.readyAt !== undefined, tookWork: record.dispatched > 0 });
      }
      if (backoff.degraded) {
        this.logger.warn(
          { kind: record.kind, failures: backoff.consecutiveFailures },
          `degraded: ${backoff.consecutiveFailures} ${workerClassName(record.kind)} workers in a row died soon after starting; next one in ${(backoff.delayMs() / 1000).toFixed(1)} s`,
        );
      }
      this.maintain();
    } else if (this.state === 'stopping' && this.workers.size === 0) {
      this.finish();
    }
  }

  // ------------------------------------------------------------------ pool

  /** Brings the pool to the desired counts (spawning with crash backoff, retiring the oldest). */
  private maintain(): void {
    if (this.state !== 'running') return;
    // Workers marked for reload are already on their way out: they do not count. A leaving
    // long-polling worker still holds gevent_port: its replacement starts once it has exited.
    const plan = reconcile(
      this.desired,
      [...this.workers.values()].map((w) =>
        w.kind === 'longpolling' && w.state === 'draining'
          ? { ...w, state: 'busy' as const }
          : w.exit?.reason === 'reload'
            ? { ...w, state: 'draining' as const }
            : w,
      ),
    );
    for (const [kind, count] of Object.entries(plan.spawn) as [WorkerKind, number][]) {
      const delay = this.backoff[kind].delayMs();
      if (delay > 0) {
        if (!this.spawnTimers.has(kind)) {
          this.spawnTimers.set(
            kind,
            setTimeout(() => {
              this.spawnTimers.delete(kind);
              this.guard(() => {
                if (this.state === 'running') this.spawn(kind);
                this.maintain();
              });
            }, delay),
          );
        }
        continue;
      }
      for (let i = 0; i < count; i++) this.spawn(kind);
    }
    for (const id of plan.retire) {
      const record = this.workers.get(id);
      if (record) this.retire(record, 'scale-down', 'SIGTTOU: one HTTP worker less');
    }
  }

  private spawn(kind: WorkerKind): WorkerRecord {
    const id = ++this.nextWorkerId;
    const limits = limitsFor(kind, this.settings);
    const settings = kind === 'longpolling' && this.longpollingPort ? { ...this.settings, gevent_port: this.longpollingPort } : this.settings;
    const bootstrap: WorkerBootstrap = { kind, id, settings, limits };
    // `ps` shows "…/workers/entry.js odoo-prefork:http" rather than a copy of the master's arguments.
    cluster.setupPrimary({ args: [`odoo-prefork:${kind}`] });
    const child = cluster.fork({ [BOOTSTRAP_ENV]: JSON.stringify(bootstrap) });
    const record = newWorkerRecord({ id, kind, pid: child.process.pid ?? 0, process: child, limits });
    const channel = child.process.stdio?.[4] as Socket | undefined;
    if (kind === 'http' && channel && this.front) record.port = new WorkerPort(id, record.pid, channel, this.front);
    this.workers.set(id, record);
    child.on('message', (message: unknown) => {
      if (isWorkerMessage(message)) this.guard(() => this.onMessage(record, message));
    });
    child.on('exit', (code: number | null, signal: NodeJS.Signals | null) => this.guard(() => this.onExit(record, code, signal)));
    child.on('error', (error) => this.logger.debug({ err: error, workerPid: record.pid }, 'worker channel error'));
    return record;
  }

  /** Takes a worker out of rotation; it finishes its current request, then exits. */
  private retire(record: WorkerRecord, reason: WorkerExitReason, detail: string, limit?: NonNullable<Extract<MasterToWorker, { type: 'shutdown' }>['limit']>): void {
    record.exit ??= { reason, detail, ...(limit ? { value: limit.value, limit: limit.limit } : {}) };
    const wasBusy = record.state === 'busy';
    record.state = 'draining';
    if (record.port) this.front?.workerUnavailable(record.port);
    this.cron?.runnerGone(record);
    if (!wasBusy) this.send(record, limit ? { type: 'shutdown', limit } : { type: 'shutdown' });
    this.maintain();
  }

  private send(record: WorkerRecord, message: MasterToWorker): void {
    if (record.process.isConnected()) record.process.send(message);
  }

  private scale(delta: number): void {
    if (this.state !== 'running' || !this.settings.http_enable) return;
    const next = Math.max(1, this.desired.http + delta);
    if (next === this.desired.http) return;
    this.desired.http = next;
    this.logger.info({ workers: next }, `${delta > 0 ? 'SIGTTIN' : 'SIGTTOU'}: HTTP workers now ${next}`);
    this.maintain();
  }

  /** SIGHUP: replace every worker with a fresh one (new app code), without refusing a request. */
  private reload(): void {
    if (this.state !== 'running') return;
    const current = [...this.workers.values()].filter((w) => w.state !== 'draining' && w.exit === undefined);
    this.logger.info({ workers: current.length }, `SIGHUP: reloading ${current.length} workers one by one`);
    for (const record of current) {
      // The long-polling worker holds gevent_port: it leaves first, its replacement follows.
      if (record.kind === 'longpolling') this.retire(record, 'reload', 'restarted (SIGHUP)');
      else record.exit = { reason: 'reload', detail: 'replaced by a fresh worker (SIGHUP)' };
    }
    this.maintain();
  }

  // ------------------------------------------------------------------ stopping

  /** First SIGINT/SIGTERM: stop gracefully; the second one forces. */
  stop(): void {
    if (this.state === 'starting') {
      this.stopRequested = true; // acted on as soon as start-up is complete
      return;
    }
    if (this.state === 'stopping') {
      this.logger.info('Forced shutdown.');
      this.forceStop(true);
      return;
    }
    if (this.state !== 'running') return;
    this.state = 'stopping';
    this.logger.info('Stopping gracefully');
    for (const timer of this.spawnTimers.values()) clearTimeout(timer);
    this.cron?.stop();
    // In-flight and queued requests get limit_time_real to finish, as Odoo gives its workers.
    const graceSeconds = this.settings.limit_time_real > 0 ? this.settings.limit_time_real : 120;
    this.graceTimer = setTimeout(() => {
      this.logger.info('Stopping forcefully');
      this.forceStop(true);
    }, clampDelay(graceSeconds * 1000));
    this.graceTimer.unref();
    if (this.front) this.front.stop();
    else this.onDrained();
  }

  /** Every request is done: ask the workers to exit. */
  private onDrained(): void {
    if (this.state !== 'stopping') return;
    if (this.front) this.front.closed = true;
    if (this.workers.size === 0) {
      this.finish();
      return;
    }
    for (const record of this.workers.values()) {
      record.exit ??= { reason: 'shutdown', detail: 'server stopping' };
      record.state = 'draining';
      if (record.port) this.front?.workerUnavailable(record.port);
      this.cron?.runnerGone(record);
      this.send(record, { type: 'shutdown' });
    }
  }

  /** Kills every worker at once and exits. */
  private forceStop(killed: boolean): void {
    this.state = 'stopping';
    this.cron?.stop();
    this.front?.destroyAll();
    for (const record of this.workers.values()) {
      record.exit ??= { reason: 'shutdown', detail: killed ? 'forced shutdown' : 'server stopping' };
      record.process.process.kill('SIGKILL');
    }
    this.finish();
  }

  private finish(): void {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    this.refusals.flush(false);
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.watchdog.stop();
    this.cronStore?.unlock();
    this.resolveStopped?.(this.exitCode);
  }
}

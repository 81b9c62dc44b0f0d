/**
 * Starts the real CLI (dist/, built by `pretest`) with execa, on a free loopback port, and reads
 * its JSON log lines so tests wait for events instead of sleeping.
 */
import { execa, type ResultPromise } from 'execa';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import http from 'node:http';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');

export interface LogLine {
  level: number;
  time: number;
  pid: number;
  name?: string;
  msg: string;
  [field: string]: unknown;
}

const running = new Set<ServerProcess>();

export interface StartOptions {
  /** Wait for this many "Worker WorkerHTTP (pid) alive" lines (default: the --workers value). */
  workers?: number;
  env?: Record<string, string>;
  cwd?: string;
  /** Do not wait for the HTTP listener (e.g. the server is expected to fail). */
  noWait?: boolean;
  /** Wait for this many "Worker WorkerCron (pid) alive" lines. */
  cronWorkers?: number;
}

type Waiter = { predicate: (line: LogLine) => boolean; resolve: (line: LogLine) => void };

export class ServerProcess {
  readonly logs: LogLine[] = [];
  /** Lines of standard error that are not JSON (e.g. Node's own crash output). */
  readonly rawStderr: string[] = [];
  port = 0;
  private waiters: Waiter[] = [];
  /** Resolves once every line the server wrote has been read (after it exits). */
  private readonly linesRead: Promise<void>;

  private constructor(readonly child: ResultPromise) {
    const lines = readline.createInterface({ input: child.stderr! });
    this.linesRead = new Promise((resolve) => lines.once('close', resolve));
    lines.on('line', (text) => {
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        this.rawStderr.push(text);
        return;
      }
      this.logs.push(line);
      this.waiters = this.waiters.filter((w) => {
        if (!w.predicate(line)) return true;
        w.resolve(line);
        return false;
      });
    });
  }

  static async start(args: string[], options: StartOptions = {}): Promise<ServerProcess> {
    const full = [...args];
    if (!full.includes('--log-format')) full.push('--log-format', 'json');
    if (!full.includes('-p') && !full.includes('--http-port')) full.push('-p', '0');
    if (!full.includes('--http-interface')) full.push('--http-interface', '127.0.0.1');
    // Tests run in parallel: the long-polling worker takes a free port too, unless one is given.
    if (!full.includes('--gevent-port')) full.push('--gevent-port', '0');
    // Each server gets its own data_dir unless the test gives one (cron state and lock live there).
    if (!full.includes('--data-dir') && !full.includes('-D')) full.push('--data-dir', mkdtempSync(path.join(os.tmpdir(), 'odoo-prefork-data-')));
    const child = execa('node', [CLI, ...full], {
      cwd: options.cwd ?? ROOT,
      env: { ODOO_RC: '', HOME: '/nonexistent', ...options.env },
      reject: false,
      stdout: 'ignore',
      stdin: 'ignore',
    });
    const server = new ServerProcess(child);
    running.add(server);
    if (options.noWait) return server;
    const listening = await server.waitForLog((l) => /HTTP service \(werkzeug\) running on/.test(l.msg), 30_000);
    server.port = Number(/:(\d+)$/.exec(listening.msg)?.[1]);
    const workersArg = full[full.indexOf('--workers') + 1];
    const workers = options.workers ?? (full.includes('--workers') ? Number(workersArg) : 0);
    if (workers > 0) await server.waitForLogCount((l) => /^Worker WorkerHTTP \(\d+\) alive$/.test(l.msg), workers, 30_000);
    if (options.cronWorkers) await server.waitForLogCount((l) => /^Worker WorkerCron \(\d+\) alive$/.test(l.msg), options.cronWorkers, 30_000);
    return server;
  }

  get pid(): number {
    return this.child.pid!;
  }

  url(pathname: string): string {
    return `http://127.0.0.1:${this.port}${pathname}`;
  }

  /** Resolves with the first line (already seen or future) matching `predicate`. */
  waitForLog(predicate: (line: LogLine) => boolean, timeoutMs = 20_000): Promise<LogLine> {
    const seen = this.logs.find(predicate);
    if (seen) return Promise.resolve(seen);
    return this.waitForNextLog(predicate, timeoutMs);
  }

  /** Resolves with the next future line matching `predicate`. */
  waitForNextLog(predicate: (line: LogLine) => boolean, timeoutMs = 20_000): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`timed out after ${timeoutMs} ms waiting for a log line; last lines:\n${this.tail()}`));
      }, timeoutMs);
      this.waiters.push({
        predicate,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      });
      void this.child.then(() => {
        clearTimeout(timer);
        reject(new Error(`the server exited while a test waited for a log line; last lines:\n${this.tail()}`));
      });
    });
  }

  async waitForLogCount(predicate: (line: LogLine) => boolean, count: number, timeoutMs = 20_000): Promise<LogLine[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.logs.filter(predicate).length < count) {
      await this.waitForNextLog(predicate, Math.max(1, deadline - Date.now()));
    }
    return this.logs.filter(predicate);
  }

  /** Pids of HTTP workers that said they are alive and have not exited since. */
  alivePids(kind = 'WorkerHTTP'): number[] {
    const alive = this.logs.filter((l) => new RegExp(`^Worker ${kind} \\(\\d+\\) alive$`).test(l.msg)).map((l) => l.pid);
    const gone = new Set(this.logs.filter((l) => typeof l.workerPid === 'number' && typeof l.reason === 'string').map((l) => l.workerPid));
    return alive.filter((pid) => !gone.has(pid));
  }

  allWorkerPids(): number[] {
    return this.logs.filter((l) => /^Worker \w+ \(\d+\) alive$/.test(l.msg)).map((l) => l.pid);
  }

  tail(lines = 15): string {
    return [...this.logs.slice(-lines).map((l) => JSON.stringify(l)), ...this.rawStderr.slice(-5)].join('\n');
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Sends `signal` and waits for the exit; returns the exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | undefined> {
    this.child.kill(signal);
    return this.exited();
  }

  async exited(): Promise<number | undefined> {
    const result = await this.child;
    await this.linesRead;
    running.delete(this);
    return result.exitCode;
  }
}

/** Kills whatever a failed test left behind: masters and the workers they announced. */
export async function killAll(): Promise<void> {
  for (const server of running) {
    for (const pid of server.allWorkerPids()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    server.child.kill('SIGKILL');
    await server.child;
  }
  running.clear();
}

/** True while the process runs. A zombie (exited, not yet reaped by init) counts as gone. */
export function isAlive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

/** Polls until `condition` holds (for facts outside the logs, such as a process being gone). */
export async function eventually(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface Response {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export function request(
  url: string,
  options: { method?: string; body?: string | Buffer; headers?: Record<string, string>; agent?: http.Agent | false } = {},
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'GET', headers: options.headers, agent: options.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

export async function json<T = Record<string, unknown>>(url: string): Promise<T> {
  const res = await request(url);
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${res.body}`);
  return JSON.parse(res.body) as T;
}

/**
 * Cron for real: cron workers started by the master, jobs leased one run at a time, limits,
 * crashes, restarts. The schedule is followed through the job lines in the log.
 */
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, killAll, request, ServerProcess, type LogLine } from '../helpers/server.js';

afterEach(killAll);

const CRON_APP = 'test/fixtures/apps/cron-app.mjs';

function dataDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'odoo-prefork-data-'));
}

function runs(server: ServerProcess, job: string): { start: number; end?: number; pid: number }[] {
  const out: { start: number; end?: number; pid: number }[] = [];
  for (const line of server.logs) {
    if (line.msg === `Job '${job}' starting`) out.push({ start: line.time, pid: line.pid });
    const done = new RegExp(`^Job '${job}' (done|failed) in`).test(line.msg);
    if (done) {
      const run = [...out].reverse().find((r) => r.pid === line.pid && r.end === undefined);
      if (run) run.end = line.time;
    }
  }
  return out;
}

const jobLine = (job: string, what: RegExp) => (l: LogLine) => l.msg.startsWith(`Job '${job}' `) && what.test(l.msg);

function readState(dir: string): Record<string, { runs: number; failures: number; nextCall: number; lastOutcome?: string; lastError?: string }> {
  return JSON.parse(readFileSync(path.join(dir, 'odoo-prefork', 'cron-state.json'), 'utf8')).jobs;
}

describe('cron workers', () => {
  it('two cron workers and a 1-second job: one run per second, never two runs of a job at once', async () => {
    const server = await ServerProcess.start(['--workers', '1', '--max-cron-threads', '2', '--app', CRON_APP], {
      cronWorkers: 2,
      env: { CRON_APP_JOBS: 'tick,long-tick' },
    });
    await server.waitForLogCount(jobLine('tick', /^Job 'tick' done in/), 7, 30_000);
    const ticks = runs(server, 'tick');
    // Over ~5 s from the first run: 5 runs (±1).
    const window = ticks.filter((r) => r.start - ticks[0]!.start < 5000);
    expect(window.length).toBeGreaterThanOrEqual(4);
    expect(window.length).toBeLessThanOrEqual(6);
    // Both cron workers took runs, yet no job ever overlapped itself — not even long-tick, whose
    // run (1.5 s) is longer than its interval (1 s).
    const longTicks = runs(server, 'long-tick');
    expect(new Set([...ticks, ...longTicks].map((r) => r.pid)).size).toBe(2);
    for (const list of [ticks, longTicks]) {
      for (let i = 1; i < list.length; i++) expect(list[i]!.start).toBeGreaterThanOrEqual(list[i - 1]!.end ?? Infinity);
    }
    await server.stop();
  });

  it('a job killed by limit_time_real_cron is reported with that reason and runs again next time', async () => {
    const dir = dataDir();
    const server = await ServerProcess.start(
      ['--workers', '1', '--max-cron-threads', '1', '--limit-time-real-cron', '0.5', '--data-dir', dir],
      { cronWorkers: 1, env: { DEMO_CRON_MODE: 'slow', DEMO_CRON_INTERVAL: '1s' } },
    );
    const timeout = await server.waitForLog((l) => /^WorkerCron \(\d+\) timeout after 0.5s$/.test(l.msg), 30_000);
    expect(timeout).toMatchObject({ reason: 'real-time', request: { method: 'CRON', path: 'demo.chores' } });
    const killed = await server.waitForLog(jobLine('demo.chores', /^Job 'demo.chores' killed after [\d.]+s: real-time/));
    expect(killed).toMatchObject({ outcome: 'killed' });
    // A replacement cron worker, and the job starts again.
    await server.waitForLogCount((l) => /^Worker WorkerCron \(\d+\) alive$/.test(l.msg), 2, 30_000);
    await server.waitForLogCount(jobLine('demo.chores', /starting$/), 2, 30_000);
    expect(readState(dir)['demo.chores']).toMatchObject({ lastOutcome: 'killed', lastError: expect.stringMatching(/^real-time/) });
    await server.stop();
  });

  it('a cron worker killed with SIGKILL is replaced and jobs go on', async () => {
    const server = await ServerProcess.start(['--workers', '1', '--max-cron-threads', '1', '--app', CRON_APP], {
      cronWorkers: 1,
      env: { CRON_APP_JOBS: 'tick' },
    });
    await server.waitForLog(jobLine('tick', /done in/), 30_000);
    const [cronPid] = server.alivePids('WorkerCron');
    process.kill(cronPid!, 'SIGKILL');
    await server.waitForLog((l) => l.workerPid === cronPid && l.reason === 'signal');
    const replacement = await server.waitForNextLog((l) => /^Worker WorkerCron \(\d+\) alive$/.test(l.msg), 30_000);
    await server.waitForNextLog((l) => l.pid === replacement.pid && /^Job 'tick' done in/.test(l.msg), 30_000);
    await server.stop();
  });

  it('a throwing job counts its failures without harming its worker', async () => {
    const dir = dataDir();
    const server = await ServerProcess.start(['--workers', '1', '--max-cron-threads', '1', '--data-dir', dir], {
      cronWorkers: 1,
      env: { DEMO_CRON_MODE: 'fail', DEMO_CRON_INTERVAL: '1s' },
    });
    const failures = await server.waitForLogCount(jobLine('demo.chores', /failed in/), 2, 30_000);
    expect(failures[0]!.msg).toMatch(/failed on purpose \(DEMO_CRON_MODE=fail\), failure 1 in a row/);
    expect(failures[1]!.msg).toMatch(/failure 2 in a row/);
    expect(failures[0]!.pid).toBe(failures[1]!.pid);
    expect(server.alivePids('WorkerCron')).toEqual([failures[0]!.pid]);
    // The master records the run's end when the worker's report arrives, just after its log line.
    await eventually(() => (readState(dir)['demo.chores']?.failures ?? 0) >= 2, 10_000, 'the state file counts 2 failures');
    await server.stop();
  });

  it('the schedule survives a restart: no double run, no lost run, missed intervals collapse', async () => {
    const dir = dataDir();
    const args = ['--workers', '1', '--max-cron-threads', '1', '--app', CRON_APP, '--data-dir', dir];
    const first = await ServerProcess.start(args, { cronWorkers: 1, env: { CRON_APP_JOBS: 'tick,hourly' } });
    await first.waitForLog(jobLine('hourly', /done in/), 30_000);
    await first.waitForLogCount(jobLine('tick', /done in/), 2, 30_000);
    expect(await first.stop()).toBe(0);
    const before = readState(dir);
    expect(before.hourly!.runs).toBe(1);

    // Down for a while: tick misses a few of its 1 s intervals.
    const downUntil = Date.now() + 2500;
    while (Date.now() < downUntil) await new Promise((r) => setTimeout(r, 100));

    const second = await ServerProcess.start(args, { cronWorkers: 1, env: { CRON_APP_JOBS: 'tick,hourly' } });
    await second.waitForLogCount(jobLine('tick', /done in/), 3, 30_000);
    // hourly ran before the restart and is not due for an hour: it must not run again.
    expect(second.logs.some(jobLine('hourly', /starting/))).toBe(false);
    // tick missed ~2 runs while down: it runs once at once, then on its 1 s grid again — no burst
    // of catch-up runs (those would start 100 ms apart, three within 300 ms).
    const ticks = runs(second, 'tick');
    expect(ticks[2]!.start - ticks[0]!.start).toBeGreaterThan(1000);
    await second.stop();
    const after = readState(dir);
    expect(after.hourly!.runs).toBe(1);
    expect(after.tick!.runs).toBe(before.tick!.runs + runs(second, 'tick').filter((r) => r.end).length);
  });

  it('max_cron_threads = 0 starts no cron worker and says so', async () => {
    const server = await ServerProcess.start(['--workers', '1', '--max-cron-threads', '0']);
    expect(server.logs.some((l) => l.msg === 'cron: max_cron_threads = 0: no cron worker, scheduled jobs will not run')).toBe(true);
    expect((await request(server.url('/whoami'))).status).toBe(200);
    expect(server.logs.some((l) => /WorkerCron|^Job /.test(l.msg))).toBe(false);
    await server.stop();
  });

  it('--no-http makes a cron-only node: no HTTP listener, cron runs', async () => {
    const server = await ServerProcess.start(['--workers', '2', '--max-cron-threads', '1', '--no-http'], { noWait: true });
    await server.waitForLog((l) => /^Worker WorkerCron \(\d+\) alive$/.test(l.msg), 30_000);
    await server.waitForLog(jobLine('demo.heartbeat', /done in/), 30_000);
    expect(server.logs.some((l) => /HTTP service|WorkerHTTP/.test(l.msg))).toBe(false);
    expect(server.logs.some((l) => /HTTP disabled/.test(l.msg))).toBe(true);
    expect(await server.stop()).toBe(0);
  });

  it('refuses a corrupt state file and a data_dir already in use, naming the file', async () => {
    const dir = dataDir();
    mkdirSync(path.join(dir, 'odoo-prefork'));
    writeFileSync(path.join(dir, 'odoo-prefork', 'cron-state.json'), '{ "oops": ');
    const corrupt = await ServerProcess.start(['--workers', '1', '--data-dir', dir], { noWait: true });
    expect(await corrupt.exited()).toBe(2);
    expect(corrupt.rawStderr.join('\n')).toMatch(/cron-state\.json: the cron state file is not usable: not valid JSON/);

    const shared = dataDir();
    const owner = await ServerProcess.start(['--workers', '1', '--data-dir', shared], { cronWorkers: 2 });
    const second = await ServerProcess.start(['--workers', '1', '--data-dir', shared], { noWait: true });
    expect(await second.exited()).toBe(2);
    expect(second.rawStderr.join('\n')).toMatch(new RegExp(`another odoo-prefork master \\(pid ${owner.pid}\\) runs cron jobs from this data_dir`));
    await owner.stop();
  });
});

describe('cron in threaded mode', () => {
  it('runs jobs in-process, at most max_cron_threads at a time', async () => {
    const server = await ServerProcess.start(['--workers', '0', '--max-cron-threads', '1', '--app', CRON_APP], {
      env: { CRON_APP_JOBS: 'tick,long-tick' },
    });
    await server.waitForLogCount(jobLine('tick', /done in/), 3, 30_000);
    const all = [...runs(server, 'tick'), ...runs(server, 'long-tick')].filter((r) => r.end).sort((a, b) => a.start - b.start);
    expect(new Set(all.map((r) => r.pid))).toEqual(new Set([server.pid]));
    // One cron thread: runs never overlap, whichever job they belong to.
    for (let i = 1; i < all.length; i++) expect(all[i]!.start).toBeGreaterThanOrEqual(all[i - 1]!.end!);
    await server.stop();
  });
});

import { describe, expect, it } from 'vitest';
import { JobDefinitionError, parseInterval, specOf, validateJobs } from '../../src/cron/jobs.js';
import { nextCallAfter, Schedule } from '../../src/cron/schedule.js';

const spec = (name: string, intervalMs: number, priority = 5, active = true) => ({ name, intervalMs, priority, active });

describe('job declarations', () => {
  it.each([
    [30, 30_000],
    ['30', 30_000],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1d', 86_400_000],
    ['0.5s', 500],
  ])('interval %j is %d ms', (text, ms) => {
    expect(parseInterval(text)).toBe(ms);
  });

  it.each(['', '5 minutes', '-1', '0', '1w', 0, -5, Number.NaN, 0.0004, '0.01s'])('refuses interval %j', (text) => {
    expect(() => parseInterval(text)).toThrow(JobDefinitionError);
  });

  it('validates the jobs export, naming the faulty entry', () => {
    const handler = () => undefined;
    expect(validateJobs(undefined).size).toBe(0);
    expect(() => validateJobs({})).toThrow(/must be an array/);
    expect(() => validateJobs([{ name: 'a', interval: '1m' }])).toThrow(/jobs\[0\] \(a\): handler must be a function/);
    expect(() => validateJobs([{ name: 'a', interval: '1x', handler }])).toThrow(/jobs\[0\] \(a\): interval "1x" is not valid/);
    expect(() => validateJobs([{ name: 'a', interval: 1, handler }, { name: 'a', interval: 2, handler }])).toThrow(/jobs\[1\] \(a\): another job is already named "a"/);
    const jobs = validateJobs([{ name: 'mail', interval: '5m', handler, priority: 1, active: false }]);
    expect(specOf(jobs.get('mail')!)).toEqual({ name: 'mail', intervalMs: 300_000, priority: 1, active: false });
  });
});

describe('Schedule', () => {
  it('makes a new job due at once, then every interval', () => {
    const s = new Schedule();
    s.setJobs([spec('a', 1000)], 0);
    expect(s.due(0).map((j) => j.name)).toEqual(['a']);
    const lease = s.lease('a', 'w1', 0)!;
    expect(lease.dueAt).toBe(0);
    expect(s.complete(lease.runId, 'success', 100)).toBe(true);
    expect(s.nextDue()).toBe(1000);
    expect(s.due(999)).toEqual([]);
  });

  it('never leases a running job again, whatever the number of runners', () => {
    const s = new Schedule();
    s.setJobs([spec('a', 1000)], 0);
    expect(s.lease('a', 'w1', 0)).toBeDefined();
    expect(s.lease('a', 'w2', 0)).toBeUndefined();
    expect(s.due(5000)).toEqual([]);
  });

  it('never leases the same due time twice, and collapses missed intervals into one run', () => {
    const s = new Schedule();
    s.setJobs([spec('a', 1000)], 0);
    const first = s.lease('a', 'w1', 0)!;
    // The run took 3.5 intervals: the next due time is the first one after now, not three catch-up runs.
    s.complete(first.runId, 'success', 3500);
    expect(s.nextDue()).toBe(4000);
    expect(s.lease('a', 'w1', 3999)).toBeUndefined();
    expect(s.lease('a', 'w1', 4000)!.dueAt).toBe(4000);
  });

  it('orders due jobs by due time, then priority, then name', () => {
    const s = new Schedule(new Map([['late', { nextCall: 50, failures: 0, runs: 0 }]]));
    s.setJobs([spec('late', 1000, 0), spec('b', 1000, 5), spec('a', 1000, 5), spec('urgent', 1000, 1)], 10);
    expect(s.due(100).map((j) => j.name)).toEqual(['urgent', 'a', 'b', 'late']);
  });

  it('skips inactive jobs', () => {
    const s = new Schedule();
    s.setJobs([spec('off', 1000, 5, false)], 0);
    expect(s.due(0)).toEqual([]);
    expect(s.lease('off', 'w', 0)).toBeUndefined();
    expect(s.nextDue()).toBeUndefined();
  });

  it('counts consecutive failures and resets them on success', () => {
    const s = new Schedule();
    s.setJobs([spec('a', 1000)], 0);
    let now = 0;
    for (const outcome of ['failure', 'killed', 'success'] as const) {
      const lease = s.lease('a', 'w', now)!;
      s.complete(lease.runId, outcome, now + 10, outcome === 'success' ? undefined : `${outcome}!`);
      const state = s.status()[0]!;
      if (outcome === 'failure') expect(state).toMatchObject({ failures: 1, lastOutcome: 'failure', lastError: 'failure!' });
      if (outcome === 'killed') expect(state).toMatchObject({ failures: 2, lastOutcome: 'killed' });
      if (outcome === 'success') expect(state).toMatchObject({ failures: 0, lastOutcome: 'success', runs: 3 });
      now = s.nextDue()!;
    }
  });

  it('runs again a job whose run was interrupted by a stop of the master (never lost)', () => {
    const s = new Schedule(new Map([['a', { nextCall: 2000, failures: 0, runs: 4, running: { runId: 'x', dueAt: 1000, startedAt: 1000, worker: 'w' } }]]));
    expect(s.recoverInterrupted()).toEqual(['a']);
    s.setJobs([spec('a', 1000)], 5000);
    expect(s.due(5000).map((j) => j.name)).toEqual(['a']);
    expect(s.lease('a', 'w', 5000)!.dueAt).toBe(1000);
  });

  it('keeps the state of jobs the app no longer declares', () => {
    const s = new Schedule(new Map([['gone', { nextCall: 1, failures: 0, runs: 3 }]]));
    s.setJobs([spec('a', 1000)], 0);
    expect(Object.keys(s.snapshot()).sort()).toEqual(['a', 'gone']);
    expect(s.status().find((j) => j.name === 'gone')).toMatchObject({ declared: false, runs: 3 });
  });

  it('nextCallAfter: strictly later than the last due time and than now', () => {
    expect(nextCallAfter(1000, 1000, 1500)).toBe(2000);
    expect(nextCallAfter(1000, 1000, 2000)).toBe(3000);
    expect(nextCallAfter(1000, 1000, 500)).toBe(2000);
  });
});

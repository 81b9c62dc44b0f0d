import { describe, expect, it } from 'vitest';
import { CrashBackoff } from '../../src/master/backoff.js';
import { reconcile } from '../../src/master/reconcile.js';

describe('CrashBackoff', () => {
  const policy = { minUptimeMs: 1000, baseDelayMs: 100, maxDelayMs: 1000, jitter: 0.2 };

  it('respawns at once after one failure, then backs off exponentially up to a cap', () => {
    const b = new CrashBackoff(policy);
    const mid = () => 0.5; // no jitter
    const young = { uptimeMs: 10, becameReady: true, tookWork: false };
    b.recordExit(young);
    expect(b.delayMs(mid)).toBe(0);
    expect(b.degraded).toBe(false);
    const delays = [];
    for (let i = 0; i < 6; i++) {
      b.recordExit(young);
      delays.push(b.delayMs(mid));
    }
    expect(delays).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(b.degraded).toBe(true);
  });

  it('spreads delays with jitter', () => {
    const b = new CrashBackoff(policy);
    b.recordExit({ uptimeMs: 1, becameReady: false, tookWork: false });
    b.recordExit({ uptimeMs: 1, becameReady: false, tookWork: false });
    expect(b.delayMs(() => 0)).toBe(80);
    expect(b.delayMs(() => 1)).toBe(120);
  });

  it('resets after a worker that lived long enough', () => {
    const b = new CrashBackoff(policy);
    b.recordExit({ uptimeMs: 1, becameReady: false, tookWork: false });
    b.recordExit({ uptimeMs: 1, becameReady: true, tookWork: false });
    b.recordExit({ uptimeMs: 5000, becameReady: true, tookWork: false });
    expect(b.consecutiveFailures).toBe(0);
    expect(b.delayMs()).toBe(0);
  });

  it('does not count a worker that crashed while serving a request (the request killed it, not its start)', () => {
    const b = new CrashBackoff(policy);
    for (let i = 0; i < 10; i++) b.recordExit({ uptimeMs: 50, becameReady: true, tookWork: true });
    expect(b.consecutiveFailures).toBe(0);
    expect(b.degraded).toBe(false);
  });
});

describe('reconcile', () => {
  const w = (id: number, state: 'starting' | 'idle' | 'busy' | 'draining', startedAt = id) => ({ id, kind: 'http' as const, state, startedAt });

  it('spawns what is missing, not counting draining workers', () => {
    expect(reconcile({ http: 3, cron: 1, longpolling: 0 }, [w(1, 'idle'), w(2, 'draining')])).toEqual({ spawn: { http: 2, cron: 1 }, retire: [] });
  });

  it('retires the oldest workers first when there are too many', () => {
    expect(reconcile({ http: 1, cron: 0, longpolling: 0 }, [w(3, 'busy', 30), w(1, 'idle', 10), w(2, 'starting', 20)]).retire).toEqual([1, 2]);
  });
});

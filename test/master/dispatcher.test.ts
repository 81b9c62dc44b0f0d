import { describe, expect, it } from 'vitest';
import { Dispatcher } from '../../src/master/dispatcher.js';

describe('Dispatcher', () => {
  it('sends a request to the worker idle the longest', () => {
    const d = new Dispatcher<string, string>({ maxQueued: 10, maxWaitMs: 0 });
    d.release('w1');
    d.release('w2');
    expect(d.submit('r1', 0)).toEqual({ outcome: 'dispatch', worker: 'w1' });
    expect(d.submit('r2', 0)).toEqual({ outcome: 'dispatch', worker: 'w2' });
    expect(d.submit('r3', 0)).toEqual({ outcome: 'queued' });
  });

  it('gives a freed worker the oldest waiting request (FIFO)', () => {
    const d = new Dispatcher<string, string>({ maxQueued: 10, maxWaitMs: 0 });
    d.submit('r1', 0);
    d.submit('r2', 1);
    expect(d.release('w1')).toBe('r1');
    expect(d.release('w1')).toBe('r2');
    expect(d.release('w1')).toBeUndefined();
    expect(d.idleWorkers).toBe(1);
  });

  it('refuses beyond the bound; 0 means unbounded', () => {
    const bounded = new Dispatcher<number, string>({ maxQueued: 2, maxWaitMs: 0 });
    expect([1, 2, 3].map((r) => bounded.submit(r, 0).outcome)).toEqual(['queued', 'queued', 'rejected']);
    const unbounded = new Dispatcher<number, string>({ maxQueued: 0, maxWaitMs: 0 });
    for (let i = 0; i < 1000; i++) expect(unbounded.submit(i, 0).outcome).toBe('queued');
  });

  it('cancels a waiting request and forgets a worker', () => {
    const d = new Dispatcher<string, string>({ maxQueued: 10, maxWaitMs: 0 });
    d.submit('r1', 0);
    d.submit('r2', 0);
    expect(d.cancel('r1')).toBe(true);
    expect(d.release('w1')).toBe('r2');
    d.release('w1');
    expect(d.forget('w1')).toBe(true);
    expect(d.submit('r3', 0)).toEqual({ outcome: 'queued' });
  });

  it('expires requests that waited too long, oldest first, and says when to check next', () => {
    const d = new Dispatcher<string, string>({ maxQueued: 10, maxWaitMs: 100 });
    d.submit('old', 0);
    d.submit('young', 80);
    expect(d.nextExpiry()).toBe(100);
    expect(d.expire(99)).toEqual([]);
    expect(d.expire(100)).toEqual(['old']);
    expect(d.nextExpiry()).toBe(180);
    expect(d.expire(1000)).toEqual(['young']);
    expect(d.nextExpiry()).toBeUndefined();
  });
});

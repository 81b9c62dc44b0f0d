import { describe, expect, it } from 'vitest';
import { defaultSettings, type Settings } from '../../src/config/settings.js';
import { afterRequest, limitsFor, onSample, realTimeLeft } from '../../src/limits/policy.js';
import { limitDetail, limitMessage, limitResponse } from '../../src/limits/messages.js';

const MiB = 1024 * 1024;
const settings = (overrides: Partial<Settings> = {}): Settings => ({ ...defaultSettings(), ...overrides });

describe('limitsFor', () => {
  it("converts Odoo's settings to one worker's limits", () => {
    expect(limitsFor('http', settings())).toEqual({
      memorySoft: 2147483648,
      memoryHard: 2684354560,
      cpuMs: 60_000,
      realMs: 120_000,
      requests: 65536,
    });
  });

  it('gives cron workers limit_time_real_cron: -1 falls back to limit_time_real, 0 disables', () => {
    expect(limitsFor('cron', settings({ limit_time_real_cron: -1, limit_time_real: 30 })).realMs).toBe(30_000);
    expect(limitsFor('cron', settings({ limit_time_real_cron: 0 })).realMs).toBe(0);
    expect(limitsFor('cron', settings({ limit_time_real_cron: 5 })).realMs).toBe(5_000);
    expect(limitsFor('http', settings({ limit_time_real_cron: 5 })).realMs).toBe(120_000);
  });

  it('gives the long-polling worker the *_gevent memory limits, falling back to the general ones', () => {
    expect(limitsFor('longpolling', settings({ limit_memory_soft_gevent: 100, limit_memory_hard_gevent: null }))).toMatchObject({
      memorySoft: 100,
      memoryHard: 2684354560,
    });
  });

  it('adds 0..jitter to limit_request, drawn per worker', () => {
    const s = settings({ limit_request: 100, limit_request_jitter: 10 });
    expect(limitsFor('http', s, () => 0).requests).toBe(100);
    expect(limitsFor('http', s, () => 0.999).requests).toBe(110);
    expect(limitsFor('http', settings({ limit_request: 0, limit_request_jitter: 10 }), () => 0.5).requests).toBe(0);
  });
});

const limits = { memorySoft: 100 * MiB, memoryHard: 200 * MiB, cpuMs: 1000, realMs: 2000, requests: 10 };

describe('afterRequest (the worker, between requests)', () => {
  it('retires at the request count first, as Odoo checks, then on memory', () => {
    expect(afterRequest(9, 50 * MiB, limits)).toBeUndefined();
    expect(afterRequest(10, 150 * MiB, limits)).toMatchObject({ action: 'retire', reason: 'max-requests', value: 10, limit: 10 });
    expect(afterRequest(3, 150 * MiB, limits)).toMatchObject({ action: 'retire', reason: 'soft-memory', value: 150 * MiB });
  });

  it('0 disables both', () => {
    expect(afterRequest(1e6, 1e12, { ...limits, requests: 0, memorySoft: 0 })).toBeUndefined();
  });
});

describe('onSample (the master, every limit_check_interval)', () => {
  it('kills above the hard limit, busy or not', () => {
    expect(onSample({ rss: 201 * MiB, cpuMs: 0 }, undefined, limits)).toMatchObject({ action: 'kill', reason: 'hard-memory' });
  });

  it('kills a request that used more CPU than allowed since it started', () => {
    expect(onSample({ rss: 0, cpuMs: 5000 }, { cpuAtStartMs: 4500 }, limits)).toBeUndefined();
    expect(onSample({ rss: 0, cpuMs: 5600 }, { cpuAtStartMs: 4500 }, limits)).toMatchObject({ action: 'kill', reason: 'cpu', value: 1100, limit: 1000 });
    // An idle worker's CPU does not count against a request.
    expect(onSample({ rss: 0, cpuMs: 99_999 }, undefined, limits)).toBeUndefined();
  });

  it('retires an idle worker above the soft limit; a busy one checks it itself after its request', () => {
    expect(onSample({ rss: 150 * MiB, cpuMs: 0 }, undefined, limits)).toMatchObject({ action: 'retire', reason: 'soft-memory' });
    expect(onSample({ rss: 150 * MiB, cpuMs: 0 }, { cpuAtStartMs: 0 }, limits)).toBeUndefined();
  });

  it('0 disables every sampled limit', () => {
    const off = { ...limits, memorySoft: 0, memoryHard: 0, cpuMs: 0 };
    expect(onSample({ rss: 1e12, cpuMs: 1e9 }, { cpuAtStartMs: 0 }, off)).toBeUndefined();
  });
});

describe('realTimeLeft', () => {
  it('counts down from the start of the request; 0 means no limit', () => {
    expect(realTimeLeft(1000, 2500, limits)).toBe(500);
    expect(realTimeLeft(1000, 3100, limits)).toBe(-100);
    expect(realTimeLeft(1000, 1e12, { ...limits, realMs: 0 })).toBe(Infinity);
  });
});

describe('limit messages', () => {
  it("uses Odoo's texts", () => {
    expect(limitMessage({ action: 'retire', reason: 'max-requests', value: 8192, limit: 8192 }, 42, 'http')).toBe('Worker (42) max request (8192) reached.');
    expect(limitMessage({ action: 'retire', reason: 'soft-memory', value: 123, limit: 100 }, 42, 'http')).toBe('Worker (42) virtual memory limit (123) reached.');
    expect(limitMessage({ action: 'kill', reason: 'cpu', value: 61_000, limit: 60_000 }, 42, 'http')).toBe('Worker (42) CPU time limit (60) reached.');
    expect(limitMessage({ action: 'kill', reason: 'real-time', value: 120_004, limit: 120_000 }, 42, 'http')).toBe('WorkerHTTP (42) timeout after 120s');
    expect(limitMessage({ action: 'kill', reason: 'real-time', value: 1, limit: 1 }, 42, 'cron')).toBe('WorkerCron (42) timeout after 0.001s');
  });

  it('names the reason in the response and the ledger', () => {
    expect(limitResponse({ action: 'kill', reason: 'real-time', value: 1, limit: 1000 })).toMatchObject({ status: 504, reason: 'real-time' });
    expect(limitResponse({ action: 'kill', reason: 'cpu', value: 1, limit: 1000 })).toMatchObject({ status: 504, reason: 'cpu' });
    expect(limitResponse({ action: 'kill', reason: 'hard-memory', value: 1, limit: 1000 })).toMatchObject({ status: 502, reason: 'hard-memory' });
    expect(limitDetail({ action: 'kill', reason: 'hard-memory', value: 300 * MiB, limit: 256 * MiB })).toBe('RSS 300 MiB > 256 MiB');
  });
});

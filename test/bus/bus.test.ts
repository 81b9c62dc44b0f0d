import { describe, expect, it } from 'vitest';
import { BusLog, busIdGenerator } from '../../src/bus/bus-log.js';
import { BusHubRequestError, parseSubscription } from '../../src/bus/hub.js';
import { bus, BusPublishError, setBusTransport } from '../../src/bus/publish.js';

const msg = (id: number, channel: string, time = id) => ({ id, channel, message: { n: id }, time });

describe('BusLog', () => {
  it('returns the messages after an id on the given channels, oldest first', () => {
    const log = new BusLog(60_000);
    for (const [id, channel] of [[1, 'a'], [2, 'b'], [3, 'a'], [4, 'c'], [5, 'a']] as const) log.append(msg(id, channel));
    expect(log.since(0, new Set(['a'])).map((m) => m.id)).toEqual([1, 3, 5]);
    expect(log.since(3, new Set(['a', 'c'])).map((m) => m.id)).toEqual([4, 5]);
    expect(log.since(5, new Set(['a']))).toEqual([]);
    expect(log.lastId).toBe(5);
  });

  it('ignores ids it has already seen, so a replay is harmless', () => {
    const log = new BusLog(60_000);
    expect(log.append(msg(2, 'a'))).toBe(true);
    expect(log.append(msg(2, 'a'))).toBe(false);
    expect(log.append(msg(1, 'a'))).toBe(false);
    expect(log.size).toBe(1);
  });

  it('keeps messages for the retention window, and at most a maximum count', () => {
    const log = new BusLog(100, 3);
    log.append(msg(1, 'a', 0));
    log.append(msg(2, 'a', 50));
    log.append(msg(3, 'a', 120)); // message 1 is now older than 100 ms
    expect(log.all().map((m) => m.id)).toEqual([2, 3]);
    log.append(msg(4, 'a', 121));
    log.append(msg(5, 'a', 122));
    expect(log.all().map((m) => m.id)).toEqual([3, 4, 5]);
  });

  it('bounds the window by the size of its messages too', () => {
    const log = new BusLog(60_000, 100, 25);
    for (let id = 1; id <= 5; id++) log.append({ id, channel: 'a', message: '12345678', time: id }); // 10 bytes of JSON each
    expect(log.all().map((m) => m.id)).toEqual([4, 5]);
    expect(log.retainedBytes).toBe(20);
  });

  it('numbers messages monotonically from the clock, also across a restart', () => {
    let clock = 1_000;
    const first = busIdGenerator(() => clock);
    const a = first();
    const b = first();
    expect(b).toBe(a + 1);
    clock = 1_001; // a restarted master, a millisecond later
    expect(busIdGenerator(() => clock)()).toBeGreaterThan(b);
  });
});

describe('subscriptions', () => {
  it("reads {channels, last} and Odoo's JSON-RPC form", () => {
    expect(parseSubscription({ channels: ['a', 'b'], last: 7 })).toEqual({ channels: new Set(['a', 'b']), last: 7, jsonRpc: false, rpcId: undefined });
    expect(parseSubscription({ jsonrpc: '2.0', id: 9, params: { channels: ['a'] } })).toEqual({ channels: new Set(['a']), last: 0, jsonRpc: true, rpcId: 9 });
  });

  it.each([null, {}, [], { channels: 'a' }, { channels: [''] }, { channels: ['a'], last: -1 }, { channels: ['a'], last: 'x' }, { channels: ['a'], last: [5] }, { params: null, channels: ['a'] }])('refuses %j', (body) => {
    expect(() => parseSubscription(body)).toThrow(BusHubRequestError);
  });
});

describe('bus.publish', () => {
  it('validates, then hands the message to the process transport', () => {
    const sent: unknown[] = [];
    setBusTransport((channel, message) => sent.push([channel, message]));
    bus.publish('chat', { text: 'hi' });
    expect(sent).toEqual([['chat', { text: 'hi' }]]);
    expect(() => bus.publish('', 1)).toThrow(BusPublishError);
    expect(() => bus.publish('chat', undefined)).toThrow(/JSON value/);
  });
});

describe('BusHub delivery', () => {
  it('never hands a subscriber a message at or below the last id it asked to start after (replays)', async () => {
    const { BusHub } = await import('../../src/bus/hub.js');
    const { pino } = await import('pino');
    const hub = new BusHub({ retentionMs: 60_000, pollTimeoutMs: 1000, logger: pino({ level: 'silent' }) });
    const got: number[] = [];
    // A subscriber that resumed after id 2, before the replay of 1..3 reached this worker.
    (hub as unknown as { subscribe(s: object): void }).subscribe({ channels: new Set(['c']), last: 2, deliver: (m: { id: number }[]) => got.push(...m.map((x) => x.id)) });
    for (const id of [1, 2, 3]) hub.deliver(msg(id, 'c'));
    expect(got).toEqual([3]);
  });
});

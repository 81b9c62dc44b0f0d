import { PassThrough } from 'node:stream';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  decodeRequestStart,
  decodeResponseEnd,
  encodeRequestStart,
  encodeResponseEnd,
  FrameDecoder,
  FrameProtocolError,
  FrameType,
  writeFrame,
} from '../../src/ipc/frames.js';

function collect() {
  const events: [string, number, number, string][] = [];
  const decoder = new FrameDecoder({
    onData: (type, id, chunk) => events.push(['data', type, id, chunk.toString()]),
    onControl: (type, id, payload) => events.push(['control', type, id, payload.toString('hex')]),
  });
  return { events, decoder };
}

function encode(frames: [FrameType, number, Buffer?][]): Buffer {
  const stream = new PassThrough();
  for (const [type, id, payload] of frames) writeFrame(stream as unknown as Socket, type, id, payload);
  return stream.read() as Buffer;
}

describe('frames', () => {
  const bytes = encode([
    [FrameType.RequestStart, 7, Buffer.from('a|1|b|2')],
    [FrameType.RequestData, 7, Buffer.from('GET / HTTP/1.1\r\n\r\n')],
    [FrameType.RequestAbort, 7],
    [FrameType.ResponseData, 8, Buffer.alloc(20_000, 'x')],
  ]);

  it('decodes a stream of frames delivered in one piece', () => {
    const { events, decoder } = collect();
    decoder.push(bytes);
    expect(events.map((e) => e.slice(0, 3))).toEqual([
      ['control', FrameType.RequestStart, 7],
      ['data', FrameType.RequestData, 7],
      ['control', FrameType.RequestAbort, 7],
      ['data', FrameType.ResponseData, 8],
    ]);
  });

  it('decodes the same frames byte by byte, data arriving in pieces', () => {
    const { events, decoder } = collect();
    for (let i = 0; i < bytes.length; i++) decoder.push(bytes.subarray(i, i + 1));
    const data = events.filter((e) => e[0] === 'data' && e[1] === FrameType.ResponseData).map((e) => e[3]).join('');
    expect(data).toBe('x'.repeat(20_000));
    expect(events.filter((e) => e[0] === 'control').map((e) => e[1])).toEqual([FrameType.RequestStart, FrameType.RequestAbort]);
    expect(events.find((e) => e[1] === FrameType.RequestStart)?.[3]).toBe(Buffer.from('a|1|b|2').toString('hex'));
  });

  it('rejects an unknown frame type', () => {
    const { decoder } = collect();
    expect(() => decoder.push(Buffer.from([99, 0, 0, 0, 0, 0, 0, 0, 0]))).toThrow(FrameProtocolError);
  });

  it('round-trips the request start and response end payloads', () => {
    const client = { remoteAddress: '::ffff:127.0.0.1', remotePort: 51000, localAddress: '127.0.0.1', localPort: 8069 };
    expect(decodeRequestStart(encodeRequestStart(client))).toEqual(client);
    const end = { keepAlive: true, aborted: false, requests: 42, cpuMicros: 123456.5, rss: 52_428_800, retire: undefined };
    expect(decodeResponseEnd(encodeResponseEnd(end))).toEqual(end);
    for (const retire of ['max-requests', 'soft-memory'] as const) {
      expect(decodeResponseEnd(encodeResponseEnd({ ...end, keepAlive: false, retire }))).toEqual({ ...end, keepAlive: false, retire });
    }
  });
});

import { describe, expect, it } from 'vitest';
import { BodyFramer, FramingError, parseRequestHead, type RequestHead } from '../../src/master/request-framing.js';

const MAX = 16 * 1024;

function head(text: string): RequestHead {
  const result = parseRequestHead(Buffer.from(text, 'latin1'), MAX);
  if (result.status !== 'ok') throw new Error(`expected ok, got ${JSON.stringify(result)}`);
  return result.head;
}

function status(text: string) {
  const result = parseRequestHead(Buffer.from(text, 'latin1'), MAX);
  return result.status === 'error' ? result.code : result.status;
}

describe('parseRequestHead', () => {
  it('finds the head, method, path and length', () => {
    const h = head('GET /sleep?ms=5 HTTP/1.1\r\nHost: x\r\n\r\nEXTRA');
    expect(h).toMatchObject({ method: 'GET', target: '/sleep?ms=5', path: '/sleep', versionMinor: 1, keepAlive: true, body: { kind: 'none' } });
    expect(h.headLength).toBe('GET /sleep?ms=5 HTTP/1.1\r\nHost: x\r\n\r\n'.length);
  });

  it('waits for more bytes until the blank line arrives', () => {
    expect(status('GET / HTTP/1.1\r\nHost: x\r\n')).toBe('incomplete');
  });

  it('applies HTTP/1.0 and HTTP/1.1 keep-alive defaults', () => {
    expect(head('GET / HTTP/1.0\r\n\r\n').keepAlive).toBe(false);
    expect(head('GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n').keepAlive).toBe(true);
    expect(head('GET / HTTP/1.1\r\nConnection: close\r\n\r\n').keepAlive).toBe(false);
    expect(head('GET / HTTP/1.1\r\nconnection: Keep-Alive, Close\r\n\r\n').keepAlive).toBe(false);
  });

  it('reads the body framing', () => {
    expect(head('POST / HTTP/1.1\r\nContent-Length: 12\r\n\r\n').body).toEqual({ kind: 'length', length: 12 });
    expect(head('POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n').body).toEqual({ kind: 'chunked' });
    expect(head('POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n').body).toEqual({ kind: 'none' });
  });

  it('refuses ambiguous framing (request smuggling)', () => {
    expect(status('POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n')).toBe(400);
    expect(status('POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n')).toBe(400);
    expect(status('POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n')).toBe('ok');
    expect(status('POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n')).toBe(400);
    expect(status('POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n')).toBe(400);
    expect(status('POST / HTTP/1.1\r\nBad Header: x\r\n\r\n')).toBe(400);
    expect(status('POST / HTTP/1.1\r\n folded: x\r\n\r\n')).toBe(400);
  });

  it('refuses malformed request lines, other versions and CONNECT', () => {
    expect(status('GARBAGE\r\n\r\n')).toBe(400);
    expect(status('GET / HTTP/2.0\r\n\r\n')).toBe(505);
    expect(status('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n')).toBe(505);
    expect(status('CONNECT example.com:443 HTTP/1.1\r\n\r\n')).toBe(501);
  });

  it('refuses bare-LF line endings at once instead of waiting for a CRLF that never comes', () => {
    expect(status('GET / HTTP/1.1\n\n')).toBe(400);
    expect(status('GET / HTTP/1.1\r\nHost: x\n\r\n')).toBe(400);
    expect(status('GET / HTTP/1.1\r\nHost: x\r\n')).toBe('incomplete');
  });

  it('refuses heads above the limit, complete or not', () => {
    const big = `GET / HTTP/1.1\r\nX-Big: ${'a'.repeat(MAX)}\r\n`;
    expect(status(big)).toBe(431);
    expect(status(`${big}\r\n`)).toBe(431);
  });

  it('recognises upgrades and the last X-Forwarded-For hop', () => {
    const h = head('GET /websocket HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nX-Forwarded-For: 1.1.1.1, 10.0.0.2\r\n\r\n');
    expect(h.upgrade).toBe(true);
    expect(h.forwardedFor).toBe('10.0.0.2');
    expect(head('GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n').upgrade).toBe(false);
  });

  it('skips empty lines before the request line', () => {
    const h = head('\r\n\r\nGET / HTTP/1.1\r\n\r\n');
    expect(h.path).toBe('/');
    expect(h.headLength).toBe('\r\n\r\nGET / HTTP/1.1\r\n\r\n'.length);
  });
});

describe('BodyFramer', () => {
  it('counts a Content-Length body across chunks and stops at its end', () => {
    const framer = new BodyFramer({ kind: 'length', length: 10 });
    expect(framer.take(Buffer.from('12345'))).toBe(5);
    expect(framer.done).toBe(false);
    expect(framer.take(Buffer.from('67890NEXT'))).toBe(5);
    expect(framer.done).toBe(true);
    expect(framer.take(Buffer.from('more'))).toBe(0);
  });

  it('honours an offset (the head is in the same chunk)', () => {
    const framer = new BodyFramer({ kind: 'length', length: 3 });
    expect(framer.take(Buffer.from('HEADabcREST'), 4)).toBe(3);
  });

  const chunked = '4;ext=1\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nTrailer: yes\r\n\r\n';

  it('finds the end of a chunked body with extensions and trailers', () => {
    const framer = new BodyFramer({ kind: 'chunked' });
    const bytes = Buffer.from(`${chunked}GET /next`);
    expect(framer.take(bytes)).toBe(chunked.length);
    expect(framer.done).toBe(true);
  });

  it('finds the same end whatever the chunk boundaries (byte by byte)', () => {
    const framer = new BodyFramer({ kind: 'chunked' });
    const bytes = Buffer.from(`${chunked}X`);
    let taken = 0;
    for (let i = 0; i < bytes.length && !framer.done; i++) taken += framer.take(bytes.subarray(i, i + 1));
    expect(taken).toBe(chunked.length);
    expect(framer.done).toBe(true);
  });

  it('handles an empty chunked body', () => {
    const framer = new BodyFramer({ kind: 'chunked' });
    expect(framer.take(Buffer.from('0\r\n\r\n'))).toBe(5);
    expect(framer.done).toBe(true);
  });

  it.each(['Z\r\n', '4\nWiki', '4\r\nWikiXX', '\r\n', 'FFFFFFFFFFFFFFFF\r\n'])('rejects malformed chunked data %j', (text) => {
    const framer = new BodyFramer({ kind: 'chunked' });
    expect(() => framer.take(Buffer.from(text))).toThrow(FramingError);
  });
});

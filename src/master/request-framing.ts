/**
 * Just enough HTTP/1.x for the master to find where each request starts and ends on a client
 * connection, so one keep-alive connection can send consecutive requests to different workers.
 * The bytes themselves are forwarded untouched; the worker's node:http (llhttp) parses them for
 * real. When in doubt this side refuses (400) rather than guesses, so the two parsers can never
 * disagree about where a request ends (request smuggling).
 */

export type RequestBody = { kind: 'none' } | { kind: 'length'; length: number } | { kind: 'chunked' };

export interface RequestHead {
  method: string;
  target: string;
  /** The target without its query string. */
  path: string;
  versionMinor: 0 | 1;
  /** The client wants the connection kept open after this request. */
  keepAlive: boolean;
  body: RequestBody;
  /** Connection: upgrade with an Upgrade header (websocket…). */
  upgrade: boolean;
  /** Last entry of X-Forwarded-For, if any (used in proxy_mode). */
  forwardedFor: string | undefined;
  /** Bytes of the head, including the blank line that ends it. */
  headLength: number;
}

export type HeadParseResult =
  | { status: 'incomplete' }
  | { status: 'error'; code: 400 | 431 | 501 | 505; reason: string }
  | { status: 'ok'; head: RequestHead };

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const REQUEST_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) ([^\s]+) HTTP\/(\d)\.(\d)$/;
const INCOMPLETE: HeadParseResult = { status: 'incomplete' };

function error(code: 400 | 431 | 501 | 505, reason: string): HeadParseResult {
  return { status: 'error', code, reason };
}

/** Parses the head at the start of `buffer`. Leading empty lines are skipped (RFC 9112 §2.2). */
export function parseRequestHead(buffer: Buffer, maxHeaderBytes: number): HeadParseResult {
  let start = 0;
  while (start + 1 < buffer.length && buffer[start] === 13 && buffer[start + 1] === 10) start += 2;
  const end = buffer.indexOf('\r\n\r\n', start, 'latin1');
  if (end < 0) {
    // Lines must end in CRLF (as node:http requires); a bare-LF head would otherwise wait forever.
    if (buffer.indexOf('\n\n', start, 'latin1') >= 0 || buffer.indexOf('\n\r\n', start, 'latin1') >= 0) {
      return error(400, 'header lines must end with CRLF');
    }
    return buffer.length - start > maxHeaderBytes ? error(431, 'request header fields too large') : INCOMPLETE;
  }
  if (end - start > maxHeaderBytes) return error(431, 'request header fields too large');
  const text = buffer.toString('latin1', start, end);
  const lines = text.split('\r\n');
  const requestLine = REQUEST_LINE.exec(lines[0] as string);
  if (!requestLine) return error(400, 'malformed request line');
  const [, method, target, major, minor] = requestLine as unknown as [string, string, string, string, string];
  if (major !== '1' || (minor !== '0' && minor !== '1')) return error(505, `HTTP/${major}.${minor} is not supported`);
  if (method === 'CONNECT') return error(501, 'CONNECT is not supported');
  const versionMinor = minor === '1' ? 1 : 0;

  let contentLength: number | undefined;
  let chunked = false;
  let transferEncoding = false;
  let connectionClose = false;
  let connectionKeepAlive = false;
  let connectionUpgrade = false;
  let upgradeHeader = false;
  let forwardedFor: string | undefined;

  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const colon = line.indexOf(':');
    if (colon <= 0) return error(400, 'malformed header line');
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) return error(400, 'malformed header name');
    const first = name.charCodeAt(0) | 0x20;
    // Only a handful of headers matter for framing; skip the rest cheaply by first letter.
    if (first !== 0x63 /* c */ && first !== 0x74 /* t */ && first !== 0x75 /* u */ && first !== 0x78 /* x */) continue;
    const lower = name.toLowerCase();
    const value = line.slice(colon + 1).trim();
    switch (lower) {
      case 'content-length': {
        if (!/^\d+$/.test(value)) return error(400, 'invalid Content-Length');
        const length = Number(value);
        if (contentLength !== undefined && contentLength !== length) return error(400, 'conflicting Content-Length headers');
        if (!Number.isSafeInteger(length)) return error(400, 'Content-Length too large');
        contentLength = length;
        break;
      }
      case 'transfer-encoding': {
        transferEncoding = true;
        const codings = value.toLowerCase().split(',').map((c) => c.trim());
        chunked = codings[codings.length - 1] === 'chunked';
        break;
      }
      case 'connection':
        for (const option of value.toLowerCase().split(',')) {
          const token = option.trim();
          if (token === 'close') connectionClose = true;
          else if (token === 'keep-alive') connectionKeepAlive = true;
          else if (token === 'upgrade') connectionUpgrade = true;
        }
        break;
      case 'upgrade':
        upgradeHeader = true;
        break;
      case 'x-forwarded-for': {
        const hops = value.split(',');
        forwardedFor = (hops[hops.length - 1] as string).trim() || forwardedFor;
        break;
      }
      default:
        break;
    }
  }

  if (transferEncoding && contentLength !== undefined) return error(400, 'both Transfer-Encoding and Content-Length');
  if (transferEncoding && !chunked) return error(400, 'Transfer-Encoding must end with chunked');
  if (transferEncoding && versionMinor === 0) return error(400, 'Transfer-Encoding in an HTTP/1.0 request');

  const body: RequestBody = chunked
    ? { kind: 'chunked' }
    : contentLength
      ? { kind: 'length', length: contentLength }
      : { kind: 'none' };
  const query = target.indexOf('?');
  return {
    status: 'ok',
    head: {
      method,
      target,
      path: query < 0 ? target : target.slice(0, query),
      versionMinor,
      keepAlive: versionMinor === 1 ? !connectionClose : connectionKeepAlive && !connectionClose,
      body,
      upgrade: connectionUpgrade && upgradeHeader,
      forwardedFor,
      headLength: end + 4,
    },
  };
}

export class FramingError extends Error {}

const enum Chunked {
  Size,
  SizeExtension,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  TrailerStart,
  TrailerLine,
  TrailerLf,
  EndLf,
  Done,
}

const MAX_CHUNK_SIZE_DIGITS = 13; // 16^13 > 2^52: keeps sizes exact in a double

/**
 * Follows a request body through the bytes of a connection and says where it ends. Bytes are not
 * decoded or copied: `take` only counts how many of them belong to the body.
 */
export class BodyFramer {
  private readonly chunked: boolean;
  private remaining: number;
  private state: Chunked;
  private sizeDigits = 0;
  done: boolean;

  constructor(body: RequestBody) {
    this.chunked = body.kind === 'chunked';
    this.remaining = body.kind === 'length' ? body.length : 0;
    this.state = this.chunked ? Chunked.Size : Chunked.Done;
    this.done = body.kind === 'none' || (body.kind === 'length' && body.length === 0);
  }

  /** How many bytes at the start of `chunk` belong to the body (all of them unless it ends inside). */
  take(chunk: Buffer, offset = 0): number {
    if (this.done) return 0;
    if (!this.chunked) {
      const n = Math.min(this.remaining, chunk.length - offset);
      this.remaining -= n;
      if (this.remaining === 0) this.done = true;
      return n;
    }
    let i = offset;
    while (i < chunk.length) {
      const byte = chunk[i] as number;
      switch (this.state) {
        case Chunked.Size: {
          const digit = hexValue(byte);
          if (digit >= 0) {
            if (++this.sizeDigits > MAX_CHUNK_SIZE_DIGITS) throw new FramingError('chunk size too large');
            this.remaining = this.remaining * 16 + digit;
          } else if (this.sizeDigits === 0) {
            throw new FramingError('missing chunk size');
          } else if (byte === 0x3b /* ; */ || byte === 0x20 || byte === 0x09) {
            this.state = Chunked.SizeExtension;
          } else if (byte === 13) {
            this.state = Chunked.SizeLf;
          } else {
            throw new FramingError('invalid chunk size');
          }
          i++;
          break;
        }
        case Chunked.SizeExtension:
          if (byte === 13) this.state = Chunked.SizeLf;
          else if (byte === 10) throw new FramingError('bare LF in chunk extension');
          i++;
          break;
        case Chunked.SizeLf:
          if (byte !== 10) throw new FramingError('expected LF after chunk size');
          this.sizeDigits = 0;
          this.state = this.remaining === 0 ? Chunked.TrailerStart : Chunked.Data;
          i++;
          break;
        case Chunked.Data: {
          const n = Math.min(this.remaining, chunk.length - i);
          this.remaining -= n;
          i += n;
          if (this.remaining === 0) this.state = Chunked.DataCr;
          break;
        }
        case Chunked.DataCr:
          if (byte !== 13) throw new FramingError('expected CRLF after chunk data');
          this.state = Chunked.DataLf;
          i++;
          break;
        case Chunked.DataLf:
          if (byte !== 10) throw new FramingError('expected CRLF after chunk data');
          this.state = Chunked.Size;
          i++;
          break;
        case Chunked.TrailerStart:
          this.state = byte === 13 ? Chunked.EndLf : Chunked.TrailerLine;
          i++;
          break;
        case Chunked.TrailerLine:
          if (byte === 13) this.state = Chunked.TrailerLf;
          i++;
          break;
        case Chunked.TrailerLf:
          if (byte !== 10) throw new FramingError('expected LF after trailer');
          this.state = Chunked.TrailerStart;
          i++;
          break;
        case Chunked.EndLf:
          if (byte !== 10) throw new FramingError('expected LF at end of chunked body');
          this.state = Chunked.Done;
          this.done = true;
          return i + 1 - offset;
        default:
          return i - offset;
      }
    }
    return i - offset;
  }
}

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  const lower = byte | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

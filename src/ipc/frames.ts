/**
 * The data channel between the master and one HTTP worker: a socketpair (stdio fd 4 of the
 * worker) carrying a lean binary framing. Requests and responses travel as raw HTTP bytes, so the
 * master never re-serialises a message and the worker's own node:http parses the request.
 *
 * Frame: type (u8) · request id (u32 LE) · payload length (u32 LE) · payload.
 * Data frames may be delivered to the handler in pieces as their bytes arrive (no buffering of a
 * 100 MB body); control frames are delivered whole.
 */
import type { Socket } from 'node:net';

export const FrameType = {
  /** master → worker: a new request begins; payload: client address (see encodeRequestStart). */
  RequestStart: 1,
  /** master → worker: raw request bytes (head, then body). */
  RequestData: 2,
  /** master → worker: the client went away before its request was complete. */
  RequestAbort: 3,
  /** worker → master: raw response bytes. */
  ResponseData: 4,
  /** worker → master: the response is complete; payload: see encodeResponseEnd. */
  ResponseEnd: 5,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

const HEADER_BYTES = 9;
const COPY_THRESHOLD = 16 * 1024;

function isDataFrame(type: number): boolean {
  return type === FrameType.RequestData || type === FrameType.ResponseData;
}

/** Writes one frame; returns what socket.write returned (false: wait for 'drain'). */
export function writeFrame(socket: Socket, type: FrameType, id: number, payload?: Buffer): boolean {
  const length = payload ? payload.length : 0;
  if (length <= COPY_THRESHOLD) {
    // One small buffer, one write: cheaper than corking two writes for the common small request.
    const frame = Buffer.allocUnsafe(HEADER_BYTES + length);
    frame[0] = type;
    frame.writeUInt32LE(id, 1);
    frame.writeUInt32LE(length, 5);
    if (payload) payload.copy(frame, HEADER_BYTES);
    return socket.write(frame);
  }
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  header[0] = type;
  header.writeUInt32LE(id, 1);
  header.writeUInt32LE(length, 5);
  socket.cork();
  socket.write(header);
  const ok = socket.write(payload as Buffer);
  socket.uncork();
  return ok;
}

/**
 * Writes a RequestStart frame and the first RequestData frame together: for a typical request
 * (head and body in one read) that is one buffer and one system call.
 */
export function writeRequestStart(socket: Socket, id: number, client: Buffer, data: Buffer): boolean {
  if (data.length > COPY_THRESHOLD) {
    socket.cork();
    writeFrame(socket, FrameType.RequestStart, id, client);
    const ok = writeFrame(socket, FrameType.RequestData, id, data);
    socket.uncork();
    return ok;
  }
  const frame = Buffer.allocUnsafe(2 * HEADER_BYTES + client.length + data.length);
  frame[0] = FrameType.RequestStart;
  frame.writeUInt32LE(id, 1);
  frame.writeUInt32LE(client.length, 5);
  client.copy(frame, HEADER_BYTES);
  const second = HEADER_BYTES + client.length;
  frame[second] = FrameType.RequestData;
  frame.writeUInt32LE(id, second + 1);
  frame.writeUInt32LE(data.length, second + 5);
  data.copy(frame, second + HEADER_BYTES);
  return socket.write(frame);
}

export interface FrameHandler {
  /** A piece of a data frame's payload (never empty). */
  onData(type: FrameType, id: number, chunk: Buffer): void;
  /** A whole control frame. */
  onControl(type: FrameType, id: number, payload: Buffer): void;
}

export class FrameProtocolError extends Error {}

/** Incremental decoder: feed it whatever the socket delivers. */
export class FrameDecoder {
  private header = Buffer.alloc(HEADER_BYTES);
  private headerFill = 0;
  private type = 0;
  private id = 0;
  private remaining = 0;
  private control: Buffer[] = [];
  private inFrame = false;

  constructor(private readonly handler: FrameHandler) {}

  push(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (!this.inFrame) {
        // Fast path: the whole header is in this chunk.
        if (this.headerFill === 0 && chunk.length - offset >= HEADER_BYTES) {
          this.type = chunk[offset] as number;
          this.id = chunk.readUInt32LE(offset + 1);
          this.remaining = chunk.readUInt32LE(offset + 5);
          offset += HEADER_BYTES;
        } else {
          const take = Math.min(HEADER_BYTES - this.headerFill, chunk.length - offset);
          chunk.copy(this.header, this.headerFill, offset, offset + take);
          this.headerFill += take;
          offset += take;
          if (this.headerFill < HEADER_BYTES) return;
          this.headerFill = 0;
          this.type = this.header[0] as number;
          this.id = this.header.readUInt32LE(1);
          this.remaining = this.header.readUInt32LE(5);
        }
        if (this.type < FrameType.RequestStart || this.type > FrameType.ResponseEnd) {
          throw new FrameProtocolError(`unknown frame type ${this.type}`);
        }
        this.inFrame = true;
        if (this.remaining === 0) this.finishFrame();
        continue;
      }
      const take = Math.min(this.remaining, chunk.length - offset);
      const piece = chunk.subarray(offset, offset + take);
      offset += take;
      this.remaining -= take;
      if (isDataFrame(this.type)) {
        this.handler.onData(this.type as FrameType, this.id, piece);
      } else {
        this.control.push(piece);
      }
      if (this.remaining === 0) this.finishFrame();
    }
  }

  private finishFrame(): void {
    this.inFrame = false;
    if (isDataFrame(this.type)) return;
    const payload = this.control.length === 1 ? (this.control[0] as Buffer) : Buffer.concat(this.control);
    this.control = [];
    this.handler.onControl(this.type as FrameType, this.id, payload);
  }
}

/** Who the client is, as the app will see it on req.socket. */
export interface ClientAddress {
  remoteAddress: string;
  remotePort: number;
  localAddress: string;
  localPort: number;
}

export function encodeRequestStart(client: ClientAddress): Buffer {
  return Buffer.from(`${client.remoteAddress}|${client.remotePort}|${client.localAddress}|${client.localPort}`, 'latin1');
}

export function decodeRequestStart(payload: Buffer): ClientAddress {
  const [remoteAddress = '', remotePort = '0', localAddress = '', localPort = '0'] = payload.toString('latin1').split('|');
  return { remoteAddress, remotePort: Number(remotePort), localAddress, localPort: Number(localPort) };
}

export interface ResponseEnd {
  /** The worker's node:http would keep the connection open (no Connection: close). */
  keepAlive: boolean;
  /** The response ended without completing (socket destroyed: client abort or parse error). */
  aborted: boolean;
  /** Requests this worker has finished, this one included. */
  requests: number;
  /** Process CPU time (user + system) at the end of this request, in microseconds. */
  cpuMicros: number;
  /** Resident set size at the end of this request, in bytes (0 when not measured). */
  rss: number;
  /** Set when this was the worker's last request: it exits now (limit_request or limit_memory_soft). */
  retire: 'max-requests' | 'soft-memory' | undefined;
}

const END_BYTES = 1 + 4 + 8 + 8;
const RETIRE_FLAGS = { 'max-requests': 4, 'soft-memory': 8 } as const;

export function encodeResponseEnd(end: ResponseEnd): Buffer {
  const payload = Buffer.allocUnsafe(END_BYTES);
  payload[0] = (end.keepAlive ? 1 : 0) | (end.aborted ? 2 : 0) | (end.retire ? RETIRE_FLAGS[end.retire] : 0);
  payload.writeUInt32LE(end.requests >>> 0, 1);
  payload.writeDoubleLE(end.cpuMicros, 5);
  payload.writeDoubleLE(end.rss, 13);
  return payload;
}

export function decodeResponseEnd(payload: Buffer): ResponseEnd {
  if (payload.length < END_BYTES) throw new FrameProtocolError('short ResponseEnd frame');
  const flags = payload[0] as number;
  return {
    keepAlive: (flags & 1) !== 0,
    aborted: (flags & 2) !== 0,
    requests: payload.readUInt32LE(1),
    cpuMicros: payload.readDoubleLE(5),
    rss: payload.readDoubleLE(13),
    retire: flags & RETIRE_FLAGS['max-requests'] ? 'max-requests' : flags & RETIRE_FLAGS['soft-memory'] ? 'soft-memory' : undefined,
  };
}

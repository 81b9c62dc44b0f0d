/**
 * An HTTP worker: serves exactly one request at a time, handed over by the master on the data
 * channel (stdio fd 4). node:http does the parsing and the response serialisation; this module
 * only feeds it and reports when each response is complete.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net from 'node:net';
import {
  decodeRequestStart,
  encodeResponseEnd,
  FrameDecoder,
  FrameType,
  writeFrame,
  type FrameHandler,
} from '../ipc/frames.js';
import { afterRequest, type Verdict, type WorkerLimits } from '../limits/policy.js';
import type { Logger } from '../observability/logger.js';
import type { RequestListener } from './app-loader.js';
import { RequestSocket } from './request-socket.js';
import type { WorkerInfo } from './runtime-info.js';

/** The data channel's file descriptor in a worker (stdio index 4, set up by the master). */
export const DATA_CHANNEL_FD = 4;

interface ActiveRequest {
  id: number;
  socket: RequestSocket;
  request?: IncomingMessage;
  response?: ServerResponse;
  ended: boolean;
}

export interface HttpWorkerOptions {
  listener: RequestListener;
  logger: Logger;
  info: WorkerInfo;
  limits: WorkerLimits;
  /** Called after each response is complete; `retire` is set when that was the worker's last request. */
  onIdle: (retire: Verdict | undefined) => void;
  /** Opens the data channel; replaceable in tests. */
  openChannel?: () => net.Socket;
}

/** Whether node:http decided to close the connection after this response (Connection: close). */
function closesConnection(res: ServerResponse): boolean {
  // `_last` is node:http's own record of that decision (set from the request and the headers).
  return (res as unknown as { _last?: boolean })._last === true;
}

export class HttpWorker implements FrameHandler {
  private readonly server: http.Server;
  private readonly channel: net.Socket;
  private readonly decoder: FrameDecoder;
  private current: ActiveRequest | undefined;
  private channelPaused = false;

  constructor(private readonly options: HttpWorkerOptions) {
    // Timeouts are enforced by the master (limit_time_real, queue and keep-alive timeouts).
    this.server = http.createServer({ requestTimeout: 0, headersTimeout: 0, keepAliveTimeout: 0 });
    this.server.on('request', (req: IncomingMessage, res: ServerResponse) => this.handle(req, res));
    this.channel = options.openChannel?.() ?? new net.Socket({ fd: DATA_CHANNEL_FD, readable: true, writable: true });
    this.channel.setNoDelay?.(true);
    this.decoder = new FrameDecoder(this);
    this.channel.on('data', (chunk: Buffer) => this.decoder.push(chunk));
    this.channel.on('error', (error) => options.logger.debug({ err: error }, 'data channel error'));
  }

  get busy(): boolean {
    return this.current !== undefined;
  }

  /**
   * The socket the next request arrives on. node:http sees consecutive requests on one keep-alive
   * connection (half the per-request cost of a new connection); a fresh one is made whenever the
   * previous one cannot be trusted to start at a request boundary (see finish).
   */
  private socket: RequestSocket | undefined;

  private socketFor(id: number, payload: Buffer): RequestSocket {
    const client = decodeRequestStart(payload);
    if (this.socket && !this.socket.destroyed) {
      this.socket.reset(id, client);
      return this.socket;
    }
    const socket = new RequestSocket(id, this.channel, client, () => this.resumeChannel());
    socket.on('close', () => {
      if (this.socket === socket) this.socket = undefined;
      if (this.current?.socket === socket) this.finish(this.current);
    });
    socket.on('error', () => undefined);
    this.socket = socket;
    this.server.emit('connection', socket);
    return socket;
  }

  onControl(type: FrameType, id: number, payload: Buffer): void {
    if (type === FrameType.RequestStart) {
      if (this.current) {
        throw new Error(`protocol error: request ${id} dispatched while request ${this.current.id} is in flight`);
      }
      const socket = this.socketFor(id, payload);
      this.current = { id, socket, ended: false };
      this.options.info.requests += 1;
    } else if (type === FrameType.RequestAbort && this.current?.id === id) {
      this.current.socket.destroy();
    }
  }

  onData(_type: FrameType, id: number, chunk: Buffer): void {
    const active = this.current;
    // Bytes of a request that already ended (the app answered before reading its body) are dropped.
    if (!active || active.id !== id || active.ended) return;
    if (!active.socket.push(chunk)) this.pauseChannel();
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const active = this.current;
    if (active && (req.socket as unknown) === active.socket) {
      active.request = req;
      active.response = res;
      res.once('finish', () => this.finish(active));
      res.once('close', () => this.finish(active));
    }
    try {
      const result = this.options.listener(req, res);
      if (result && typeof (result as Promise<unknown>).catch === 'function') {
        (result as Promise<unknown>).catch((error: unknown) => this.failRequest(res, error));
      }
    } catch (error) {
      this.failRequest(res, error);
    }
  }

  /** An exception from the app: 500 if nothing was sent yet, like werkzeug does for Odoo. */
  private failRequest(res: ServerResponse, error: unknown): void {
    this.options.logger.error({ err: error }, 'Exception in request handler');
    if (!res.headersSent) {
      res.statusCode = 500;
      res.setHeader('content-type', 'text/plain; charset=utf-8');
      res.setHeader('connection', 'close');
      res.end('Internal Server Error\n');
    } else {
      res.destroy();
    }
  }

  /** The response is complete (or the socket is gone): report it once and become idle. */
  private finish(active: ActiveRequest): void {
    if (active.ended) return;
    active.ended = true;
    const res = active.response;
    const aborted = !res || !res.writableFinished;
    const cpu = process.cpuUsage();
    const rss = process.memoryUsage.rss();
    // Odoo checks its limits between requests; so does the worker, before it asks for more work.
    const retire = afterRequest(this.options.info.requests, rss, this.options.limits);
    writeFrame(
      this.channel,
      FrameType.ResponseEnd,
      active.id,
      encodeResponseEnd({
        keepAlive: !aborted && !closesConnection(res as ServerResponse),
        aborted,
        requests: this.options.info.requests,
        cpuMicros: cpu.user + cpu.system,
        rss,
        retire: retire?.reason === 'max-requests' || retire?.reason === 'soft-memory' ? retire.reason : undefined,
      }),
    );
    // The socket is kept for the next request only if this one ended cleanly at a boundary:
    // response finished and request body fully read. Otherwise node:http's parser may be in the
    // middle of a body that will never come, so the socket goes (on the next turn: node:http still
    // has write callbacks pending for this tick).
    if (aborted || !active.request?.complete || closesConnection(res as ServerResponse)) {
      if (this.socket === active.socket) this.socket = undefined;
      setImmediate(() => active.socket.destroy());
    }
    if (this.current === active) this.current = undefined;
    this.resumeChannel();
    this.options.onIdle(retire);
  }

  private pauseChannel(): void {
    if (this.channelPaused) return;
    this.channelPaused = true;
    this.channel.pause();
  }

  private resumeChannel(): void {
    if (!this.channelPaused) return;
    this.channelPaused = false;
    this.channel.resume();
  }

  /** Ends the data channel once everything written to it has left this process (before exiting). */
  flush(callback: () => void): void {
    let called = false;
    const once = () => {
      if (called) return;
      called = true;
      callback();
    };
    this.channel.end(once);
    this.channel.once('error', once);
  }
}

/**
 * The master's HTTP front: accepts client connections on http_port, finds each request's
 * boundaries, queues it, and hands it to one idle HTTP worker at a time over that worker's data
 * channel. Responses come back as raw bytes and are written to the client untouched.
 *
 * A keep-alive connection is never pinned to a worker: once a response is complete, the next
 * request on that connection goes through the queue again, to whichever worker is free.
 */
import net, { type Server, type Socket } from 'node:net';
import {
  decodeResponseEnd,
  encodeRequestStart,
  FrameDecoder,
  FrameType,
  writeFrame,
  writeRequestStart,
  type FrameHandler,
  type ResponseEnd,
} from '../ipc/frames.js';
import { Dispatcher, type QueuePolicy } from './dispatcher.js';
import { BodyFramer, FramingError, parseRequestHead, type RequestHead } from './request-framing.js';
import { renderMasterResponse, type MasterResponse } from './responses.js';
import { clampDelay } from '../util/timers.js';

/** Node's default maximum header size. */
const MAX_HEADER_BYTES = 16 * 1024;
/** Idle time allowed between two requests on a keep-alive connection (Node's default). */
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** Time allowed to send a complete request head, from its first byte (slow clients, slowloris). */
const HEADERS_TIMEOUT_MS = 60_000;
/** After an error response, how long a client may keep sending before the socket is destroyed. */
const LINGER_MS = 2_000;

/** The front's view of one HTTP worker. */
export class WorkerPort implements FrameHandler {
  /** The request this worker is serving, if any. */
  connection: ClientConnection | undefined;
  readonly decoder: FrameDecoder;
  private paused = false;

  constructor(
    readonly id: number,
    readonly pid: number,
    readonly channel: Socket,
    private readonly front: HttpFront,
  ) {
    this.decoder = new FrameDecoder(this);
    channel.setNoDelay?.(true);
    channel.on('data', (chunk: Buffer) => this.decoder.push(chunk));
    channel.on('error', () => undefined);
  }

  onData(_type: FrameType, id: number, chunk: Buffer): void {
    const connection = this.connection;
    if (connection && connection.requestId === id) connection.onResponseData(chunk, this);
  }

  onControl(type: FrameType, id: number, payload: Buffer): void {
    if (type !== FrameType.ResponseEnd) return;
    const connection = this.connection;
    if (!connection || connection.requestId !== id) return;
    this.connection = undefined;
    this.resume();
    this.front.responseEnded(this, connection, decodeResponseEnd(payload));
  }

  /** Back-pressure from a slow client: stop reading this worker's responses until it catches up or leaves. */
  pauseUntilDrained(client: Socket): void {
    if (this.paused) return;
    this.paused = true;
    this.channel.pause();
    const resume = () => {
      client.off('drain', resume);
      client.off('close', resume);
      this.resume();
    };
    client.on('drain', resume);
    client.on('close', resume);
  }

  private resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.channel.resume();
  }
}

export interface FrontHooks {
  /** A request was handed to a worker. */
  requestStarted(port: WorkerPort, head: RequestHead): void;
  /** A request has to wait for a worker. */
  requestQueued(head: RequestHead, queued: number): void;
  /** A worker finished a request; the master decides whether it takes more work. */
  requestDone(port: WorkerPort, end: ResponseEnd, connection: ClientConnection): void;
  /** The front has no request left in flight or waiting (used while stopping). */
  drained(): void;
  /** The master answered a request itself (queue full, crash, limit, bad request…). */
  refused(response: MasterResponse): void;
}

export interface FrontOptions {
  queue: QueuePolicy;
  proxyMode: boolean;
  hooks: FrontHooks;
  /**
   * Where /websocket and /longpolling/ requests go: the long-polling worker's address (the master
   * tunnels them there), 'refuse' (404 naming gevent_port), or undefined (no special routing).
   */
  longpolling: { host: string; port: number } | 'refuse' | undefined;
  geventPort?: number;
}

/** Header the master adds to a request it hands to the long-polling worker (see markTunnelled). */
export const TUNNEL_HEADER = 'X-Odoo-Prefork-Tunnel';

/**
 * Adds TUNNEL_HEADER after the request line: the long-polling worker then closes the connection
 * after a long poll, so the tunnel ends with it and the client's next request on that connection
 * comes back to the master (direct clients on gevent_port keep their connection alive).
 */
export function markTunnelled(bytes: Buffer): Buffer {
  const lineEnd = bytes.indexOf('\r\n');
  if (lineEnd < 0) return bytes;
  return Buffer.concat([bytes.subarray(0, lineEnd + 2), Buffer.from(`${TUNNEL_HEADER}: 1\r\n`, 'latin1'), bytes.subarray(lineEnd + 2)]);
}

/** Requests that belong to the long-polling worker, never to an HTTP worker. */
export function isLongpollingPath(path: string): boolean {
  return path === '/websocket' || path.startsWith('/websocket/') || path.startsWith('/longpolling/');
}

let nextRequestId = 0;

type ConnectionState = 'head' | 'queued' | 'active' | 'closed';

export class ClientConnection {
  state: ConnectionState = 'head';
  head: RequestHead | undefined;
  requestId = 0;
  private pending: Buffer | undefined;
  private body: BodyFramer | undefined;
  private worker: WorkerPort | undefined;
  private responseStarted = false;
  private clientPayload: Buffer | undefined;
  /** Deadline for a head that arrives in pieces (armed only then: a head in one read costs no timer). */
  private headTimer: NodeJS.Timeout | undefined;
  /** Status code of the current response, read from its first bytes (0 until then). */
  status = 0;

  constructor(
    readonly socket: Socket,
    private readonly front: HttpFront,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onClientData(chunk));
    socket.on('close', () => this.onClientClose());
    socket.on('error', () => undefined);
    socket.on('timeout', () => {
      if (this.state === 'head') socket.destroy();
    });
    socket.setTimeout(KEEP_ALIVE_TIMEOUT_MS);
  }

  /** True when the client is between requests with nothing sent yet. */
  get idle(): boolean {
    return this.state === 'head' && this.pending === undefined;
  }

  private onClientData(chunk: Buffer): void {
    if (this.state === 'active' && this.body && !this.body.done) {
      this.forwardBody(chunk);
      return;
    }
    if (this.state === 'closed') return;
    this.pending = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    if (this.state === 'head') this.startRequest();
  }

  /** Looks for a complete request head in what the client sent; queues the request if found. */
  private startRequest(): void {
    const pending = this.pending;
    if (!pending) {
      this.socket.setTimeout(KEEP_ALIVE_TIMEOUT_MS);
      this.socket.resume();
      return;
    }
    const result = parseRequestHead(pending, MAX_HEADER_BYTES);
    if (result.status === 'incomplete') {
      this.socket.setTimeout(0);
      this.headTimer ??= setTimeout(() => {
        if (this.state === 'head') this.reject({ status: 408, reason: 'headers-timeout', message: 'the request head did not arrive in time' });
      }, HEADERS_TIMEOUT_MS);
      this.socket.resume();
      return;
    }
    if (this.headTimer) {
      clearTimeout(this.headTimer);
      this.headTimer = undefined;
    }
    if (result.status === 'error') {
      const reason =
        result.code === 431 ? 'header-too-large' : result.code === 505 ? 'http-version' : result.code === 501 ? 'method-unsupported' : 'bad-request';
      this.reject({ status: result.code, reason, message: result.reason });
      return;
    }
    const head = result.head;
    this.head = head;
    const longpolling = this.front.longpolling;
    if (longpolling && isLongpollingPath(head.path)) {
      if (longpolling === 'refuse') {
        this.reject({
          status: 404,
          reason: 'wrong-port',
          message: `${head.path} is served by the long-polling worker on gevent_port ${this.front.geventPort}, not on http_port (proxy_longpolling = False)`,
        });
      } else {
        this.tunnel(longpolling);
      }
      return;
    }
    if (head.upgrade) {
      this.reject({
        status: 501,
        reason: 'upgrade-unsupported',
        message: 'HTTP workers serve one request at a time and take no protocol upgrades; websockets are served at /websocket by the long-polling worker (gevent_port)',
      });
      return;
    }
    this.socket.pause();
    this.socket.setTimeout(0);
    this.state = 'queued';
    this.front.submit(this);
  }

  /**
   * Hands the rest of this connection to the long-polling worker: a websocket stays there, a long
   * poll ends with the connection (the worker answers polls with Connection: close). No HTTP
   * worker is ever involved.
   */
  private tunnel(target: { host: string; port: number }): void {
    this.state = 'closed';
    this.socket.pause();
    this.socket.setTimeout(0);
    if (this.headTimer) clearTimeout(this.headTimer);
    this.socket.removeAllListeners('data');
    const pending = this.pending as Buffer;
    this.pending = undefined;
    let connected = false;
    const upstream = net.connect(target.port, target.host);
    upstream.setNoDelay(true);
    upstream.once('connect', () => {
      connected = true;
      upstream.write(markTunnelled(pending));
      this.socket.pipe(upstream);
      upstream.pipe(this.socket);
      this.socket.resume();
    });
    upstream.once('error', () => {
      if (connected) {
        this.socket.destroy();
        return;
      }
      this.state = 'head'; // reject() answers only connections that are not closed
      this.reject({
        status: 503,
        reason: 'longpolling-unavailable',
        message: `the long-polling worker (gevent_port ${target.port}) is not accepting connections (restarting?)`,
        retryAfterSeconds: 1,
      });
    });
    this.socket.once('close', () => upstream.destroy());
    upstream.once('close', () => {
      if (connected) this.socket.end();
    });
  }

  /**
   * Hands this connection's current request to a worker. Returns false, having answered 400, when
   * the body bytes already received cannot be framed: then the worker was given nothing.
   */
  dispatch(worker: WorkerPort): boolean {
    const head = this.head as RequestHead;
    const pending = this.pending as Buffer;
    const body = new BodyFramer(head.body);
    let end: number;
    try {
      end = head.headLength + body.take(pending, head.headLength);
    } catch (error) {
      if (!(error instanceof FramingError)) throw error;
      this.state = 'active'; // not queued any more: reject() must not cancel it
      this.reject({ status: 400, reason: 'bad-request', message: `malformed chunked body: ${error.message}` });
      return false;
    }
    this.state = 'active';
    this.worker = worker;
    this.responseStarted = false;
    this.status = 0;
    worker.connection = this;
    nextRequestId = (nextRequestId + 1) >>> 0;
    this.requestId = nextRequestId;
    this.body = body;
    this.pending = undefined;
    this.front.hooks.requestStarted(worker, head);
    const ok = writeRequestStart(worker.channel, this.requestId, this.clientAddress(head), end === pending.length ? pending : pending.subarray(0, end));
    this.afterForward(pending, end, ok);
    return true;
  }

  /** Where the body ends in `chunk` (from `from`); -1 after a framing error, which drops the client. */
  private bodyEnd(chunk: Buffer, from: number): number {
    try {
      return from + (this.body as BodyFramer).take(chunk, from);
    } catch (error) {
      if (!(error instanceof FramingError)) throw error;
      if (this.worker) writeFrame(this.worker.channel, FrameType.RequestAbort, this.requestId);
      this.socket.destroy();
      return -1;
    }
  }

  /** More body bytes from the client. */
  private forwardBody(chunk: Buffer): void {
    const end = this.bodyEnd(chunk, 0);
    if (end < 0) return;
    const ok = end > 0 ? writeFrame((this.worker as WorkerPort).channel, FrameType.RequestData, this.requestId, end === chunk.length ? chunk : chunk.subarray(0, end)) : true;
    this.afterForward(chunk, end, ok);
  }

  /** After forwarding bytes up to `end`: keep what follows the body, and apply back-pressure. */
  private afterForward(chunk: Buffer, end: number, ok: boolean): void {
    const body = this.body as BodyFramer;
    const worker = this.worker as WorkerPort;
    if (body.done) {
      // Nothing more from this client until its response is complete (no pinning, no pipelining into a worker).
      this.socket.pause();
      if (end < chunk.length) this.pending = chunk.subarray(end);
    } else if (!ok) {
      this.socket.pause();
      worker.channel.once('drain', () => {
        if (this.state === 'active' && this.worker === worker && !body.done) this.socket.resume();
      });
    } else {
      this.socket.resume();
    }
  }

  onResponseData(chunk: Buffer, worker: WorkerPort): void {
    if (!this.responseStarted) {
      this.responseStarted = true;
      // "HTTP/1.1 200 …": the status code sits at bytes 9–11 (an interim 100 Continue counts too).
      this.status = chunk.length >= 12 ? (chunk[9]! - 48) * 100 + (chunk[10]! - 48) * 10 + (chunk[11]! - 48) : 0;
    }
    if (this.state === 'closed') return;
    if (!this.socket.write(chunk)) worker.pauseUntilDrained(this.socket);
  }

  onResponseEnd(end: ResponseEnd): void {
    const bodyDone = this.body?.done ?? true;
    this.worker = undefined;
    this.body = undefined;
    if (this.state === 'closed') return;
    if (!end.keepAlive || !this.head?.keepAlive || !bodyDone || this.front.stopping) {
      this.state = 'closed';
      this.socket.end();
      return;
    }
    this.state = 'head';
    this.head = undefined;
    this.startRequest();
  }

  /** The worker serving this request is gone; tell the client why if nothing was sent yet. */
  onWorkerLost(response: MasterResponse): void {
    this.worker = undefined;
    this.body = undefined;
    if (this.state === 'closed') return;
    if (this.responseStarted) {
      this.state = 'closed';
      this.socket.destroy();
      return;
    }
    this.reject(response);
  }

  /** Answers from the master and closes the connection. */
  /** The master answered it (its response is on its way; the socket closes by itself). */
  answered = false;

  reject(response: MasterResponse): void {
    if (this.state === 'closed') return;
    this.answered = true;
    this.front.hooks.refused(response);
    if (this.state === 'queued') this.front.cancel(this);
    this.state = 'closed';
    this.pending = undefined;
    this.socket.setTimeout(0);
    if (this.headTimer) clearTimeout(this.headTimer);
    this.socket.end(renderMasterResponse(response, this.head?.method === 'HEAD'));
    // Keep reading (and dropping) what the client still sends, so it can read our answer
    // instead of getting a reset; then let go.
    this.socket.resume();
    setTimeout(() => this.socket.destroy(), LINGER_MS).unref();
  }

  private onClientClose(): void {
    const previous = this.state;
    this.state = 'closed';
    if (this.headTimer) clearTimeout(this.headTimer);
    if (previous === 'queued') this.front.cancel(this);
    if (previous === 'active' && this.worker && this.body && !this.body.done) {
      // The request can never complete: let the worker's app see the abort.
      writeFrame(this.worker.channel, FrameType.RequestAbort, this.requestId);
    }
    this.front.connectionClosed(this);
  }

  private clientAddress(head: RequestHead): Buffer {
    if (this.front.proxyMode && head.forwardedFor) {
      return encodeRequestStart({
        remoteAddress: head.forwardedFor,
        remotePort: 0,
        localAddress: this.socket.localAddress ?? '',
        localPort: this.socket.localPort ?? 0,
      });
    }
    this.clientPayload ??= encodeRequestStart({
      remoteAddress: this.socket.remoteAddress ?? '',
      remotePort: this.socket.remotePort ?? 0,
      localAddress: this.socket.localAddress ?? '',
      localPort: this.socket.localPort ?? 0,
    });
    return this.clientPayload;
  }
}

export class HttpFront {
  readonly hooks: FrontHooks;
  readonly proxyMode: boolean;
  longpolling: FrontOptions['longpolling'];
  geventPort: number;
  /** Stopping: no new connections, no keep-alive after the current responses. */
  stopping = false;
  /** Stopped: the workers are going away; requests that still arrive are refused. */
  closed = false;
  private readonly server: Server;
  private readonly dispatcher: Dispatcher<ClientConnection, WorkerPort>;
  private readonly connections = new Set<ClientConnection>();
  private expiryTimer: NodeJS.Timeout | undefined;
  private active = 0;

  constructor(options: FrontOptions) {
    this.hooks = options.hooks;
    this.proxyMode = options.proxyMode;
    this.longpolling = options.longpolling;
    this.geventPort = options.longpolling && options.longpolling !== 'refuse' ? options.longpolling.port : options.geventPort ?? 0;
    this.dispatcher = new Dispatcher(options.queue);
    this.server = net.createServer({ noDelay: true }, (socket) => {
      const connection = new ClientConnection(socket, this);
      this.connections.add(connection);
    });
  }

  listen(port: number, host: string): Promise<{ address: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      const onListening = () => {
        this.server.off('error', reject);
        const address = this.server.address() as net.AddressInfo;
        resolve({ address: address.address, port: address.port });
      };
      if (host) this.server.listen({ port, host, backlog: 511 }, onListening);
      else this.server.listen({ port, backlog: 511 }, onListening);
    });
  }

  get queued(): number {
    return this.dispatcher.queued;
  }

  /** The long-polling worker's actual port (gevent_port = 0 picks one when the first one starts). */
  setLongpollingPort(port: number): void {
    this.geventPort = port;
    if (this.longpolling && this.longpolling !== 'refuse') this.longpolling = { ...this.longpolling, port };
  }

  get inFlight(): number {
    return this.active;
  }

  /** A request head is complete: give it to a worker, queue it, or refuse it. */
  submit(connection: ClientConnection): void {
    if (this.closed) {
      // The workers are already stopping: nothing would ever serve it.
      connection.reject({ status: 503, reason: 'shutting-down', message: 'the server is shutting down', retryAfterSeconds: 5 });
      return;
    }
    const result = this.dispatcher.submit(connection, Date.now());
    if (result.outcome === 'dispatch') {
      this.startOn(result.worker, connection);
    } else if (result.outcome === 'queued') {
      this.armExpiry();
      this.hooks.requestQueued(connection.head as RequestHead, this.dispatcher.queued);
    } else {
      connection.reject({
        status: 503,
        reason: 'queue-full',
        message: `all workers are busy and ${this.dispatcher.queued} requests are already waiting (http_queue_size)`,
        retryAfterSeconds: 1,
      });
    }
  }

  private startOn(worker: WorkerPort, connection: ClientConnection): void {
    this.active += 1;
    if (connection.dispatch(worker)) return;
    // Refused before reaching the worker: the worker is still free.
    this.active -= 1;
    this.workerAvailable(worker);
    this.checkDrained();
  }

  cancel(connection: ClientConnection): void {
    this.dispatcher.cancel(connection);
    this.checkDrained();
  }

  connectionClosed(connection: ClientConnection): void {
    this.connections.delete(connection);
  }

  /** A worker can take a request (new, or done with its previous one). */
  workerAvailable(worker: WorkerPort): void {
    const next = this.dispatcher.release(worker);
    if (next) this.startOn(worker, next);
  }

  /** A worker completed its response: finish the client side, then let the master decide about the worker. */
  responseEnded(worker: WorkerPort, connection: ClientConnection, end: ResponseEnd): void {
    this.active -= 1;
    this.hooks.requestDone(worker, end, connection);
    connection.onResponseEnd(end);
    this.checkDrained();
  }

  /** A worker stops taking requests (it is retiring) or is gone; fail its request if it had one. */
  workerUnavailable(worker: WorkerPort, failure?: MasterResponse): void {
    this.dispatcher.forget(worker);
    const connection = worker.connection;
    if (connection && failure) {
      worker.connection = undefined;
      this.active -= 1;
      connection.onWorkerLost(failure);
      this.checkDrained();
    }
  }

  /** No HTTP worker will exist for a while (e.g. all crashed at boot): refuse what waits. */
  failQueued(response: MasterResponse): void {
    for (const connection of this.dispatcher.drain()) connection.reject(response);
    this.checkDrained();
  }

  private armExpiry(): void {
    if (this.expiryTimer) return;
    const at = this.dispatcher.nextExpiry();
    if (at === undefined) return;
    this.expiryTimer = setTimeout(
      () => {
        this.expiryTimer = undefined;
        for (const connection of this.dispatcher.expire(Date.now())) {
          connection.reject({
            status: 503,
            reason: 'queue-timeout',
            message: 'no worker became free in time (http_queue_timeout)',
            retryAfterSeconds: 1,
          });
        }
        this.armExpiry();
      },
      clampDelay(at - Date.now()),
    );
  }

  /** Stop accepting; close idle keep-alive connections; let the rest finish. */
  stop(): void {
    this.stopping = true;
    this.server.close();
    for (const connection of this.connections) {
      if (connection.idle) connection.socket.destroy();
    }
    this.checkDrained();
  }

  /** Forced stop: answer what still waits in the queue (503), drop every other connection. */
  destroyAll(): void {
    this.stopping = true;
    this.closed = true;
    this.server.close();
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.failQueued({ status: 503, reason: 'shutting-down', message: 'the server stopped before a worker could take this request', retryAfterSeconds: 5 });
    for (const connection of this.connections) {
      // A request whose worker is being killed gets an answer too, if none had started.
      if (connection.state === 'active') connection.onWorkerLost({ status: 503, reason: 'shutting-down', message: 'the server was stopped (forced) while this request ran', retryAfterSeconds: 5 });
      if (!connection.answered) connection.socket.destroy();
    }
  }

  get drained(): boolean {
    return this.active === 0 && this.dispatcher.queued === 0;
  }

  private checkDrained(): void {
    if (this.stopping && this.drained) this.hooks.drained();
  }
}

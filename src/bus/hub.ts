/**
 * Serves bus messages to clients that wait for them — the long-polling worker's whole job (and the
 * threaded server's, on its one port):
 *
 *   POST /longpolling/poll   {channels, last} (or Odoo's JSON-RPC {params: {channels, last}}):
 *                            the messages on those channels with id > last, at once if there are
 *                            any, else as soon as one arrives, else [] after longpolling_timeout.
 *   GET  /websocket          a websocket; the client sends
 *                            {"event_name": "subscribe", "data": {"channels": [...], "last": N}}
 *                            and receives arrays of {id, channel, message}, missed ones first.
 *   GET  /longpolling/health, /websocket/health   JSON: clients, retained messages, last id.
 *
 * Thousands of idle clients cost one small object each: no request-per-client work, no timers but
 * one per waiting long poll.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from '../observability/logger.js';
import { BusLog, type BusMessage } from './bus-log.js';

interface Subscriber {
  channels: ReadonlySet<string>;
  /** The last id this subscriber has (or asked to start after): older messages are not for it. */
  last: number;
  /**
   * Receives new messages on its channels, with their JSON (`[ … ]`) when the hub serialised them
   * once for every subscriber (a live message: one stringify, then a thousand writes).
   */
  deliver(messages: BusMessage[], json?: string): void;
}

export interface BusHubOptions {
  retentionMs: number;
  pollTimeoutMs: number;
  logger: Logger;
}

const MAX_POLL_BODY = 64 * 1024;
const MAX_CHANNELS = 256;

export class BusHubRequestError extends Error {}

/** `{channels, last}` or JSON-RPC `{params: {channels, last}}`. */
export function parseSubscription(body: unknown): { channels: Set<string>; last: number; jsonRpc: boolean; rpcId: unknown } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BusHubRequestError('the body must be a JSON object {channels, last}');
  const rpc = 'params' in body;
  const params = (rpc ? (body as { params: unknown }).params : body) as { channels?: unknown; last?: unknown } | null;
  if (typeof params !== 'object' || params === null || Array.isArray(params)) throw new BusHubRequestError('params must be a JSON object {channels, last}');
  if (!Array.isArray(params.channels) || params.channels.some((c) => typeof c !== 'string' || c === '')) {
    throw new BusHubRequestError('channels must be an array of non-empty strings');
  }
  if (params.channels.length > MAX_CHANNELS) throw new BusHubRequestError(`at most ${MAX_CHANNELS} channels`);
  const last = params.last === undefined || params.last === null ? 0 : params.last;
  if (typeof last !== 'number' || !Number.isFinite(last) || last < 0) throw new BusHubRequestError('last must be a number ≥ 0 (the last message id seen)');
  return { channels: new Set(params.channels as string[]), last, jsonRpc: rpc, rpcId: rpc ? ((body as { id?: unknown }).id ?? null) : undefined };
}

export class BusHub {
  readonly log: BusLog;
  private readonly byChannel = new Map<string, Set<Subscriber>>();
  private readonly sockets = new Set<WebSocket>();
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  private pollers = 0;
  private closing = false;

  constructor(private readonly options: BusHubOptions) {
    this.log = new BusLog(options.retentionMs);
  }

  stats(): { longpolling: number; websockets: number; retained: number; lastId: number } {
    return { longpolling: this.pollers, websockets: this.sockets.size, retained: this.log.size, lastId: this.log.lastId };
  }

  /** A new message (from the master, or published in this process): to every subscriber of its channel. */
  deliver(message: BusMessage): void {
    if (!this.log.append(message)) return; // already seen (replay after a restart)
    const subscribers = this.byChannel.get(message.channel);
    if (!subscribers) return;
    const batch = [message];
    const json = JSON.stringify(batch);
    // A replay after a restart can bring messages a subscriber asked to skip: filter by its last id.
    for (const subscriber of [...subscribers]) if (message.id > subscriber.last) subscriber.deliver(batch, json);
  }

  /** Handles the bus's HTTP routes; returns false for any other path. */
  handleRequest(req: IncomingMessage, res: ServerResponse): boolean {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/longpolling/health' || path === '/websocket/health') {
      sendJson(res, 200, { status: 'pass', pid: process.pid, rss: process.memoryUsage.rss(), ...this.stats() });
      return true;
    }
    if (path === '/longpolling/poll') {
      if (req.method !== 'POST') {
        res.setHeader('allow', 'POST');
        sendJson(res, 405, { error: 'POST {channels, last} to /longpolling/poll' });
        return true;
      }
      this.poll(req, res);
      return true;
    }
    return false;
  }

  /** Takes over an upgrade request for /websocket; returns false for any other path. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    if ((req.url ?? '/').split('?')[0] !== '/websocket') return false;
    this.wss.handleUpgrade(req, socket, head, (ws) => this.attach(ws));
    return true;
  }

  /** Before a restart: answer every long poll now and close every websocket (clients resume by id). */
  closeAll(): void {
    this.closing = true;
    for (const subscribers of this.byChannel.values()) for (const s of [...subscribers]) s.deliver([]);
    for (const ws of this.sockets) ws.close(1012, 'service restart');
  }

  private subscribe(subscriber: Subscriber): void {
    for (const channel of subscriber.channels) {
      let set = this.byChannel.get(channel);
      if (!set) this.byChannel.set(channel, (set = new Set()));
      set.add(subscriber);
    }
  }

  private unsubscribe(subscriber: Subscriber): void {
    for (const channel of subscriber.channels) {
      const set = this.byChannel.get(channel);
      if (!set) continue;
      set.delete(subscriber);
      if (set.size === 0) this.byChannel.delete(channel);
    }
  }

  private poll(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_POLL_BODY) {
        sendJson(res, 413, { error: `the poll body is limited to ${MAX_POLL_BODY} bytes` });
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (res.writableEnded) return;
      let subscription: ReturnType<typeof parseSubscription>;
      try {
        subscription = parseSubscription(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'));
      } catch (error) {
        sendJson(res, 400, { error: error instanceof SyntaxError ? 'the body must be JSON' : (error as Error).message });
        return;
      }
      // Through the master's tunnel on http_port, the connection ends with the poll (so the client's
      // next request returns to the master); direct clients keep theirs alive.
      const close = req.headers['x-odoo-prefork-tunnel'] !== undefined;
      const answer = (messages: BusMessage[], json = JSON.stringify(messages)) =>
        sendText(res, 200, subscription.jsonRpc ? `{"jsonrpc":"2.0","id":${JSON.stringify(subscription.rpcId)},"result":${json}}` : json, close);
      const backlog = this.log.since(subscription.last, subscription.channels);
      if (backlog.length > 0 || this.closing) {
        answer(backlog);
        return;
      }
      this.pollers += 1;
      let done = false;
      const subscriber: Subscriber = {
        channels: subscription.channels,
        last: subscription.last,
        deliver: (messages, json) => finish(messages, json),
      };
      const timer = setTimeout(() => finish([]), this.options.pollTimeoutMs);
      const finish = (messages: BusMessage[], json?: string) => {
        if (done) return;
        done = true;
        this.pollers -= 1;
        clearTimeout(timer);
        this.unsubscribe(subscriber);
        if (!res.destroyed) answer(messages, json);
      };
      res.on('close', () => finish([]));
      this.subscribe(subscriber);
    });
  }

  private attach(ws: WebSocket): void {
    this.sockets.add(ws);
    let subscriber: Subscriber | undefined;
    const send = (messages: BusMessage[], json?: string) => {
      if (messages.length === 0 || ws.readyState !== ws.OPEN) return;
      if (subscriber) subscriber.last = Math.max(subscriber.last, (messages.at(-1) as BusMessage).id);
      ws.send(json ?? JSON.stringify(messages));
    };
    ws.on('message', (data) => {
      try {
        onMessage(data);
      } catch (error) {
        // One bad client must never take the worker (or the threaded server) down.
        this.options.logger.warn({ err: error }, 'websocket: closing a client after an unexpected error');
        ws.close(1011, 'internal error');
      }
    });
    const onMessage = (data: import('ws').RawData) => {
      let request: { event_name?: unknown; data?: unknown } | null;
      try {
        request = JSON.parse(data.toString()) as typeof request;
      } catch {
        ws.close(1003, 'messages must be JSON');
        return;
      }
      if (typeof request !== 'object' || request === null || Array.isArray(request)) {
        ws.close(1008, 'send {"event_name": "subscribe", "data": {"channels": [...], "last": N}}');
        return;
      }
      // Other events (Odoo's update_presence…) are none of the bus's business: ignored, as Odoo does.
      if (request.event_name !== 'subscribe') return;
      let subscription: ReturnType<typeof parseSubscription>;
      try {
        subscription = parseSubscription(request.data);
      } catch (error) {
        ws.close(1008, (error as Error).message.slice(0, 120));
        return;
      }
      if (subscriber) this.unsubscribe(subscriber);
      subscriber = { channels: subscription.channels, last: subscription.last, deliver: send };
      // Missed messages first, then live ones: nothing can slip in between (same tick).
      send(this.log.since(subscription.last, subscription.channels));
      this.subscribe(subscriber);
    };
    ws.on('close', () => {
      this.sockets.delete(ws);
      if (subscriber) this.unsubscribe(subscriber);
    });
    ws.on('error', (error) => this.options.logger.debug({ err: error }, 'websocket error'));
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown, close = false): void {
  sendText(res, status, JSON.stringify(body), close);
}

function sendText(res: ServerResponse, status: number, text: string, close: boolean): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...(close ? { connection: 'close' } : {}),
  });
  res.end(text);
}

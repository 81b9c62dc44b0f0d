/**
 * The long-polling worker (Odoo's gevent process): one event-driven process on gevent_port that
 * holds the long polls and websockets of every client, fed with bus messages by the master. It
 * loads no app code: it only serves the bus.
 */
import http from 'node:http';
import type { Settings } from '../config/settings.js';
import { BusHub } from '../bus/hub.js';
import type { Logger } from '../observability/logger.js';

/** The header the master adds to what it tunnels (see master/http-front.ts, markTunnelled). */
const TUNNEL_HEADER_LOWER = 'x-odoo-prefork-tunnel';

export class LongpollingWorker {
  readonly hub: BusHub;
  private readonly server: http.Server;

  constructor(
    private readonly settings: Settings,
    private readonly logger: Logger,
  ) {
    this.hub = new BusHub({ retentionMs: settings.bus_retention * 1000, pollTimeoutMs: settings.longpolling_timeout * 1000, logger });
    this.server = http.createServer((req, res) => {
      // Through the master's tunnel on http_port, every answer ends the connection, so the
      // client's next request on it goes back to the master (and to an HTTP worker).
      if (req.headers[TUNNEL_HEADER_LOWER] !== undefined) res.setHeader('connection', 'close');
      if (this.hub.handleRequest(req, res)) return;
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
      res.end('404 Not Found: the long-polling port serves /longpolling/poll, /websocket and their /health\n');
    });
    this.server.on('upgrade', (req, socket, head) => {
      if (!this.hub.handleUpgrade(req, socket, head)) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      }
    });
    // Messages older than bus_retention go even when nothing new arrives (their memory with them).
    setInterval(() => this.hub.log.trim(Date.now()), 5_000).unref();
    // Long polls wait up to longpolling_timeout: node:http must not cut them first.
    this.server.requestTimeout = 0;
    this.server.headersTimeout = 60_000;
    this.server.keepAliveTimeout = 5_000;
  }

  /** Binds gevent_port itself (exclusive: not through node:cluster's shared handle). */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(
        { port: this.settings.gevent_port, ...(this.settings.http_interface ? { host: this.settings.http_interface } : {}), exclusive: true },
        () => {
          this.server.off('error', reject);
          resolve((this.server.address() as { port: number }).port);
        },
      );
    });
  }

  /** Stops listening and lets every client go (they resume by id on the next worker). */
  close(callback: () => void): void {
    this.server.close();
    this.hub.closeAll();
    this.server.closeIdleConnections();
    // Websocket close handshakes get a moment; then whatever is left is cut.
    setTimeout(() => {
      this.server.closeAllConnections();
      callback();
    }, 200).unref();
  }
}

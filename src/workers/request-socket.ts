/**
 * The socket an app sees for one request: a Duplex fed with the raw request bytes the master
 * forwards, whose writes become response frames on the data channel. node:http's server is given
 * one of these per request (`server.emit('connection', socket)`), so the app gets a genuine
 * IncomingMessage / ServerResponse pair and req.socket.remoteAddress is the real client.
 */
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { FrameType, writeFrame, type ClientAddress } from '../ipc/frames.js';

export class RequestSocket extends Duplex {
  remoteAddress = '';
  remotePort = 0;
  remoteFamily = 'IPv4';
  localAddress = '';
  localPort = 0;

  constructor(
    public requestId: number,
    private readonly channel: Socket,
    client: ClientAddress,
    /** Called when the reader wants more bytes (undo back-pressure on the channel). */
    private readonly onReadWanted: () => void,
  ) {
    super();
    this.reset(requestId, client);
  }

  /** The next request on this socket: its id for the response frames, its client for the app. */
  reset(requestId: number, client: ClientAddress): void {
    this.requestId = requestId;
    this.remoteAddress = client.remoteAddress;
    this.remotePort = client.remotePort;
    this.remoteFamily = client.remoteAddress.includes(':') ? 'IPv6' : 'IPv4';
    this.localAddress = client.localAddress;
    this.localPort = client.localPort;
  }

  override _read(): void {
    this.onReadWanted();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.send(chunk, callback);
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    this.send(chunks.length === 1 ? (chunks[0] as { chunk: Buffer }).chunk : Buffer.concat(chunks.map((c) => c.chunk)), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    callback();
    // node:http ends the socket when it closes the connection — also after answers it writes on
    // its own (400 for a request without Host, 417 for an unknown Expect), which never reach the
    // 'request' event. Closing here is what tells the worker that the response is complete.
    setImmediate(() => this.destroy());
  }

  private send(chunk: Buffer, callback: (error?: Error | null) => void): void {
    this.coalesce();
    if (writeFrame(this.channel, FrameType.ResponseData, this.requestId, chunk)) callback();
    else this.channel.once('drain', () => callback());
  }

  private corked = false;

  /**
   * Holds the channel's writes until the end of this turn of the event loop, so a small response
   * and its ResponseEnd frame leave in one system call. A streamed response is still sent every
   * loop turn: nothing is held longer than that.
   */
  coalesce(): void {
    if (this.corked) return;
    this.corked = true;
    this.channel.cork();
    setImmediate(() => {
      this.corked = false;
      this.channel.uncork();
    });
  }

  // net.Socket methods node:http may call; timeouts are the master's business here.
  setTimeout(): this {
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
  address(): { address: string; family: string; port: number } {
    return { address: this.localAddress, family: this.remoteFamily, port: this.localPort };
  }
}

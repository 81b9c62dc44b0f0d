/**
 * How app code publishes on the bus: `import { bus } from 'odoo-prefork/runtime'`, then
 * `bus.publish('chat', { from, text })` — in an HTTP worker, a cron job (also `ctx.bus`), or the
 * threaded server alike. The runtime of the process decides where the message goes (to the master,
 * which numbers it and relays it to the long-polling worker; or straight to the in-process hub).
 */

export interface Bus {
  /** Publishes `message` (any JSON value) on `channel`. Returns at once; delivery is asynchronous. */
  publish(channel: string, message: unknown): void;
}

export type BusTransport = (channel: string, message: unknown) => void;

const KEY = Symbol.for('odoo-prefork.bus-transport');
const MAX_MESSAGE_BYTES = 256 * 1024;

interface Holder {
  [KEY]?: BusTransport;
}

export function setBusTransport(transport: BusTransport): void {
  (globalThis as Holder)[KEY] = transport;
}

export class BusPublishError extends Error {}

export const bus: Bus = {
  publish(channel: string, message: unknown): void {
    if (typeof channel !== 'string' || channel === '' || channel.length > 256) {
      throw new BusPublishError('bus.publish: the channel must be a non-empty string of at most 256 characters');
    }
    const text = JSON.stringify(message);
    if (text === undefined) throw new BusPublishError('bus.publish: the message must be a JSON value');
    if (Buffer.byteLength(text) > MAX_MESSAGE_BYTES) throw new BusPublishError(`bus.publish: the message is larger than ${MAX_MESSAGE_BYTES} bytes`);
    const transport = (globalThis as Holder)[KEY];
    if (!transport) throw new BusPublishError('bus.publish: the bus exists only in a process run by odoo-prefork');
    transport(channel, message);
  },
};

/**
 * Responses the master writes itself, when no worker answers. Each names its reason in the
 * X-Odoo-Prefork-Reason header, so a client (or a benchmark) can tell a queue overflow from a
 * crash from a time limit without parsing the body.
 */
import { STATUS_CODES } from 'node:http';

export const REASON_HEADER = 'X-Odoo-Prefork-Reason';

/** Why the master answered instead of a worker; values of the X-Odoo-Prefork-Reason header. */
export type MasterResponseReason =
  | 'bad-request'
  | 'header-too-large'
  | 'headers-timeout'
  | 'http-version'
  | 'method-unsupported'
  | 'upgrade-unsupported'
  | 'wrong-port'
  | 'longpolling-unavailable'
  | 'queue-full'
  | 'queue-timeout'
  | 'shutting-down'
  | 'no-worker'
  | 'worker-crash'
  | 'real-time'
  | 'cpu'
  | 'hard-memory';

export interface MasterResponse {
  status: number;
  reason: MasterResponseReason;
  message: string;
  retryAfterSeconds?: number;
}

export function renderMasterResponse(response: MasterResponse, headRequest: boolean): Buffer {
  const body = `${response.status} ${STATUS_CODES[response.status] ?? ''}: ${response.message}\n`;
  const lines = [
    `HTTP/1.1 ${response.status} ${STATUS_CODES[response.status] ?? 'Error'}`,
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    `${REASON_HEADER}: ${response.reason}`,
    'Connection: close',
  ];
  if (response.retryAfterSeconds !== undefined) lines.push(`Retry-After: ${response.retryAfterSeconds}`);
  const head = `${lines.join('\r\n')}\r\n\r\n`;
  return Buffer.from(headRequest ? head : head + body, 'utf8');
}

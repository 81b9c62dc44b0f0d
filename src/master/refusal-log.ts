/**
 * Requests the master answers itself (queue full, timeouts, crashes, limits) are logged once when a
 * burst starts, then summed up every 10 s while it lasts: a full queue must be visible without one
 * log line per refused request.
 */
import type { Logger } from '../observability/logger.js';
import type { MasterResponse } from './responses.js';

const SUMMARY_MS = 10_000;

export class RefusalLog {
  private readonly counts = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly logger: Logger) {}

  count(response: MasterResponse): void {
    const key = `${response.status} ${response.reason}`;
    if (this.counts.size === 0 && !this.timer) {
      this.logger.warn({ status: response.status, reason: response.reason }, `answering ${key}: ${response.message} (further answers of the master are summed up every 10 s)`);
      this.arm();
      return;
    }
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  /** Logs what was counted; `rearm` false when the server stops. */
  flush(rearm = true): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.counts.size === 0) return;
    const total = [...this.counts.values()].reduce((a, b) => a + b, 0);
    this.logger.warn(
      { refused: Object.fromEntries(this.counts), total },
      `the master answered ${total} more requests itself in the last 10 s: ${[...this.counts].map(([k, n]) => `${k} × ${n}`).join(', ')}`,
    );
    this.counts.clear();
    if (rearm) this.arm();
  }

  private arm(): void {
    this.timer = setTimeout(() => this.flush(), SUMMARY_MS);
    this.timer.unref();
  }
}

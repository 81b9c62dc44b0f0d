/**
 * The master's half of the bus: it numbers every published message, keeps the retention window
 * (the source of truth, replayed to each new long-polling worker) and trims it as time passes.
 */
import { BusLog, busIdGenerator, type BusMessage } from '../bus/bus-log.js';

export class BusRelay {
  private readonly log: BusLog;
  private readonly nextId = busIdGenerator();

  constructor(retentionMs: number) {
    this.log = new BusLog(retentionMs);
    // Old messages go even when nothing new is published (their memory with them).
    setInterval(() => this.log.trim(Date.now()), 5_000).unref();
  }

  /** Numbers and keeps a message; returns it, ready to relay. */
  publish(channel: string, message: unknown): BusMessage {
    const entry: BusMessage = { id: this.nextId(), channel, message, time: Date.now() };
    this.log.append(entry);
    return entry;
  }

  /** The current retention window, oldest first (for a long-polling worker that just started). */
  window(): BusMessage[] {
    this.log.trim(Date.now());
    return this.log.all();
  }

  stats(): { retained: number; lastId: number } {
    return { retained: this.log.size, lastId: this.log.lastId };
  }
}

/**
 * The bus's retention window: messages in id order, kept for `retentionMs` (and at most
 * `maxMessages`), so a client that reconnects with the last id it saw receives what it missed.
 * Pure data structure; the master keeps one (the source of truth, replayed to a restarted
 * long-polling worker) and the long-polling worker keeps its copy.
 */

export interface BusMessage {
  /** Monotonic, also across restarts of the master (see nextBusId). */
  id: number;
  channel: string;
  message: unknown;
  /** When it was published, ms since the epoch. */
  time: number;
}

export const MAX_RETAINED_MESSAGES = 10_000;
/** The window is also bounded by the size of its messages (JSON), so it never outgrows the workers. */
export const MAX_RETAINED_BYTES = 64 * 1024 * 1024;

export class BusLog {
  private messages: BusMessage[] = [];
  private sizes: number[] = [];
  private bytes = 0;

  constructor(
    private readonly retentionMs: number,
    private readonly maxMessages = MAX_RETAINED_MESSAGES,
    private readonly maxBytes = MAX_RETAINED_BYTES,
  ) {}

  get retainedBytes(): number {
    return this.bytes;
  }

  get size(): number {
    return this.messages.length;
  }

  get lastId(): number {
    return this.messages.at(-1)?.id ?? 0;
  }

  /** Adds a message; ids must grow (older or repeated ids are ignored: replays are idempotent). */
  append(message: BusMessage): boolean {
    if (message.id <= this.lastId) return false;
    const size = JSON.stringify(message.message)?.length ?? 0;
    this.messages.push(message);
    this.sizes.push(size);
    this.bytes += size;
    this.trim(message.time);
    return true;
  }

  /** Messages after `last` on any of `channels`, oldest first. */
  since(last: number, channels: ReadonlySet<string>): BusMessage[] {
    // Ids only grow: find the first newer message by binary search, then filter by channel.
    let low = 0;
    let high = this.messages.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.messages[mid] as BusMessage).id <= last) low = mid + 1;
      else high = mid;
    }
    const out: BusMessage[] = [];
    for (let i = low; i < this.messages.length; i++) {
      const m = this.messages[i] as BusMessage;
      if (channels.has(m.channel)) out.push(m);
    }
    return out;
  }

  all(): BusMessage[] {
    return [...this.messages];
  }

  trim(now: number): void {
    const cutoff = now - this.retentionMs;
    let drop = 0;
    let bytes = this.bytes;
    while (
      drop < this.messages.length &&
      ((this.messages[drop] as BusMessage).time < cutoff || this.messages.length - drop > this.maxMessages || bytes > this.maxBytes)
    ) {
      bytes -= this.sizes[drop] as number;
      drop++;
    }
    if (drop === 0) return;
    this.messages = this.messages.slice(drop);
    this.sizes = this.sizes.slice(drop);
    this.bytes = bytes;
  }
}

/**
 * Bus ids start from the clock in microseconds and grow by one per message: monotonic within a
 * run, and a restarted master starts above every id it gave before (unless it published more
 * than a million messages a second on average).
 */
export function busIdGenerator(now: () => number = Date.now): () => number {
  let last = 0;
  return () => {
    last = Math.max(last + 1, now() * 1000);
    return last;
  };
}

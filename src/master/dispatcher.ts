/**
 * The dispatch policy, without any I/O (the shape of node:cluster's round-robin handle): a FIFO of
 * waiting requests and a FIFO of idle workers. A request goes to the worker that has been idle the
 * longest; a worker that becomes free takes the oldest waiting request. The queue is bounded and
 * a request may wait only so long — beyond either, the caller answers 503.
 */

export interface QueuePolicy {
  /** Requests that may wait; 0 means no bound. */
  maxQueued: number;
  /** Milliseconds a request may wait; 0 means no limit. */
  maxWaitMs: number;
}

export type SubmitOutcome<W> = { outcome: 'dispatch'; worker: W } | { outcome: 'queued' } | { outcome: 'rejected' };

export class Dispatcher<J, W> {
  // Sets keep insertion order and delete in O(1): a FIFO that also supports cancelling.
  private readonly waiting = new Map<J, number>();
  private readonly idle = new Set<W>();

  constructor(private readonly policy: QueuePolicy) {}

  get queued(): number {
    return this.waiting.size;
  }

  get idleWorkers(): number {
    return this.idle.size;
  }

  /** A new request: straight to an idle worker, else into the queue if there is room. */
  submit(job: J, now: number): SubmitOutcome<W> {
    const worker = this.takeIdle();
    if (worker !== undefined) return { outcome: 'dispatch', worker };
    if (this.policy.maxQueued > 0 && this.waiting.size >= this.policy.maxQueued) return { outcome: 'rejected' };
    this.waiting.set(job, now);
    return { outcome: 'queued' };
  }

  /** A worker is ready for work: returns the request it should take now, if any. */
  release(worker: W): J | undefined {
    const next = this.waiting.keys().next();
    if (!next.done) {
      this.waiting.delete(next.value);
      return next.value;
    }
    this.idle.add(worker);
    return undefined;
  }

  /** Takes an idle worker out of rotation (it is stopping or gone). */
  forget(worker: W): boolean {
    return this.idle.delete(worker);
  }

  /** Removes a waiting request (its client went away). */
  cancel(job: J): boolean {
    return this.waiting.delete(job);
  }

  /** Removes and returns every request that has waited longer than the policy allows. */
  expire(now: number): J[] {
    if (this.policy.maxWaitMs <= 0) return [];
    const expired: J[] = [];
    for (const [job, queuedAt] of this.waiting) {
      if (now - queuedAt < this.policy.maxWaitMs) break; // FIFO: the rest are younger
      expired.push(job);
    }
    for (const job of expired) this.waiting.delete(job);
    return expired;
  }

  /** When the oldest waiting request will expire (ms since epoch), for arming one timer. */
  nextExpiry(): number | undefined {
    if (this.policy.maxWaitMs <= 0) return undefined;
    const first = this.waiting.values().next();
    return first.done ? undefined : first.value + this.policy.maxWaitMs;
  }

  /** Every waiting request, oldest first, removing them (used when the server stops hard). */
  drain(): J[] {
    const all = [...this.waiting.keys()];
    this.waiting.clear();
    return all;
  }

  private takeIdle(): W | undefined {
    const first = this.idle.values().next();
    if (first.done) return undefined;
    this.idle.delete(first.value);
    return first.value;
  }
}

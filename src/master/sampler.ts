/**
 * The master's view of every worker's RSS and CPU time, read from /proc with pidusage every
 * limit_check_interval (the next round starts one interval after the previous one began). What the
 * numbers mean is decided elsewhere (limits/policy.ts, via the callback).
 */
import pidusage from 'pidusage';

export interface SampleTarget {
  pid: number;
}

export class Sampler<T extends SampleTarget> {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly intervalMs: number,
    /** The workers to sample this round. */
    private readonly targets: () => T[],
    private readonly onSample: (target: T, rss: number, cpuMs: number) => void,
  ) {}

  start(): void {
    this.schedule(this.intervalMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(delay: number): void {
    this.timer = setTimeout(() => {
      const started = Date.now();
      void this.round().finally(() => {
        if (!this.stopped) this.schedule(Math.max(0, this.intervalMs - (Date.now() - started)));
      });
    }, delay);
  }

  private async round(): Promise<void> {
    const targets = this.targets();
    const stats = await Promise.allSettled(targets.map((t) => pidusage(t.pid)));
    stats.forEach((result, i) => {
      // A worker that exited between listing and reading simply has no sample.
      if (result.status === 'fulfilled') this.onSample(targets[i] as T, result.value.memory, result.value.ctime);
    });
  }
}

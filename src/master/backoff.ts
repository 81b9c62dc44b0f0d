/**
 * Crash-loop protection, per worker kind. A worker that dies before it was ready, or soon after
 * without having been given any work, counts as a failed start: the app cannot even idle.
 * Consecutive failed starts delay the next spawn exponentially, with jitter so a pool of crashing
 * workers does not respawn in lock-step. A worker that completes some work resets the count — a
 * crash while serving a request is the request's fault, not a crash loop, and is replaced at once.
 */

export interface BackoffPolicy {
  /** A worker that lived less than this died "soon after starting". */
  minUptimeMs: number;
  /** Delay after the second consecutive failed start; doubles with each further one. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** ± fraction of the delay drawn at random. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { minUptimeMs: 2_000, baseDelayMs: 250, maxDelayMs: 15_000, jitter: 0.2 };

export class CrashBackoff {
  private failures = 0;

  constructor(private readonly policy: BackoffPolicy = DEFAULT_BACKOFF) {}

  /** Consecutive failed starts. */
  get consecutiveFailures(): number {
    return this.failures;
  }

  /** True while workers of this kind keep dying young: the server is degraded. */
  get degraded(): boolean {
    return this.failures >= 2;
  }

  /** A worker died without being asked to. */
  recordExit(facts: { uptimeMs: number; becameReady: boolean; tookWork: boolean }): void {
    const failedStart = !facts.becameReady || (!facts.tookWork && facts.uptimeMs < this.policy.minUptimeMs);
    if (failedStart) this.failures += 1;
    else this.failures = 0;
  }

  recordHealthy(): void {
    this.failures = 0;
  }

  /** How long to wait before the next spawn of this kind. The first failure respawns at once. */
  delayMs(random: () => number = Math.random): number {
    if (this.failures < 2) return 0;
    const raw = Math.min(this.policy.maxDelayMs, this.policy.baseDelayMs * 2 ** (this.failures - 2));
    const spread = raw * this.policy.jitter;
    return Math.round(raw - spread + random() * 2 * spread);
  }
}

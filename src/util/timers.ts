/**
 * Node timers hold at most 2^31 − 1 ms (24.8 days); a longer delay fires after 1 ms instead, with a
 * warning. Every delay derived from a setting goes through clampDelay; callers that must wait
 * longer check the time again when the timer fires.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export function clampDelay(ms: number): number {
  return Math.min(Math.max(0, ms), MAX_TIMER_MS);
}

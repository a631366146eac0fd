/**
 * What the API guards of one process did, cumulative since it started: 429s reported, and
 * the waits for permits as a histogram. Worker processes send them to the supervisor, which
 * sums them into `tasklane_api_throttled_total` and `tasklane_api_limiter_wait_seconds`.
 */

/**
 * Upper bounds (seconds) of the limiter-wait histogram.
 *
 * @example
 * LIMITER_WAIT_BUCKETS.length // one count per bound in GuardCounts.waitBuckets, plus +Inf
 */
export const LIMITER_WAIT_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5] as const;

/** Cumulative counts; `waitBuckets[i]` counts waits up to LIMITER_WAIT_BUCKETS[i] (not cumulative across buckets), the last one the rest. */
export interface GuardCounts {
  throttled: number;
  waitBuckets: number[];
  waitSumSeconds: number;
  waitCount: number;
}

/**
 * All zero.
 *
 * @example
 * const counts = emptyGuardCounts(); observeWait(counts, 12);
 */
export function emptyGuardCounts(): GuardCounts {
  return { throttled: 0, waitBuckets: new Array<number>(LIMITER_WAIT_BUCKETS.length + 1).fill(0), waitSumSeconds: 0, waitCount: 0 };
}

/**
 * Counts one wait for a permit.
 *
 * @example
 * guard.on('permit:granted', ({ waitedMs }) => observeWait(counts, waitedMs));
 */
export function observeWait(counts: GuardCounts, waitedMs: number): void {
  const seconds = Math.max(0, waitedMs) / 1000;
  const at = LIMITER_WAIT_BUCKETS.findIndex((bound) => seconds <= bound);
  counts.waitBuckets[at < 0 ? LIMITER_WAIT_BUCKETS.length : at]! += 1;
  counts.waitSumSeconds += seconds;
  counts.waitCount += 1;
}

/**
 * `a` plus `b`, in a new object (`b` may be missing).
 *
 * @example
 * const total = workers.reduce((sum, w) => addGuardCounts(sum, w.guard), emptyGuardCounts());
 */
export function addGuardCounts(a: Readonly<GuardCounts>, b: Readonly<GuardCounts> | null | undefined): GuardCounts {
  if (!b) return { ...a, waitBuckets: [...a.waitBuckets] };
  return {
    throttled: a.throttled + b.throttled,
    waitBuckets: a.waitBuckets.map((n, i) => n + (b.waitBuckets[i] ?? 0)),
    waitSumSeconds: a.waitSumSeconds + b.waitSumSeconds,
    waitCount: a.waitCount + b.waitCount,
  };
}

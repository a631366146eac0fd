/** Exponential backoff with full jitter, in ms. */
export interface BackoffOptions {
  /** Delay scale for the first retry. Default 1000. */
  baseMs?: number;
  /** Upper bound of any delay. Default 1 h. */
  maxMs?: number;
}

/**
 * Delay before retry number `attempt` (1-based): uniform in [d/2, d] where d = base·2^(attempt−1), capped.
 * Half the delay is fixed so a retry is never immediate; the random half spreads a burst of failures.
 *
 * @example
 * backoffDelay(3, { baseMs: 100 }) // somewhere in 200..400
 */
export function backoffDelay(attempt: number, { baseMs = 1000, maxMs = 3_600_000 }: BackoffOptions = {}, random = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

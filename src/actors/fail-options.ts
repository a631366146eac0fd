import { NonRetryableError } from '../infra/errors.js';
import type { FailOptions } from '../infra/types.js';

/** The store refuses retry delays beyond a year; a larger hint is clamped rather than lost. */
const MAX_RETRY_IN_MS = 365 * 24 * 3_600_000;

/**
 * How a handler's error should be recorded:
 * - a NonRetryableError, or any error with `retryable === false`, dead-letters at once;
 * - an error with a numeric `retryAfterMs` (say, from a 429's Retry-After) sets the retry delay;
 * - anything else gets the store's default backoff.
 *
 * @example
 * failOptionsFor(Object.assign(new Error('429'), { retryAfterMs: 2000 })) // { retryInMs: 2000 }
 */
export function failOptionsFor(error: Error): FailOptions {
  const hints = error as Error & { retryable?: unknown; retryAfterMs?: unknown };
  if (error instanceof NonRetryableError || hints.retryable === false) return { retryable: false };
  const after = hints.retryAfterMs;
  if (typeof after === 'number' && Number.isFinite(after) && after >= 0) {
    return { retryInMs: Math.min(Math.ceil(after), MAX_RETRY_IN_MS) };
  }
  return {};
}

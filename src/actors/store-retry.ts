import { ErrorCode, TasklaneError } from '../infra/errors.js';

/** Retries of one outcome report before giving up on it; the lease expiry requeues the task then. */
export const REPORT_RETRIES = 4;
/** First delay between report retries; doubles each time (100, 200, 400, 800 ms). */
export const REPORT_RETRY_BASE_MS = 100;

/** Codes no retry can fix: bad input stays bad, a closed queue stays closed. */
const PERMANENT = new Set<string>([ErrorCode.InvalidInput, ErrorCode.InvalidOption, ErrorCode.Closed]);

/**
 * True when retrying the same store call cannot succeed.
 *
 * @example
 * isPermanentStoreError(new ClosedError()) // true
 */
export function isPermanentStoreError(error: unknown): boolean {
  return error instanceof TasklaneError && PERMANENT.has(error.code);
}

/**
 * Runs a store call, retrying transient failures (a Redis blip) with doubling delays.
 * `onError` sees every failure, including the last, which is then thrown.
 *
 * @example
 * const ok = await withRetries(() => store.release(lease), (err) => log.warn({ err }));
 */
export async function withRetries<T>(call: () => Promise<T>, onError: (error: unknown) => void, retries = REPORT_RETRIES): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      onError(error);
      if (attempt >= retries || isPermanentStoreError(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, REPORT_RETRY_BASE_MS * 2 ** attempt));
    }
  }
}

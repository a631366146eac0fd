/**
 * Reads the API guards' shared state from Redis, for `tasklane api`, /overview and the
 * breaker metric. Any process on the queue's Redis can read it; no guard needs to run here.
 */
import { ApiGuard, type GuardState } from './guard.js';
import type { TaskQueue } from '../task-queue.js';
import { TIMED_OUT, within } from '../within.js';

/** A read that Redis has not answered in this long is left out rather than stalling a scrape. */
const READ_TIMEOUT_MS = 2000;

/** A guard's state as read from outside: the limits themselves live in the workers' flags, not in Redis. */
export type ReadGuardState = Omit<GuardState, 'rate'> & { callsLastSecond: number };

/**
 * The state of each scope's guard; scopes whose read fails or times out are left out.
 *
 * @example
 * const [http] = await readGuardStates(queue, ['http']); http.breaker.state // 'closed'
 */
export async function readGuardStates(queue: TaskQueue, scopes: readonly string[]): Promise<ReadGuardState[]> {
  const reads = scopes.map(async (scope) => {
    // A one-second "rate" only makes the script count the calls of the last second.
    const read = new ApiGuard({ redis: queue.redis, queue: queue.name, scope, rate: { limit: 1, periodMs: 1000 } }).state().catch(() => null);
    const state = await within(read, READ_TIMEOUT_MS);
    if (state === null || state === TIMED_OUT) return null;
    const { rate, ...rest } = state;
    return { ...rest, callsLastSecond: rate?.callsInPeriod ?? 0 };
  });
  return (await Promise.all(reads)).filter((s): s is ReadGuardState => s !== null);
}

/**
 * Forces the breaker of `scope` for every worker of the queue.
 *
 * @example
 * await forceBreaker(queue, 'http', 'open');
 */
export async function forceBreaker(queue: TaskQueue, scope: string, mode: 'open' | 'closed' | 'auto'): Promise<void> {
  await new ApiGuard({ redis: queue.redis, queue: queue.name, scope }).force(mode);
}

import { Attempt } from './attempt.js';
import type { ResolvedActorOptions } from './options.js';
import type { LeaseStore } from './types.js';

/** Stops a guard; safe to call more than once. */
export type Disarm = () => void;

/** Longest pause before retrying a heartbeat that failed with a store error. */
export const HEARTBEAT_RETRY_MS = 1000;

/**
 * The lane's watchdog for one attempt: a deadline on the short lane (the task's
 * `timeoutMs`, else `defaultTimeoutMs`), heartbeats on the long lane.
 *
 * @example
 * const disarm = armLaneGuard(attempt, options, onStoreError);
 * try { await attempt.run(handler, () => log); } finally { disarm(); }
 */
export function armLaneGuard(attempt: Attempt, options: ResolvedActorOptions, onStoreError: (error: unknown) => void): Disarm {
  if (options.lane === 'short') {
    const { timeoutMs } = attempt.lease;
    return armDeadline(attempt, timeoutMs > 0 ? timeoutMs : options.defaultTimeoutMs);
  }
  return armHeartbeats(attempt, options.store, options.heartbeatEveryMs, onStoreError);
}

/**
 * Short lane: ends the attempt as a retryable TaskTimeoutError once `timeoutMs` passes.
 *
 * @example
 * const disarm = armDeadline(attempt, 5000);
 * try { await attempt.run(handler, () => log); } finally { disarm(); }
 */
export function armDeadline(attempt: Attempt, timeoutMs: number): Disarm {
  const timer = setTimeout(() => attempt.end(Attempt.timedOut(timeoutMs)), timeoutMs);
  return () => clearTimeout(timer);
}

/**
 * Long lane: renews the lease every `everyMs` until disarmed. A `false` renewal means
 * the lease is gone (it lapsed, e.g. the event loop stalled past expiry, and another
 * worker may hold the task now), so the attempt ends as lost. A store error is not a
 * lost lease: it is reported and the renewal retried sooner, while the lease still runs.
 *
 * @example
 * const disarm = armHeartbeats(attempt, store, 10_000, (err) => log.warn({ err }));
 */
export function armHeartbeats(attempt: Attempt, store: LeaseStore, everyMs: number, onError: (error: unknown) => void): Disarm {
  let disarmed = false;
  let timer: NodeJS.Timeout | undefined;
  const schedule = (ms: number) => {
    if (!disarmed) timer = setTimeout(() => void beat(), ms);
  };
  // Each renewal is scheduled after the previous one answered, so they never overlap.
  const beat = async () => {
    let alive: boolean;
    try {
      alive = await store.heartbeat(attempt.lease);
    } catch (error) {
      if (disarmed) return;
      onError(error);
      schedule(Math.min(everyMs, HEARTBEAT_RETRY_MS));
      return;
    }
    if (disarmed) return;
    if (alive) schedule(everyMs);
    else attempt.end(Attempt.lost(attempt.lease));
  };
  schedule(everyMs);
  return () => {
    disarmed = true;
    clearTimeout(timer);
  };
}

/**
 * Runs one call to an external API under its ApiGuard: a permit before the call, the
 * outcome reported after it. Shared by the built-in `http` handler (one permit per request,
 * quick retries included) and by handlers-module types a `guards` export names.
 */
import { GuardWaitError, NonRetryableError, toError } from '../errors.js';
import type { HandlerContext, TaskHandler } from '../handler-types.js';
import type { Lease } from '../types.js';
import type { ApiGuard, CallOutcome } from './guard.js';

/** How a process uses one guard. */
export interface GuardUse {
  readonly guard: ApiGuard;
  /** Longest wait kept in-process (the task keeps its slot and place); longer ones give the task back. */
  readonly maxWaitMs: number;
  /** 429s a task may get before it is dead-lettered with TASKLANE_ERR_THROTTLED; 0 for no cap. */
  readonly maxThrottles: number;
  /** The queue-wide pause after a 429 without a usable Retry-After. */
  readonly defaultPauseMs: number;
  /** Short-lane deadline of tasks that set no `timeoutMs`: a wait must end well before it. */
  readonly taskTimeoutMs: number;
}

/** A wait is kept in-process only when it ends at least this long before the task's deadline. */
const DEADLINE_MARGIN_MS = 500;

/**
 * Acquires a permit, runs `call`, and settles the permit from the outcome: an answer or a
 * non-retryable error is `ok`, a retryable error `fail`, an error with `status: 429` is
 * `throttled` (pausing every worker for its `retryAfterMs`, and turned into a GuardWaitError
 * so the task waits in Redis, uncounted), an abort by the task's own signal `neutral`.
 * A probe (the breaker's one trial call) runs with a signal that times out at the guard's
 * `probeTimeoutMs`, and a probe that times out counts as failed.
 *
 * @example
 * const result = await withPermit(use, task, ctx.signal, (signal) => fetch(url, { signal }));
 */
export async function withPermit<T>(use: GuardUse, task: Lease, signal: AbortSignal, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const { guard } = use;
  const permit = await guard.acquire(signal, { maxWaitMs: waitBudget(use, task) });
  const probeMs = permit.probe ? guard.probeTimeoutMs : null;
  const callSignal = probeMs === null ? signal : AbortSignal.any([signal, AbortSignal.timeout(probeMs)]);
  let result: T;
  try {
    result = await call(callSignal);
  } catch (err) {
    const error = toError(err);
    // p-retry's AbortError (the http handler's "stop retrying") carries the real error inside.
    const answer = ((err as { originalError?: unknown } | null)?.originalError ?? err) as { status?: unknown; retryAfterMs?: unknown } | null;
    if (answer?.status === 429) {
      const after = answer.retryAfterMs;
      // `Retry-After: 0` is an answer ("now"): only a 429 without a usable one gets the default pause.
      const pauseMs = typeof after === 'number' && Number.isFinite(after) && after >= 0 ? after : use.defaultPauseMs;
      await guard.settle(permit, 'throttled', pauseMs);
      throw new GuardWaitError({ retryInMs: pauseMs, reason: 'throttled', scope: guard.scope, throttles: 1, maxThrottles: use.maxThrottles });
    }
    await guard.settle(permit, outcomeOf(answer instanceof Error ? answer : error, signal));
    throw err;
  }
  await guard.settle(permit, 'ok');
  return result;
}

/**
 * Wraps a handler so that each run holds one permit of the guard `use` returns.
 *
 * @example
 * const guardedResize = guardHandler(resize, () => guards.use('images'));
 */
export function guardHandler(handler: TaskHandler, use: () => GuardUse | null): TaskHandler {
  return (task: Lease, ctx: HandlerContext) => {
    const current = use();
    // No guard yet (the runtime attaches it once Redis is up): the call goes unguarded.
    if (!current) return handler(task, ctx);
    return withPermit(current, task, ctx.signal, (signal) => handler(task, signal === ctx.signal ? ctx : { ...ctx, signal }));
  };
}

/** What a failed call tells the breaker: only failures the API itself may be causing count. */
function outcomeOf(error: Error, signal: AbortSignal): CallOutcome {
  // The task's own signal says nothing certain about the API: a lost lease, a shutdown, or a
  // deadline that may have run out in a retry's backoff or waiting for a pooled connection, and
  // that every task of a claimed batch shares (so its timeouts come in bursts). The API's own
  // timeouts (undici's) and a probe's timeout (which leaves `signal` alone) are failures.
  if (signal.aborted) return 'neutral';
  const hints = error as Error & { retryable?: unknown };
  if (error instanceof NonRetryableError || hints.retryable === false || error instanceof GuardWaitError) return 'ok';
  return 'fail';
}

/** How long this task may wait in-process: the guard's bound, and never into its deadline. */
function waitBudget(use: GuardUse, task: Lease): number {
  if (task.lane !== 'short') return use.maxWaitMs;
  const deadline = task.claimedAt + (task.timeoutMs || use.taskTimeoutMs);
  return Math.max(0, Math.min(use.maxWaitMs, deadline - DEADLINE_MARGIN_MS - Date.now()));
}

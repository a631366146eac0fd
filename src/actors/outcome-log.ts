import { TaskTimeoutError, UnknownTaskTypeError } from '../infra/errors.js';
import type { Lease } from '../infra/types.js';
import type { Logger } from './types.js';

/**
 * One log line per task outcome, on the actor's logger (which binds `lane` and `owner`):
 *
 * | outcome | level | keys besides the bindings |
 * |---|---|---|
 * | completed | debug | taskId, type, attempt, durationMs |
 * | retrying (a timeout included) | info | taskId, type, attempt, delayMs, code, reason |
 * | dead letter | warn | taskId, type, attempt, maxAttempts, code, reason |
 * | lease lost | info | taskId, type, attempt |
 * | released at shutdown | debug | taskId, type, attempt |
 *
 * An unknown task type is logged at warn whatever became of the task: it needs an
 * operator (a missing handler, a typo in a producer), not patience.
 *
 * @example
 * const outcomes = new OutcomeLog(log);
 * outcomes.completed(lease, 12.5);
 */
export class OutcomeLog {
  readonly #log: Logger;

  constructor(log: Logger) {
    this.#log = log;
  }

  completed(lease: Lease, durationMs: number): void {
    // The hot path: at the default level (info) not even the line's object is built.
    if (!this.#enabled('debug')) return;
    this.#log.debug({ taskId: lease.id, type: lease.type, attempt: lease.attempt, durationMs: round(durationMs) }, 'task completed');
  }

  retrying(lease: Lease, error: Error, delayMs: number | undefined): void {
    const line: Record<string, unknown> = { taskId: lease.id, type: lease.type, attempt: lease.attempt };
    if (delayMs !== undefined) line.delayMs = delayMs;
    Object.assign(line, cause(error));
    if (error instanceof UnknownTaskTypeError) this.#log.warn(line, 'unknown task type; will be retried');
    else this.#log.info(line, error instanceof TaskTimeoutError ? 'task timed out; will be retried' : 'task failed; will be retried');
  }

  dead(lease: Lease, error: Error): void {
    const line = { taskId: lease.id, type: lease.type, attempt: lease.attempt, maxAttempts: lease.maxAttempts, ...cause(error) };
    this.#log.warn(line, error instanceof UnknownTaskTypeError ? 'unknown task type; dead-lettered' : 'task dead-lettered');
  }

  /** No handler here for the task's type: parked (released with a delay, attempt uncounted) within the grace. */
  parked(lease: Lease, delayMs: number, graceLeftMs: number): void {
    this.#log.warn({ taskId: lease.id, type: lease.type, attempt: lease.attempt, delayMs, graceLeftMs },
      `no handler here for task type \`${lease.type}\`; parked for ${delayMs} ms, waiting for a worker that handles it (dead-lettered once the grace is over)`);
  }

  lost(lease: Lease): void {
    this.#log.info({ taskId: lease.id, type: lease.type, attempt: lease.attempt }, 'lease lost; the outcome was discarded and the task is requeued');
  }

  released(lease: Lease): void {
    if (!this.#enabled('debug')) return;
    this.#log.debug({ taskId: lease.id, type: lease.type, attempt: lease.attempt }, 'released unfinished at shutdown');
  }

  #enabled(level: string): boolean {
    return this.#log.isLevelEnabled?.(level) ?? true;
  }
}

/** The error's stable code (its name when it has none) and its message, without the stack. */
function cause(error: Error): { code: string; reason: string } {
  const code = (error as { code?: unknown }).code;
  return { code: typeof code === 'string' ? code : error.name, reason: error.message };
}

/** Durations to the microsecond: performance.now() differences carry float noise. */
function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

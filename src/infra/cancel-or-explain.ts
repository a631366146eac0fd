import type { TaskState } from './types.js';

/** What a cancel came to: done, or the state the task was last seen in (null: no such task). */
export type CancelOutcome = { cancelled: true } | { cancelled: false; seen: TaskState | null };

/** The narrow part of TaskQueue a cancel needs. */
interface Cancellable {
  cancel(id: string): Promise<boolean>;
  get(id: string): Promise<{ state: TaskState } | null>;
}

const CANCELLABLE: ReadonlySet<TaskState> = new Set(['waiting', 'delayed']);

/**
 * Cancels `id`, or says why not. The cancel and the read that explains a refusal are two
 * commands: between them the task may have moved back to waiting or delayed (a retry's
 * backoff, a released lease, a dead letter replayed), so a cancellable state seen there
 * gets one more try rather than a refusal that contradicts it. A `seen` state that is still
 * cancellable means the task kept changing state meanwhile.
 *
 * @example
 * const outcome = await cancelOrExplain(queue, 'report:7');
 * if (!outcome.cancelled) console.log(outcome.seen ?? 'no such task');
 */
export async function cancelOrExplain(queue: Cancellable, id: string): Promise<CancelOutcome> {
  if (await queue.cancel(id)) return { cancelled: true };
  let task = await queue.get(id);
  if (task && CANCELLABLE.has(task.state)) {
    if (await queue.cancel(id)) return { cancelled: true };
    task = await queue.get(id);
  }
  return { cancelled: false, seen: task?.state ?? null };
}

/** Whether a task in `state` can still be cancelled. */
export function isCancellable(state: TaskState): boolean {
  return CANCELLABLE.has(state);
}

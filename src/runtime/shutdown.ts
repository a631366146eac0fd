import type { TaskQueue } from '../infra/task-queue.js';
import { TIMED_OUT, within } from '../infra/within.js';

export { TIMED_OUT, within } from '../infra/within.js';

/**
 * Closes a queue, and if Redis does not answer the QUIT in time, drops the connection
 * (only when the queue built it: a borrowed client is the caller's), so a shutdown during
 * a Redis outage still ends.
 *
 * @example
 * await closeQueue(queue, { ownsClient: true });
 */
export async function closeQueue(queue: TaskQueue, { ownsClient, ms = 2000 }: { ownsClient: boolean; ms?: number }): Promise<void> {
  const closing = queue.close().catch(() => undefined);
  // Never connected (or down): a QUIT would only wait in the offline queue for the bound.
  if (ownsClient && queue.redis.status !== 'ready') {
    queue.redis.disconnect();
    return;
  }
  if ((await within(closing, ms)) === TIMED_OUT && ownsClient) queue.redis.disconnect();
}

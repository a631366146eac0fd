import type { TaskQueue } from '../infra/task-queue.js';

/** Sentinel resolved by `within` when time ran out. */
export const TIMED_OUT = Symbol('timed out');

/**
 * Waits for `promise`, at most `ms`. Redis commands wait in ioredis's offline queue while
 * Redis is away, so every wait on Redis during shutdown needs a bound like this.
 *
 * @example
 * if ((await within(queue.releaseOwner(owner), 2000)) === TIMED_OUT) log.warn({}, 'Redis did not answer');
 */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

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

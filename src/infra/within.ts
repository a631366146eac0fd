/** Sentinel resolved by `within` when time ran out. */
export const TIMED_OUT = Symbol('timed out');

/**
 * Waits for `promise`, at most `ms`. Redis commands wait in ioredis's offline queue while
 * Redis is away (and forever on a connection that stays open but never answers), so
 * every wait on Redis during shutdown needs a bound like this.
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

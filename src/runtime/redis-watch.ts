import type { RedisClient } from '../infra/connection.js';
import type { Logger } from '../actors/types.js';

export interface RedisWatchOptions {
  /** The Redis to name in logs: a URL (password masked) or `cluster HOST:PORT,...` (see redisLabel). */
  label: string;
  log: Logger;
  /** Say that Redis is unreachable when it has not answered by then. Default 3 s. */
  startupTimeoutMs?: number;
  /** While Redis stays unreachable, repeat the error this often. Default 30 s. */
  repeatEveryMs?: number;
  onDown?: (reason: string) => void;
  onUp?: () => void;
}

/**
 * Reports a client's connection state in the log, so an operator sees within seconds
 * that Redis is unreachable (naming the URL), and sees it come back. ioredis itself
 * keeps reconnecting, and commands wait in its offline queue meanwhile, so nothing here
 * retries anything. Attaching the `error` listener also stops ioredis from printing
 * "Unhandled error event" for every failed reconnect. Returns a function that stops
 * watching (and keeps errors silent from then on).
 *
 * @example
 * const unwatch = watchRedis(queue.redis, { label: 'redis://db:6379', log });
 */
export function watchRedis(client: RedisClient, options: RedisWatchOptions): () => void {
  const { label, log, startupTimeoutMs = 3000, repeatEveryMs = 30_000 } = options;
  let up = client.status === 'ready';
  let everUp = up;
  let lastError = 'no answer yet';
  let reportedAt = 0;

  const reportDown = (force: boolean) => {
    const now = Date.now();
    if (!force && now - reportedAt < repeatEveryMs) return;
    reportedAt = now;
    if (everUp) log.error({ redis: label, reason: lastError }, `Redis at ${label} is unreachable; reconnecting, nothing is lost meanwhile`);
    else log.error({ redis: label, reason: lastError }, `cannot reach Redis at ${label} (${lastError}); retrying until it answers`);
    options.onDown?.(lastError);
  };

  const onError = (thrown: Error & { code?: string; lastNodeError?: Error & { code?: string } }) => {
    // A Cluster's own error ("Failed to refresh slots cache.") carries the cause in lastNodeError.
    const err = thrown.lastNodeError ?? thrown;
    lastError = err.code ? `${err.code}: ${err.message}` : err.message;
    if (!up) reportDown(reportedAt === 0);
  };
  const onReady = () => {
    if (reportedAt !== 0) log.info({ redis: label }, everUp ? `Redis at ${label} is back` : `connected to Redis at ${label}`);
    else log.debug({ redis: label }, `connected to Redis at ${label}`);
    up = true;
    everUp = true;
    reportedAt = 0;
    options.onUp?.();
  };
  const onClose = () => {
    if (!up) return;
    up = false;
    lastError = 'connection closed';
    log.warn({ redis: label }, `lost the connection to Redis at ${label}; reconnecting`);
  };

  client.on('error', onError);
  client.on('ready', onReady);
  client.on('close', onClose);
  // A blackholed host produces no error until the connect timeout (10 s in ioredis); say something sooner.
  const timer = setTimeout(() => {
    if (!up && reportedAt === 0) reportDown(true);
  }, startupTimeoutMs);
  timer.unref();

  return () => {
    clearTimeout(timer);
    // A silent listener stays: a reconnect attempt may still fail while the client is being closed.
    client.on('error', () => {});
    client.off('error', onError);
    client.off('ready', onReady);
    client.off('close', onClose);
  };
}

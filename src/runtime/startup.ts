/**
 * Start-up checks of the supervisor, made once before any worker starts: wait for Redis
 * (bounded by --redis-wait when given), and warn about waiting work that no handler will
 * take. The handlers module itself is checked by loadHandlerModule (handlers.ts).
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../actors/types.js';
import type { QueueKeys } from '../infra/keys.js';
import { sampleWaitingTypes } from '../infra/waiting-types.js';
import { within, TIMED_OUT } from './shutdown.js';

/** How many tasks at the head of each waiting set the `http` check looks at. */
const HTTP_CHECK_HEADS = 100;
/** The start-up checks are advice: they never hold the start-up longer than this. */
const CHECK_WAIT_MS = 2000;

export type RedisWait = 'up' | 'timeout' | 'aborted';

/**
 * Resolves once `client` answers a PING ('up'), when `waitMs` has passed without an answer
 * ('timeout'; null waits as long as it takes), or when `signal` aborts ('aborted', a stop
 * during start-up). ioredis keeps reconnecting meanwhile, and watchRedis logs the outage.
 *
 * @example
 * if ((await awaitRedis(queue.redis, { waitMs: 2000 })) === 'timeout') process.exit(3);
 */
export async function awaitRedis(client: Redis, { waitMs, signal }: { waitMs: number | null; signal?: AbortSignal }): Promise<RedisWait> {
  if (signal?.aborted) return 'aborted';
  // The PING waits in ioredis's offline queue until the connection is up.
  const answered = client.ping().then(() => 'up' as const, () => 'up-failed' as const);
  const aborted = new Promise<'aborted'>((resolve) => signal?.addEventListener('abort', () => resolve('aborted'), { once: true }));
  const outcome = await (waitMs === null ? Promise.race([answered, aborted]) : within(Promise.race([answered, aborted]), waitMs));
  if (outcome === TIMED_OUT) return 'timeout';
  if (outcome === 'up-failed') {
    // The connection was dropped under the PING (a reconnect in progress): ask again.
    return awaitRedis(client, { waitMs, signal });
  }
  return outcome;
}

/**
 * Warns, naming the flag, when `http` tasks wait but nothing here handles them (no
 * --api-url, and the handlers module defines no `http`). Looks at the head of each waiting
 * set and of the delayed set only, so it costs two round trips whatever the queue's size.
 *
 * @example
 * await warnIfHttpTasksWait(control.queue, handlerTypes, log);
 */
export async function warnIfHttpTasksWait(queue: { readonly redis: Redis; readonly keys: QueueKeys }, handlerTypes: ReadonlySet<string>, log: Logger): Promise<void> {
  if (handlerTypes.has('http')) return;
  const types = await within(sampleWaitingTypes(queue, HTTP_CHECK_HEADS).catch(() => null), CHECK_WAIT_MS);
  if (types === TIMED_OUT || types === null || !types.has('http')) return;
  log.warn({ type: 'http', flag: '--api-url', env: 'EXTERNAL_API_URL' },
    'tasks of type `http` are waiting, but --api-url (EXTERNAL_API_URL) is not set and the handlers module has no `http` handler: they will be parked, then dead-lettered; start with --api-url URL');
}

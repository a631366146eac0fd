/**
 * Start-up checks of the supervisor, made once before any worker starts: wait for Redis
 * (bounded by --redis-wait when given), refuse a queue stored in another key layout, and warn
 * about waiting work that no handler will take. The handlers module itself is checked by loadHandlerModule (handlers.ts).
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { RedisClient } from '../infra/connection.js';
import type { Logger } from '../actors/types.js';
import { LayoutError, ShardCountError } from '../infra/errors.js';
import type { QueueKeys } from '../infra/keys.js';
import { sampleWaitingTypes } from '../infra/waiting-types.js';
import { within, TIMED_OUT } from './shutdown.js';

/** How many tasks at the head of each waiting set the `http` check looks at. */
const HTTP_CHECK_HEADS = 100;
/** Pause before asking again after a refused PING. */
const RETRY_PING_MS = 200;
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
export async function awaitRedis(client: RedisClient, { waitMs, signal }: { waitMs: number | null; signal?: AbortSignal }): Promise<RedisWait> {
  if (signal?.aborted) return 'aborted';
  const started = Date.now();
  // The PING waits in ioredis's offline queue until the connection is up.
  const answered = client.ping().then(() => 'up' as const, () => 'up-failed' as const);
  let onAbort = (): void => undefined;
  const aborted = new Promise<'aborted'>((resolve) => {
    onAbort = () => resolve('aborted');
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  const raced = Promise.race([answered, aborted]);
  // One listener per PING, removed once it settles: a refused PING is retried every
  // RETRY_PING_MS for as long as Redis refuses (LOADING, a failing AUTH), and the listeners
  // would otherwise pile up on the one signal.
  const outcome = await (waitMs === null ? raced : within(raced, waitMs)).finally(() => signal?.removeEventListener('abort', onAbort));
  if (outcome === TIMED_OUT) return 'timeout';
  if (outcome === 'up-failed') {
    // The PING was refused (a reconnect in progress, or ioredis gave up on it): ask again,
    // after a pause so that a client that refuses at once cannot spin, within what is left.
    await delay(RETRY_PING_MS);
    const left = waitMs === null ? null : waitMs - (Date.now() - started);
    if (left !== null && left <= 0) return 'timeout';
    return awaitRedis(client, { waitMs: left, signal });
  }
  return outcome;
}

/**
 * Subscribes `queue` to wake-ups before its actors' first claim, so a process that says it is
 * ready also hears new work: on a sharded queue, a wake-up published before the subscription
 * is lost, and a shard a claim saw empty before it is skipped until the claim router's recheck
 * (10 s). Ends early on abort; a failed subscription is logged, and claims then poll (idleWaitMs).
 */
export async function listenBeforeClaims(queue: { listenForWork(): Promise<void> }, signal: AbortSignal, log: Logger): Promise<void> {
  if (signal.aborted) return;
  let onAbort: () => void = () => {};
  const aborted = new Promise<void>((resolve) => {
    onAbort = resolve;
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([queue.listenForWork(), aborted]);
  } catch (err) {
    log.warn({ err }, 'could not subscribe to wake-ups; claims find new work by polling');
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/**
 * The queue's key layout, checked once Redis answers (queue.checkLayout): a LayoutError (or a
 * ShardCountError: the stamp also holds the shard count), which the start-up reports as its
 * failure, or null. Another failure (Redis gone again) is null too:
 * the queue checks again before its first operation.
 *
 * @example
 * const problem = await layoutProblem(control.queue); if (problem) fail(problem);
 */
export async function layoutProblem(queue: { checkLayout(): Promise<void> }): Promise<LayoutError | ShardCountError | null> {
  const checked = await within(queue.checkLayout().then(() => null, (err: unknown) => (err instanceof LayoutError || err instanceof ShardCountError ? err : null)), CHECK_WAIT_MS);
  return checked === TIMED_OUT ? null : checked;
}

/**
 * Warns, naming the flag, when `http` tasks wait but nothing here handles them (no
 * --api-url, and the handlers module defines no `http`). Looks at the head of each waiting
 * set and of the delayed set only, so it costs two round trips whatever the queue's size.
 *
 * @example
 * await warnIfHttpTasksWait(control.queue, handlerTypes, log);
 */
export async function warnIfHttpTasksWait(queue: { readonly redis: RedisClient; readonly shardKeys: readonly QueueKeys[] }, handlerTypes: ReadonlySet<string>, log: Logger): Promise<void> {
  if (handlerTypes.has('http')) return;
  const types = await within(sampleWaitingTypes(queue, HTTP_CHECK_HEADS).catch(() => null), CHECK_WAIT_MS);
  if (types === TIMED_OUT || types === null || !types.has('http')) return;
  log.warn({ type: 'http', flag: '--api-url', env: 'EXTERNAL_API_URL' },
    'tasks of type `http` are waiting, but --api-url (EXTERNAL_API_URL) is not set and the handlers module has no `http` handler: they will be parked, then dead-lettered; start with --api-url URL');
}

/**
 * The CLI's connection to a queue. Unlike a worker, a command must not wait for Redis to
 * come back: the client makes one attempt with a short timeout and no retries, and any
 * failure becomes a RedisUnavailableError (exit 3) within a few seconds. That includes a
 * server that accepts the connection and never answers (a paused Redis, a wrong port that
 * a silent service listens on): the handshake and every command are bounded too.
 */
import type { ClusterOptions, RedisOptions } from 'ioredis';
import { defaultRedisUrl, isRedisAddress, redactUrl, resolveRedis, type ClusterAddress } from '../infra/connection.js';
import { OptionError } from '../infra/errors.js';
import { QueueKeys } from '../infra/keys.js';
import { checkTlsTarget, readTlsCa } from '../infra/tls.js';
import { TaskQueue } from '../infra/task-queue.js';
import { TIMED_OUT, within } from '../runtime/shutdown.js';
import type { QueueStorage } from '../runtime/queue-storage.js';
import { chooseRedis, redisLabel } from '../runtime/redis-address.js';
import { stringFlag, type FlagValues } from './args.js';
import { RedisUnavailableError } from './errors.js';
import { storageFromFlags } from './storage-flags.js';

/** Long enough for a remote Redis over TLS, short enough that a typo'd host fails fast. */
const CONNECT_TIMEOUT_MS = 3000;
/**
 * Bound on connect() as a whole: TCP/TLS (above) plus the handshake (AUTH, SELECT, the ready
 * check's INFO). `connectTimeout` ends once the socket is up, so a server that accepts and
 * stays silent would otherwise hold the command forever.
 */
const READY_TIMEOUT_MS = 5000;
/** Bound on each command once connected; a timeout is reported as Redis unavailable (exit 3). */
const COMMAND_TIMEOUT_MS = 5000;

/** What the CLI's client changes from the library's defaults: one attempt, bounded everywhere. */
const FAIL_FAST: RedisOptions = {
  lazyConnect: true,
  connectTimeout: CONNECT_TIMEOUT_MS,
  commandTimeout: COMMAND_TIMEOUT_MS,
  // No reconnects and no queued retries: a command reports a lost Redis instead of hanging.
  retryStrategy: () => null,
  maxRetriesPerRequest: 0,
  enableOfflineQueue: false,
  // The library batches commands by default; here each goes out on its own, under commandTimeout.
  enableAutoPipelining: false,
  // After a failed connect ioredis waits this long for the socket to end, holding the process open.
  disconnectTimeout: 200,
};

/**
 * The same bounds for a Redis Cluster: one attempt at loading the slot map (each node asked
 * for CLUSTER SLOTS within SLOTS_TIMEOUT_MS), no reconnects. Each node's own connection takes
 * the per-connection bounds above (connectTimeout, commandTimeout) through `redisOptions`.
 */
const SLOTS_TIMEOUT_MS = 2000;
const CLUSTER_FAIL_FAST: ClusterOptions = {
  lazyConnect: true,
  clusterRetryStrategy: () => null,
  enableOfflineQueue: false,
  enableAutoPipelining: false,
  slotsRefreshTimeout: SLOTS_TIMEOUT_MS,
};
const NODE_FAIL_FAST: RedisOptions = {
  connectTimeout: CONNECT_TIMEOUT_MS,
  commandTimeout: COMMAND_TIMEOUT_MS,
  maxRetriesPerRequest: 0,
  disconnectTimeout: 200,
};

/** Which Redis and queue a command works on. */
export interface Target {
  /** A Redis URL (or socket path), or a Redis Cluster's nodes. */
  readonly redis: string | ClusterAddress;
  /** `redis` for messages: the URL with its password masked, or `cluster HOST:PORT,...`. */
  readonly label: string;
  readonly queue: string;
  /** PEM of the CA to trust over TLS, from --redis-tls-ca; undefined: Node's default store. */
  readonly tlsCa?: string;
  /** The queue's storage settings (retention, dedup window, max stalls), as the workers must have them. */
  readonly storage: QueueStorage;
}

/**
 * Reads `--redis` or `--redis-cluster`, `--redis-tls-ca` and `--queue`, falling back to
 * REDIS_URL or REDIS_CLUSTER_NODES (see chooseRedis), TASKLANE_REDIS_TLS_CA and
 * TASKLANE_QUEUE, and the storage flags (see storageFromFlags), and checks them (the CA file
 * is read here).
 *
 * @example
 * resolveTarget({ queue: 'emails' }, {}) // { redis: 'redis://127.0.0.1:6379', label: …, queue: 'emails', storage: { … } }
 */
export function resolveTarget(values: FlagValues, env: NodeJS.ProcessEnv): Target {
  const redis = chooseRedis({ redis: stringFlag(values, 'redis'), cluster: stringFlag(values, 'redis-cluster') }, env) ?? defaultRedisUrl(env);
  const queue = stringFlag(values, 'queue') ?? (env.TASKLANE_QUEUE || 'default');
  if (typeof redis === 'string' && !isRedisAddress(redis)) {
    throw new OptionError('--redis', `--redis (REDIS_URL) must be a redis:// or rediss:// URL, got \`${redactUrl(redis)}\`; a Unix socket is given as its absolute path, e.g. /tmp/redis.sock`);
  }
  const label = redisLabel(redis);
  try {
    QueueKeys.check(queue);
  } catch (err) {
    if (!(err instanceof OptionError)) throw err;
    throw new OptionError('--queue', `--queue (TASKLANE_QUEUE) must be 1 to 128 characters without braces or spaces, got ${JSON.stringify(queue)}`);
  }
  const storage = storageFromFlags(values, env);
  const caPath = stringFlag(values, 'redis-tls-ca') ?? (env.TASKLANE_REDIS_TLS_CA || undefined);
  if (caPath === undefined) return { redis, label, queue, storage };
  const source = { option: '--redis-tls-ca', label: '--redis-tls-ca (TASKLANE_REDIS_TLS_CA)' };
  // A cluster's nodes have no scheme: the CA turns TLS on for each of them.
  checkTlsTarget(redis, source);
  return { redis, label, queue, storage, tlsCa: readTlsCa(caPath, source) };
}

/** An open queue and the way to close it and its client. */
export interface Session {
  readonly queue: TaskQueue;
  close(): Promise<void>;
}

/**
 * Connects to Redis and opens the queue; rejects with RedisUnavailableError when Redis
 * does not answer within a few seconds. `warn` receives the queue's warnings.
 *
 * @example
 * const { queue, close } = await openSession(resolveTarget({}, process.env), console.error);
 * try { console.log(await queue.stats()); } finally { await close(); }
 */
export async function openSession(target: Target, warn: (message: string) => void): Promise<Session> {
  const tls = target.tlsCa === undefined ? {} : { tls: { ca: target.tlsCa } };
  const cluster = typeof target.redis !== 'string';
  const { client } = typeof target.redis === 'string'
    ? resolveRedis(target.redis, { ...FAIL_FAST, ...tls })
    : resolveRedis({ cluster: target.redis.cluster, options: CLUSTER_FAIL_FAST }, { ...NODE_FAIL_FAST, ...tls });
  let lastError: Error | undefined;
  let socketUp = false;
  // ioredis reports the cause (ECONNREFUSED, ENOTFOUND, WRONGPASS...) only as an event;
  // connect() itself rejects with a bare "Connection is closed" ("None of startup nodes is
  // available" for a cluster), and a cluster reports each node's failure as `node error`
  // followed by that bare message, which must not hide the cause.
  const note = (err: Error) => {
    if (lastError === undefined || !/^Connection is closed/.test(err.message)) lastError = err;
  };
  client.on('error', (err: Error & { lastNodeError?: Error }) => note(err.lastNodeError ?? err));
  // ioredis asks each node for the slot map on a connection of its own whose socket errors it
  // drops, so for a cluster the cause names the node, not always the socket's error code.
  client.on('node error', (err: Error, node: string) => note(new Error(`${node}: ${err.message}`, { cause: err })));
  // For a cluster, `connect` means the slot map is loaded; `ready` then needs cluster_state:ok.
  client.once('connect', () => {
    socketUp = true;
  });
  const connecting = client.connect();
  try {
    if ((await within(connecting, READY_TIMEOUT_MS)) === TIMED_OUT) throw new ReadyTimeout();
  } catch (err) {
    connecting.catch(() => {}); // it rejects once disconnected below
    client.disconnect();
    const url = target.label;
    if (err instanceof ReadyTimeout || /Command timed out/.test(lastError?.message ?? '')) {
      const accepted = cluster ? 'it sent its slot map but did not become ready (is cluster_state ok?)' : 'it accepted the connection but did not answer';
      const what = socketUp ? accepted : 'no connection';
      throw new RedisUnavailableError(url, `${what} within ${READY_TIMEOUT_MS / 1000} s (is it a Redis server, and is it paused or overloaded?)`, { cause: lastError ?? err });
    }
    const cause = lastError ?? err;
    throw new RedisUnavailableError(url, (cause as Error).message ?? String(cause), { cause });
  }
  const queue = new TaskQueue({ redis: client, name: target.queue, ...target.storage });
  queue.on('queue:warning', warn);
  const close = async (): Promise<void> => {
    await queue.close();
    // The queue borrowed the client, so closing it is ours to do.
    await client.quit().catch(() => client.disconnect());
  };
  // Here rather than at the command's first operation, so a queue of another key layout
  // (LayoutError, exit 1) is refused before any command reads or writes it.
  await queue.checkLayout().catch(async (err: unknown) => {
    await close();
    throw err;
  });
  return { queue, close };
}

/** connect() did not reach `ready` within READY_TIMEOUT_MS. */
class ReadyTimeout extends Error {}


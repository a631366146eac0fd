import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { OptionError } from './errors.js';

/** A client tasklane can run on: one Redis (also ioredis-mock), or an ioredis Redis Cluster. */
export type RedisClient = Redis | Cluster;

/**
 * The seed nodes of a Redis Cluster, as `HOST:PORT` strings (any reachable nodes: the client
 * discovers the rest), with options for the Cluster client. Plain data, so the supervisor can
 * hand it to its workers.
 *
 * @example
 * new TaskQueue({ redis: { cluster: ['10.0.0.1:7000', '10.0.0.2:7000'] }, shards: 12 })
 */
export interface ClusterAddress {
  cluster: readonly string[];
  /** Options of the Cluster client; `redisOptions` inside apply to each node's connection. */
  options?: ClusterOptions;
}

/** What a TaskQueue accepts as its Redis: a URL, ioredis options, a client (also ioredis-mock or a Cluster), or a cluster's nodes. */
export type RedisInput = string | RedisOptions | RedisClient | ClusterAddress;

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/**
 * The Redis to use when none is given: REDIS_URL (unless empty), else the local default.
 *
 * @example
 * defaultRedisUrl({}) // 'redis://127.0.0.1:6379'
 */
export function defaultRedisUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.REDIS_URL || DEFAULT_REDIS_URL;
}

/**
 * Whether `text` names a Redis ioredis can connect to: a redis:// or rediss:// URL, or a
 * Unix socket's absolute path. The supervisor and the CLI check their --redis with it.
 *
 * @example
 * isRedisAddress('/tmp/redis.sock') // true
 * isRedisAddress('localhost:6379')  // false
 */
export function isRedisAddress(text: string): boolean {
  if (text.startsWith('/')) return true;
  try {
    const { protocol } = new URL(text);
    return protocol === 'redis:' || protocol === 'rediss:';
  } catch {
    return false;
  }
}

/**
 * A Redis URL fit for logs and messages: the password, if any, is masked. A URL without
 * one (or a socket path) comes back as given.
 *
 * @example
 * redactUrl('redis://:secret@db:6379/0') // 'redis://:***@db:6379/0'
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) {
      parsed.password = '***';
      return parsed.toString();
    }
  } catch {
    // Not a URL: masked by pattern below.
  }
  // Also a slip such as `user:secret@db:6379` (no scheme), which URL reads as scheme `user:`.
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)?([^:@/]*):[^@/]+@/i, '$1$2:***@');
}

/**
 * Resolves the `redis` option. A client passed in is borrowed (the caller closes it);
 * one built here is owned and closed by `close()`. `overrides` replace the defaults below
 * and the caller's options alike; a borrowed client is used as it is.
 *
 * @example
 * const { client, owned } = resolveRedis(undefined); // REDIS_URL, else redis://127.0.0.1:6379
 * const cli = resolveRedis('redis://db:6379', { lazyConnect: true, retryStrategy: () => null });
 */
export function resolveRedis(input: RedisInput | undefined, overrides: RedisOptions = {}): { client: RedisClient; owned: boolean } {
  if (isClient(input)) return { client: input, owned: false };
  if (isClusterAddress(input)) return { client: connectCluster(input, overrides), owned: true };
  const options: RedisOptions = {
    // Commands wait in the offline queue while Redis is away, rather than failing at once.
    maxRetriesPerRequest: null,
    enableAutoPipelining: true,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
  };
  if (input === undefined || typeof input === 'string') {
    return { client: new Redis(input ?? defaultRedisUrl(), { ...options, ...overrides }), owned: true };
  }
  return { client: new Redis({ ...options, ...input, ...overrides }), owned: true };
}

function isClient(input: unknown): input is RedisClient {
  return typeof input === 'object' && input !== null && typeof (input as Redis).duplicate === 'function' && typeof (input as Redis).defineCommand === 'function';
}

/** Whether `input` is a cluster's nodes (plain data), rather than a URL, options or a client. */
export function isClusterAddress(input: unknown): input is ClusterAddress {
  return typeof input === 'object' && input !== null && Array.isArray((input as ClusterAddress).cluster);
}

/** Whether `client` is an ioredis Cluster (each key routed to the master of its slot). */
export function isCluster(client: RedisClient): client is Cluster {
  return (client as Cluster).isCluster === true;
}

/**
 * A Cluster client that rides out a failover and slot moves: commands wait (not fail) while
 * the cluster is down or a slot has no master, MOVED and ASK are followed, TRYAGAIN is retried
 * every 100 ms (up to 300 redirections in all: a script waits out about 30 s of its slot's
 * migration, see keys.ts slotGuard), and the slot map is refreshed every 5 s.
 *
 * No auto-pipelining: ioredis batches a node's commands under the slot map of when they were
 * issued and checks it again when the batch is sent, so a slot that moved in between (a
 * reshard, a failover) rejected the whole batch with "All keys in the pipeline should belong
 * to the same slots allocation group"; and a MOVED inside a batch holding a write reached
 * the caller instead of being followed. The scripts never used it (see scripts.ts).
 */
function connectCluster({ cluster, options = {} }: ClusterAddress, overrides: RedisOptions): Cluster {
  const nodes = cluster.map((node, i) => parseClusterNode(node, `redis.cluster[${i}]`));
  if (nodes.length === 0) throw new OptionError('redis.cluster', 'Expected `redis.cluster` to name at least one HOST:PORT');
  return new Cluster(nodes, {
    enableAutoPipelining: false,
    maxRedirections: 300,
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 200,
    retryDelayOnTryAgain: 100,
    slotsRefreshInterval: 5000,
    clusterRetryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
    ...options,
    redisOptions: { maxRetriesPerRequest: null, ...options.redisOptions, ...overrides },
  });
}

/**
 * One cluster node as `HOST:PORT` (IPv6 as `[::1]:7000`). Throws OptionError naming `field`.
 *
 * @example
 * parseClusterNode('10.0.0.1:7000', '--redis-cluster') // { host: '10.0.0.1', port: 7000 }
 */
export function parseClusterNode(text: string, field: string): { host: string; port: number } {
  const match = typeof text === 'string' ? /^(?:\[([^\]]+)\]|([^:\s\[\]]+)):(\d{1,5})$/.exec(text.trim()) : null;
  const port = match ? Number(match[3]) : NaN;
  if (!match || port < 1 || port > 65535) {
    throw new OptionError(field, `Expected \`${field}\` to be HOST:PORT with a port from 1 to 65535, got ${JSON.stringify(text)}`);
  }
  return { host: match[1] ?? match[2]!, port };
}

/**
 * A comma-separated list of cluster nodes (the --redis-cluster flag, REDIS_CLUSTER_NODES).
 *
 * @example
 * parseClusterNodes('10.0.0.1:7000,10.0.0.2:7000', '--redis-cluster') // ['10.0.0.1:7000', '10.0.0.2:7000']
 */
export function parseClusterNodes(text: string, field: string): string[] {
  const nodes = text.split(',').map((node) => node.trim()).filter((node) => node.length > 0);
  if (nodes.length === 0) throw new OptionError(field, `Expected \`${field}\` to be HOST:PORT[,HOST:PORT...], got ${JSON.stringify(text)}`);
  for (const node of nodes) parseClusterNode(node, field);
  return nodes;
}

/**
 * Evicted keys mean lost tasks, so anything but `noeviction` deserves a warning. The policy
 * is read from `INFO memory` (which a least-privilege ACL user may run, unlike CONFIG, whose
 * GET would also reveal secrets such as `requirepass`), else from `CONFIG GET`. Returns the
 * warning text, or null when the policy is safe. When neither answers (NOPERM, or a managed
 * service that renames both), the warning says the policy could not be checked.
 */
export async function checkEvictionPolicy(client: RedisClient): Promise<string | null> {
  let policy: string | undefined;
  let refusal: string | undefined;
  // Only a reply from Redis says the check is refused; a lost connection says nothing.
  const refused = (err: unknown) => (err as Error)?.name === 'ReplyError';
  try {
    policy = /^maxmemory_policy:(\S+)/m.exec(await client.info('memory'))?.[1];
  } catch (err) {
    if (!refused(err)) return null;
    refusal = (err as Error).message;
  }
  if (policy === undefined) {
    try {
      const reply = (await client.config('GET', 'maxmemory-policy')) as unknown as string[];
      policy = reply?.[1];
    } catch (err) {
      if (!refused(err)) return null;
      refusal ??= (err as Error).message;
    }
  }
  if (policy === undefined) {
    if (refusal === undefined) return null; // answered, without the field: nothing to check
    const why = ` (${refusal.split('\n')[0]})`;
    return `could not check Redis maxmemory-policy: neither INFO memory nor CONFIG GET answered${why}; make sure it is \`noeviction\`, or Redis may evict task records under memory pressure and lose tasks`;
  }
  if (policy !== 'noeviction') {
    return `Redis maxmemory-policy is \`${policy}\`; use \`noeviction\`, or Redis may evict task records under memory pressure and lose tasks`;
  }
  return null;
}

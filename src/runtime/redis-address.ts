/**
 * Which Redis the supervisor and the `tasklane` CLI use: one server (`--redis`, REDIS_URL) or
 * a Redis Cluster (`--redis-cluster`, REDIS_CLUSTER_NODES), and how it is named in logs and
 * errors. Both programs read the same flags and variables through here.
 */
import { isCluster, isClusterAddress, parseClusterNodes, redactUrl, type ClusterAddress, type RedisInput } from '../infra/connection.js';
import { OptionError } from '../infra/errors.js';

/** The --redis-cluster flag as both programs document it. */
export const REDIS_CLUSTER_FLAG = {
  env: 'REDIS_CLUSTER_NODES',
  value: 'HOST:PORT[,...]',
  help: 'connect to this Redis Cluster instead of --redis: any of its nodes, the client finds the rest (with --redis-tls-ca, every node over TLS)',
} as const;

/** The flags as typed, undefined when absent. */
export interface RedisFlags {
  redis?: string;
  cluster?: string;
}

/**
 * The Redis the flags and variables name: `--redis` or `--redis-cluster`, else REDIS_URL or
 * REDIS_CLUSTER_NODES, else undefined (the default Redis). A flag beats the other's variable;
 * both flags, or both variables, are a usage error: which one was meant cannot be told.
 *
 * @example
 * chooseRedis({ cluster: '10.0.0.1:7000' }, { REDIS_URL: 'redis://db:6379' }) // { cluster: ['10.0.0.1:7000'] }
 */
export function chooseRedis(flags: RedisFlags, env: NodeJS.ProcessEnv): string | ClusterAddress | undefined {
  if (flags.redis !== undefined && flags.cluster !== undefined) {
    throw new OptionError('--redis-cluster', '--redis and --redis-cluster were both given: a queue lives on one Redis server or on one Redis Cluster; keep one of them');
  }
  if (flags.redis !== undefined) return flags.redis;
  if (flags.cluster !== undefined) return clusterAddress(flags.cluster);
  const url = env.REDIS_URL || undefined;
  const nodes = env[REDIS_CLUSTER_FLAG.env] || undefined;
  if (url !== undefined && nodes !== undefined) {
    throw new OptionError('--redis-cluster', 'REDIS_URL (--redis) and REDIS_CLUSTER_NODES (--redis-cluster) are both set: unset one, or pass --redis or --redis-cluster, which beats the other\'s variable');
  }
  return nodes === undefined ? url : clusterAddress(nodes);
}

function clusterAddress(text: string): ClusterAddress {
  try {
    return { cluster: parseClusterNodes(text, '--redis-cluster') };
  } catch (err) {
    if (!(err instanceof OptionError)) throw err;
    throw new OptionError('--redis-cluster', `Invalid --redis-cluster (${REDIS_CLUSTER_FLAG.env}): ${err.message}`);
  }
}

/**
 * The Redis for logs and errors, without secrets: a URL with its password masked, a cluster
 * as `cluster HOST:PORT,...` (its seed nodes), or `(client)` / `(options)`.
 *
 * @example
 * redisLabel({ cluster: ['10.0.0.1:7000', '10.0.0.2:7000'] }) // 'cluster 10.0.0.1:7000,10.0.0.2:7000'
 */
export function redisLabel(redis: RedisInput): string {
  if (typeof redis === 'string') return redactUrl(redis);
  if (isClusterAddress(redis)) return `cluster ${redis.cluster.join(',')}`;
  const client = typeof (redis as { duplicate?: unknown }).duplicate === 'function';
  if (client) return isCluster(redis as Parameters<typeof isCluster>[0]) ? 'cluster (client)' : '(client)';
  return '(options)';
}

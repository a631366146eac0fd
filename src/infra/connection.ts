import { Redis, type RedisOptions } from 'ioredis';

/** What a TaskQueue accepts as its Redis: a URL, ioredis options, or a client (also ioredis-mock). */
export type RedisInput = string | RedisOptions | Redis;

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
    if (!parsed.password) return url;
    parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
  }
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
export function resolveRedis(input: RedisInput | undefined, overrides: RedisOptions = {}): { client: Redis; owned: boolean } {
  if (isClient(input)) return { client: input, owned: false };
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

function isClient(input: unknown): input is Redis {
  return typeof input === 'object' && input !== null && typeof (input as Redis).duplicate === 'function' && typeof (input as Redis).defineCommand === 'function';
}

/**
 * Evicted keys mean lost tasks, so anything but `noeviction` deserves a warning.
 * Returns the warning text, or null when the policy is safe or cannot be read
 * (managed Redis services often disable CONFIG).
 */
export async function checkEvictionPolicy(client: Redis): Promise<string | null> {
  try {
    const reply = (await client.config('GET', 'maxmemory-policy')) as unknown as string[];
    const policy = reply?.[1];
    if (policy && policy !== 'noeviction') {
      return `Redis maxmemory-policy is \`${policy}\`; use \`noeviction\`, or Redis may evict task records under memory pressure and lose tasks`;
    }
  } catch {
    // CONFIG is unavailable: nothing to check.
  }
  return null;
}

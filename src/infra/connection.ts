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
 * Evicted keys mean lost tasks, so anything but `noeviction` deserves a warning. The policy
 * is read from `INFO memory` (which a least-privilege ACL user may run, unlike CONFIG, whose
 * GET would also reveal secrets such as `requirepass`), else from `CONFIG GET`. Returns the
 * warning text, or null when the policy is safe. When neither answers (NOPERM, or a managed
 * service that renames both), the warning says the policy could not be checked.
 */
export async function checkEvictionPolicy(client: Redis): Promise<string | null> {
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

import { resolve as resolvePath } from 'node:path';
import type { HandlerMap, Logger } from '../actors/types.js';
import type { TaskQueueOptions } from '../infra/task-queue.js';
import { defaultRedisUrl, isClusterAddress, isRedisAddress, parseClusterNode, redactUrl, type RedisInput } from '../infra/connection.js';
import { OptionError } from '../infra/errors.js';
import { checkTlsTarget, readTlsCa } from '../infra/tls.js';
import { parseApiRate } from '../infra/api/rate.js';
import type { ApiGuardConfig } from './guards.js';
import { DEFAULT_API_TIMEOUT_MS } from '../infra/api/external-api.js';
import { LOG_LEVELS, type LogLevel } from './logger.js';
import { resolveStorage, type QueueStorage, type StorageOptions } from './queue-storage.js';
import { redisLabel } from './redis-address.js';

/** How the supervisor restarts crashed workers and when it gives up on one. */
export interface RestartOptions {
  /** First restart delay after a crash; doubles per consecutive crash. Default 100 ms. */
  baseDelayMs?: number;
  /** Longest restart delay. Default 10 s. */
  maxDelayMs?: number;
  /** Consecutive immediate crashes after which a worker slot is given up. Default 5. */
  maxCrashes?: number;
  /** A worker that crashes on its own before `ready` or sooner than this after start crashed "immediately". Default 5 s. */
  minUptimeMs?: number;
}

/**
 * Options of `createRuntime`. Every field is optional. The storage options (StorageOptions:
 * completedRetentionMs, completedMax, deadRetentionMs, dedupWindowMs, maxStalls, shards,
 * durability) must be the same in every process of the queue, producers' TaskQueues included.
 */
export interface RuntimeOptions extends StorageOptions {
  /**
   * Redis URL, ioredis options, a Redis Cluster's nodes (`{ cluster: ['HOST:PORT', ...] }`), or
   * with `processes: 0` a client (also an ioredis Cluster). Default: REDIS_URL, else redis://127.0.0.1:6379.
   */
  redis?: RedisInput;
  /**
   * PEM file of the CA that signed the Redis server's certificate (with a rediss:// URL).
   * Default: none, so Node's default trust store is used. Every worker process reads it too.
   */
  redisTlsCa?: string;
  /** Queue name. Default `default`. */
  queue?: string;
  /** Short-lane actors. Default 4. */
  short?: number;
  /** Long-lane actors. Default 1. */
  long?: number;
  /** Tasks in flight per actor. Default 10. */
  concurrency?: number;
  /** A module path whose default export maps task type → handler; with `processes: 0` also the map itself. */
  handlers?: string | HandlerMap;
  /** Base URL of the external API; registers the `http` task type. */
  apiUrl?: string;
  /** Long-lane `http` tasks: how long the API may take to answer (headers, then between body chunks). Default 5 min. */
  apiTimeoutMs?: number;
  /**
   * Worker processes the actors are spread over; 0 runs every actor in this process.
   * Default: one per lane that has actors (so 2 when both lanes have actors; 1 when none has).
   */
  processes?: number;
  /** Let short and long actors share a process. Default false: a CPU-heavy long task must not delay a short deadline. */
  shareLanes?: boolean;
  /** Lease length. Default 30 s. */
  leaseMs?: number;
  /** Short-lane deadline for tasks that set no `timeoutMs`. Default 30 s. */
  taskTimeoutMs?: number;
  /** How long a graceful stop lets in-flight tasks finish before they are aborted and released. Default 25 s. */
  drainTimeoutMs?: number;
  /**
   * How long a task whose type no running worker handles is parked (released with a delay,
   * its attempts untouched) before it is dead-lettered with TASKLANE_ERR_UNKNOWN_TYPE,
   * counted from the task's creation. Covers a rolling deploy, where a new type can arrive
   * before the workers that handle it. 0 dead-letters at once. Default 15 min.
   */
  unknownTypeGraceMs?: number;
  /**
   * How long `start()` waits for Redis to answer before it fails (a RedisWaitError, code
   * TASKLANE_ERR_REDIS_UNAVAILABLE; the supervisor exits 3). Default: wait as long as it takes.
   * Either way no worker starts before Redis answers.
   */
  redisWaitMs?: number;
  /** At most N calls to the external API in any sliding window of a second (`N/s`) or a minute (`N/m`), across every worker. Default: no limit. */
  apiRate?: string;
  /** Calls to the external API in flight at once across every worker; 0 for no cap. Default 0. */
  apiMaxInFlight?: number;
  /** The shared circuit breaker of the external API (`on`/`off`). Default on. */
  apiBreaker?: boolean | 'on' | 'off';
  /** Failure ratio that opens the breaker, above 0 and at most 1. Default 0.8. */
  apiBreakerThreshold?: number | string;
  /** First cooldown of an open breaker before its probe, ms; doubled per failed probe up to 30 s. Default 2000. */
  apiBreakerCooldownMs?: number;
  /** 429s a task may get (not counted as attempts) before it is dead-lettered with TASKLANE_ERR_THROTTLED; 0 for no cap. Default 50. */
  apiMaxThrottles?: number;
  /** Default `info`; ignored when `logger` is given (worker processes still use it). */
  logLevel?: LogLevel;
  /** A pino-compatible logger for this process. */
  logger?: Logger;
  restart?: RestartOptions;
}

/** Options after validation, with every default filled in. */
export interface ResolvedOptions {
  redis: RedisInput;
  /** The Redis URL with its password masked, `cluster HOST:PORT,...`, or `(client)` / `(options)`, for logs. */
  redisLabel: string;
  /** Absolute path of the CA file, or null. */
  redisTlsCa: string | null;
  /** TLS settings over `redis`'s (`{ ca }` from `redisTlsCa`), or undefined. */
  tls: { ca: string } | undefined;
  queue: string;
  short: number;
  long: number;
  concurrency: number;
  /** An absolute module path, a map (in-process only), or null. */
  handlers: string | HandlerMap | null;
  apiUrl: string | null;
  apiTimeoutMs: number;
  processes: number;
  shareLanes: boolean;
  leaseMs: number;
  taskTimeoutMs: number;
  drainTimeoutMs: number;
  unknownTypeGraceMs: number;
  /** null: wait for Redis as long as it takes. */
  redisWaitMs: number | null;
  /** The external API's guard (rate, cap, breaker, throttle cap). */
  apiGuard: ApiGuardConfig;
  /** The queue's storage settings, for every TaskQueue the runtime opens (workers included). */
  storage: QueueStorage;
  logLevel: LogLevel;
  logger: Logger | null;
  restart: Required<RestartOptions>;
}

const MAX_ACTORS = 1000;
const MAX_PROCESSES = 256;
const DAY = 86_400_000;

/**
 * Validates runtime options and fills in defaults. Throws an OptionError naming the
 * option and the values it accepts.
 *
 * @example
 * resolveOptions({ short: 8, long: 2 }).processes // 2
 */
export function resolveOptions(options: RuntimeOptions = {}): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new OptionError('options', `Expected the runtime options to be an object, got ${describe(options)}`);
  const short = int(options.short, 'short', 4, 0, MAX_ACTORS);
  const long = int(options.long, 'long', 1, 0, MAX_ACTORS);
  const lanesInUse = (short > 0 ? 1 : 0) + (long > 0 ? 1 : 0);
  const shareLanes = bool(options.shareLanes, 'shareLanes', false);
  // With no actors at all, a supervisor process still sweeps expired leases for other hosts.
  const processes = int(options.processes, 'processes', Math.max(1, lanesInUse), 0, MAX_PROCESSES);
  if (processes > 0 && processes < lanesInUse && !shareLanes) {
    throw new OptionError('processes', `Expected \`processes\` to be 0 or from ${lanesInUse} up when both lanes have actors, since short and long actors never share a worker process (set \`shareLanes\`, or --share-lanes, to allow it), got \`${processes}\` (number)`);
  }
  const leaseMs = int(options.leaseMs, 'leaseMs', 30_000, 1000, DAY);
  const restart = options.restart ?? {};
  return {
    ...redisOption(options.redis, processes),
    ...tlsCaOption(options.redisTlsCa, options.redis),
    queue: text(options.queue, 'queue', 'default'),
    short,
    long,
    concurrency: int(options.concurrency, 'concurrency', 10, 1, 10_000),
    handlers: handlersOption(options.handlers, processes),
    apiUrl: apiUrlOption(options.apiUrl),
    apiTimeoutMs: int(options.apiTimeoutMs, 'apiTimeoutMs', DEFAULT_API_TIMEOUT_MS, 1, DAY),
    processes,
    shareLanes,
    leaseMs,
    taskTimeoutMs: int(options.taskTimeoutMs, 'taskTimeoutMs', 30_000, 1, DAY),
    drainTimeoutMs: int(options.drainTimeoutMs, 'drainTimeoutMs', 25_000, 0, DAY),
    unknownTypeGraceMs: int(options.unknownTypeGraceMs, 'unknownTypeGraceMs', 15 * 60_000, 0, 365 * DAY),
    redisWaitMs: options.redisWaitMs === undefined ? null : int(options.redisWaitMs, 'redisWaitMs', 0, 1, DAY),
    apiGuard: apiGuardOption(options),
    storage: resolveStorage(options),
    logLevel: logLevelOption(options.logLevel),
    logger: options.logger ?? null,
    restart: {
      baseDelayMs: int(restart.baseDelayMs, 'restart.baseDelayMs', 100, 0, DAY),
      maxDelayMs: int(restart.maxDelayMs, 'restart.maxDelayMs', 10_000, 0, DAY),
      maxCrashes: int(restart.maxCrashes, 'restart.maxCrashes', 5, 1, 1000),
      minUptimeMs: int(restart.minUptimeMs, 'restart.minUptimeMs', 5000, 0, DAY),
    },
  };
}

/**
 * What every TaskQueue of this process's runtime is opened with (the supervisor's control
 * queue, the inline runtime's, the HTTP server's): the Redis (or cluster), queue name and the
 * storage settings, shards and durability included. Workers get the same through WorkerInit.
 *
 * @example
 * new TaskQueue(runtimeQueueOptions(resolveOptions({ shards: 4 }))) // shards: 4
 */
export function runtimeQueueOptions(o: ResolvedOptions): TaskQueueOptions {
  return { redis: o.redis, tls: o.tls, name: o.queue, ...o.storage };
}

function redisOption(redis: RedisInput | undefined, processes: number): { redis: RedisInput; redisLabel: string } {
  if (redis === undefined) {
    const url = defaultRedisUrl();
    return { redis: url, redisLabel: redactUrl(url) };
  }
  if (typeof redis === 'string') {
    if (!isRedisAddress(redis)) throw new OptionError('redis', `Expected \`redis\` to be a redis:// or rediss:// URL (or a Unix socket path), got ${describe(redactUrl(redis))}`);
    return { redis, redisLabel: redisLabel(redis) };
  }
  if (typeof redis !== 'object' || redis === null) throw new OptionError('redis', `Expected \`redis\` to be a URL, ioredis options, a cluster's nodes or an ioredis client, got ${describe(redis)}`);
  if (isClusterAddress(redis)) {
    if (redis.cluster.length === 0) throw new OptionError('redis.cluster', 'Expected `redis.cluster` to name at least one HOST:PORT, got an empty array');
    redis.cluster.forEach((node, i) => parseClusterNode(node, `redis.cluster[${i}]`));
  }
  const isClient = typeof (redis as { duplicate?: unknown }).duplicate === 'function';
  if (processes > 0) {
    // Worker processes get the setting through JSON; a client or a function (retryStrategy…) cannot make the trip.
    const crossable = !isClient && !hasFunctions(redis);
    if (!crossable) throw new OptionError('redis', `Expected \`redis\` to be a URL, plain ioredis options or a cluster's nodes (no client, no functions) when \`processes\` is above 0, since worker processes build their own connection; got ${isClient ? 'a client' : 'options with functions'}. Pass a URL, or \`processes: 0\``);
  }
  return { redis, redisLabel: redisLabel(redis) };
}

/** Functions anywhere in ioredis options, or in a cluster's options and their `redisOptions`. */
function hasFunctions(value: object, depth = 0): boolean {
  return Object.values(value).some((v) => typeof v === 'function' || (depth < 2 && typeof v === 'object' && v !== null && !Array.isArray(v) && hasFunctions(v, depth + 1)));
}

function tlsCaOption(value: unknown, redis: RedisInput | undefined): { redisTlsCa: string | null; tls: { ca: string } | undefined } {
  if (value === undefined) return { redisTlsCa: null, tls: undefined };
  if (typeof value !== 'string' || value.length === 0) throw new OptionError('redisTlsCa', `Expected \`redisTlsCa\` to be the path of a PEM file of CA certificates, got ${describe(value)}`);
  checkTlsTarget(redis ?? defaultRedisUrl());
  // Resolved now, so every worker reads the same file whatever its working directory.
  const path = resolvePath(value);
  return { redisTlsCa: path, tls: { ca: readTlsCa(path) } };
}

function handlersOption(handlers: RuntimeOptions['handlers'], processes: number): string | HandlerMap | null {
  if (handlers === undefined || handlers === null) return null;
  if (typeof handlers === 'string') {
    if (handlers.length === 0) throw new OptionError('handlers', 'Expected `handlers` to be a non-empty module path, got `` (string)');
    // Resolved now, so every worker loads the same file whatever its working directory.
    return /^file:/.test(handlers) ? handlers : resolvePath(handlers);
  }
  if (typeof handlers !== 'object' || Array.isArray(handlers)) {
    throw new OptionError('handlers', `Expected \`handlers\` to be a module path or an object mapping task type → handler function, got ${describe(handlers)}`);
  }
  if (processes > 0) {
    throw new OptionError('handlers', 'Expected `handlers` to be a module path when `processes` is above 0: functions cannot be sent to worker processes. Move them into a module whose default export maps task type → handler and pass its path, or pass `processes: 0` to run the actors in this process');
  }
  for (const [type, handler] of Object.entries(handlers)) {
    if (typeof handler !== 'function') throw new OptionError('handlers', `Expected \`handlers.${type}\` to be a function, got ${describe(handler)}`);
  }
  return handlers;
}

function apiUrlOption(value: string | undefined): string | null {
  if (value === undefined || value === '') return null;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new OptionError('apiUrl', `Expected \`apiUrl\` to be an http:// or https:// URL, got ${describe(value)}`);
  }
  return value;
}

function apiGuardOption(options: RuntimeOptions): ApiGuardConfig {
  const { apiRate, apiBreaker, apiBreakerThreshold } = options;
  if (apiRate !== undefined && typeof apiRate !== 'string') throw new OptionError('apiRate', `Expected \`apiRate\` to be N/s or N/m, got ${describe(apiRate)}`);
  if (apiBreaker !== undefined && ![true, false, 'on', 'off'].includes(apiBreaker)) {
    throw new OptionError('apiBreaker', `Expected \`apiBreaker\` to be on or off, got ${describe(apiBreaker)}`);
  }
  const threshold = typeof apiBreakerThreshold === 'string' && apiBreakerThreshold.trim() !== '' ? Number(apiBreakerThreshold) : apiBreakerThreshold ?? 0.8;
  if (typeof threshold !== 'number' || !(threshold > 0 && threshold <= 1)) {
    throw new OptionError('apiBreakerThreshold', `Expected \`apiBreakerThreshold\` to be a failure ratio above 0 and at most 1 (e.g. 0.8), got ${describe(apiBreakerThreshold)}`);
  }
  return {
    rate: apiRate === undefined || apiRate === '' ? null : parseApiRate(apiRate, 'apiRate'),
    maxInFlight: int(options.apiMaxInFlight, 'apiMaxInFlight', 0, 0, 100_000),
    breaker: apiBreaker === undefined || apiBreaker === true || apiBreaker === 'on',
    threshold,
    cooldownMs: int(options.apiBreakerCooldownMs, 'apiBreakerCooldownMs', 2000, 1, DAY),
    maxThrottles: int(options.apiMaxThrottles, 'apiMaxThrottles', 50, 0, 1_000_000),
  };
}

function logLevelOption(value: unknown): LogLevel {
  if (value === undefined) return 'info';
  if (typeof value === 'string' && (LOG_LEVELS as readonly string[]).includes(value)) return value as LogLevel;
  throw new OptionError('logLevel', `Expected \`logLevel\` to be one of ${LOG_LEVELS.join(', ')}, got ${describe(value)}`);
}

function int(value: unknown, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new OptionError(name, `Expected \`${name}\` to be an integer from ${min} to ${max}, got ${describe(value)}`);
  }
  return value;
}

function bool(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new OptionError(name, `Expected \`${name}\` to be a boolean, got ${describe(value)}`);
  return value;
}

function text(value: unknown, name: string, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value.length === 0) throw new OptionError(name, `Expected \`${name}\` to be a non-empty string, got ${describe(value)}`);
  return value;
}

function describe(value: unknown): string {
  if (typeof value === 'object' && value !== null) return Array.isArray(value) ? 'an array' : 'an object';
  return `\`${String(value)}\` (${typeof value})`;
}

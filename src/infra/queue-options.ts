import type { ConnectionOptions } from 'node:tls';
import type { BackoffOptions } from './backoff.js';
import type { RedisInput } from './connection.js';
import { OptionError, ValidationError } from './errors.js';
import { completedRetention, STORAGE_DEFAULTS, type CompletedRetention } from './retention.js';

const HOUR = 3_600_000;
const MAX_RETRY_DELAY_MS = 365 * 24 * HOUR;

export interface TaskQueueOptions {
  /**
   * URL, ioredis options, a client (Redis, ioredis-mock or an ioredis Cluster), or a cluster's
   * seed nodes (`{ cluster: ['10.0.0.1:7000'] }`). Default: REDIS_URL, else redis://127.0.0.1:6379.
   */
  redis?: RedisInput;
  /**
   * TLS settings over those of `redis`, e.g. `{ ca: readFileSync('ca.pem') }` for a Redis whose
   * certificate a private CA signed. A rediss:// URL alone trusts Node's default CA store.
   * Ignored when `redis` is a client.
   */
  tls?: ConnectionOptions;
  /** Queue name; its keys share the hash tag `{name}` (shard i of a sharded queue: `{name~i}`). Default `default`. */
  name?: string;
  /** First part of every key. Default `tl`. */
  namespace?: string;
  /** How long a finished id is refused by enqueue. Default 24 h. */
  dedupWindowMs?: number;
  /** How long completed and cancelled records are kept. Default 1 h. Same as `completedRetention.ms`. */
  completedRetentionMs?: number;
  /**
   * How long and how many completed records are kept: those older than `ms` (default 1 h) or
   * beyond the newest `max` (default 500,000, under 0.5 GB at ~930 B per completed task with a
   * 100-byte payload) are deleted, so memory stays bounded at any throughput.
   *
   * @example
   * new TaskQueue({ completedRetention: { ms: 3_600_000, max: 100_000 } })
   */
  completedRetention?: CompletedRetention;
  /** How long dead letters are kept. Default 7 days. */
  deadRetentionMs?: number;
  /** Lost leases a task may have before it is dead-lettered. Default 5. */
  maxStalls?: number;
  /** Largest payload (and result) as JSON. Default 1 MiB. */
  maxPayloadBytes?: number;
  /** Extra lease time over a task's own timeout. Default 5 s. */
  leaseMarginMs?: number;
  /** Default delays of durable retries. */
  backoff?: BackoffOptions;
  /**
   * How many shards the queue is split into, each under its own hash tag, so that on a Redis
   * Cluster one queue spans several masters. A task's shard is a stable hash of its id.
   * Default 1: the single-node layout, `tl:{name}:…`. Fixed once the queue holds tasks: a
   * TaskQueue opened with another count is refused with LayoutError (TASKLANE_ERR_LAYOUT).
   */
  shards?: number;
  /**
   * `async` (default): a write is acknowledged once the master ran it; Redis replicates it
   * afterwards, so a failover in between loses it. `replicated`: each write script is
   * followed by WAIT for one replica (bounded by `replicationTimeoutMs`), and a write no
   * replica acknowledged in time rejects with NotReplicatedError (TASKLANE_ERR_NOT_REPLICATED).
   */
  durability?: Durability;
  /** How long a replicated write waits for its replica. Default 1000 ms. */
  replicationTimeoutMs?: number;
}

/** Whether writes wait for a replica (see TaskQueueOptions.durability). */
export type Durability = 'async' | 'replicated';
export const DURABILITIES: readonly Durability[] = ['async', 'replicated'];

/** The options a TaskQueue runs by, checked and with their defaults. */
export interface QueueSettings {
  dedupWindowMs: number;
  completedRetentionMs: number;
  completedMax: number;
  deadRetentionMs: number;
  maxStalls: number;
  maxPayloadBytes: number;
  leaseMarginMs: number;
  backoff: BackoffOptions;
  shards: number;
  durability: Durability;
  replicationTimeoutMs: number;
}

/**
 * Checks the options of a TaskQueue and fills in the defaults. Throws OptionError naming the option.
 *
 * @example
 * queueSettings({ shards: 12 }).shards // 12
 */
export function queueSettings(options: TaskQueueOptions): QueueSettings {
  const retention = completedRetention(options);
  const settings: QueueSettings = {
    dedupWindowMs: option(options, 'dedupWindowMs', STORAGE_DEFAULTS.dedupWindowMs, 0),
    completedRetentionMs: retention.ms,
    completedMax: retention.max,
    deadRetentionMs: option(options, 'deadRetentionMs', STORAGE_DEFAULTS.deadRetentionMs, 1),
    maxStalls: option(options, 'maxStalls', STORAGE_DEFAULTS.maxStalls, 0),
    maxPayloadBytes: option(options, 'maxPayloadBytes', 1 << 20, 1),
    leaseMarginMs: option(options, 'leaseMarginMs', 5000, 0),
    backoff: options.backoff ?? {},
    shards: option(options, 'shards', 1, 1, MAX_SHARDS),
    durability: durability(options.durability),
    replicationTimeoutMs: option(options, 'replicationTimeoutMs', 1000, 1, 60_000),
  };
  return settings;
}

/** Enough for a queue to span 256 masters with several shards each; each shard costs every stats call a little. */
export const MAX_SHARDS = 1024;

function durability(value: unknown): Durability {
  if (value === undefined) return 'async';
  if (value === 'async' || value === 'replicated') return value;
  throw new OptionError('durability', `Expected \`durability\` to be one of ${DURABILITIES.map((d) => `\`${d}\``).join(', ')}, got ${JSON.stringify(value)}`);
}

function option(options: TaskQueueOptions, name: keyof TaskQueueOptions, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const value = options[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `from ${min} and up` : `from ${min} to ${max}`;
    throw new OptionError(name, `Expected \`${name}\` to be an integer ${range}, got \`${String(value)}\` (${typeof value})`);
  }
  return value;
}

/** A retry delay from a handler (often a server's Retry-After): must be a number; capped at a year. */
export function retryDelay(ms: number): number {
  if (typeof ms !== 'number' || Number.isNaN(ms) || ms < 0) {
    throw new ValidationError('retryInMs', `Expected \`retryInMs\` to be a number from 0 and up, got \`${String(ms)}\` (${typeof ms})`);
  }
  return Math.min(Math.ceil(ms), MAX_RETRY_DELAY_MS);
}

/** A park delay (release, throttle): a number from 0; capped at a year. */
export function parkDelay(ms: number): number {
  if (typeof ms !== 'number' || Number.isNaN(ms) || ms < 0) {
    throw new ValidationError('delayMs', `Expected \`delayMs\` to be a number from 0 and up, got \`${String(ms)}\` (${typeof ms})`);
  }
  return Math.min(Math.ceil(ms), MAX_RETRY_DELAY_MS);
}

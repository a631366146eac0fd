/**
 * The queue's storage settings as runtime options and flags: how long (and how many)
 * completed records are kept, how long dead letters and dedup markers are, how many
 * lost leases a task may have, how many shards the queue is split into and whether writes
 * wait for a replica. Every process of a queue reaps by its own values (a
 * completion, `stats` and the reaper delete completed records past the caller's time *and*
 * beyond the caller's `max`), so every process must be given the same ones. The supervisor
 * and the `tasklane` CLI read the same flags and variables from here; this module stays
 * free of the runtime's heavy dependencies so the CLI can load it.
 */
import { OptionError } from '../infra/errors.js';
import { STORAGE_DEFAULTS } from '../infra/retention.js';
// Types only: the values are restated below so that the CLI need not load the queue (and ioredis) to read its flags.
import type { Durability, MAX_SHARDS } from '../infra/task-queue.js';

/** TaskQueue's MAX_SHARDS; typed as it, so a change there that is not made here fails to compile. */
const SHARD_LIMIT: typeof MAX_SHARDS = 1024;
/** TaskQueue's DURABILITIES; the record makes the compiler check that every mode is listed. */
const DURABILITY_MODES = Object.keys({ async: true, replicated: true } satisfies Record<Durability, true>) as Durability[];

/** Storage options of `createRuntime`; each defaults to the TaskQueue default. */
export interface StorageOptions {
  /** Completed and cancelled records are kept this long (TaskQueue `completedRetention.ms`). Default 1 h. */
  completedRetentionMs?: number;
  /** Only the newest this many completed records are kept (TaskQueue `completedRetention.max`). Default 500,000. */
  completedMax?: number;
  /** Dead letters are kept this long. Default 7 days. */
  deadRetentionMs?: number;
  /** A finished id is refused by enqueue this long. Default 24 h. */
  dedupWindowMs?: number;
  /** Lost leases a task may have before it is dead-lettered (TASKLANE_ERR_STALLED). Default 5. */
  maxStalls?: number;
  /** Shards the queue is split into, 1 to 1024 (TaskQueue `shards`); fixed once the queue holds tasks. Default 1. */
  shards?: number;
  /** `async` or `replicated`: whether each write waits for a replica (TaskQueue `durability`). Default `async`. */
  durability?: Durability;
}

/** The storage settings resolved, in the shape TaskQueueOptions takes (spread it in). */
export interface QueueStorage {
  completedRetention: { ms: number; max: number };
  deadRetentionMs: number;
  dedupWindowMs: number;
  maxStalls: number;
  shards: number;
  durability: Durability;
}

/** One storage flag: its variable, the option it sets, how its text reads, and its help. */
export interface StorageFlag {
  readonly env: string;
  readonly option: keyof StorageOptions;
  readonly kind: 'duration' | 'count' | 'choice';
  readonly value: string;
  readonly help: string;
  readonly fallback: string;
}

const SAME = 'give every process of the queue the same value';

/**
 * The storage flags, shared by the supervisor and every `tasklane` command.
 *
 * @example
 * STORAGE_FLAGS['completed-retention'].env // 'TASKLANE_COMPLETED_RETENTION'
 */
export const STORAGE_FLAGS: Readonly<Record<string, StorageFlag>> = {
  'completed-retention': { env: 'TASKLANE_COMPLETED_RETENTION', option: 'completedRetentionMs', kind: 'duration', value: 'TIME', help: `keep completed and cancelled records this long (ms, or 500ms/30s/2m/1h); ${SAME}`, fallback: '1h' },
  'completed-max': { env: 'TASKLANE_COMPLETED_MAX', option: 'completedMax', kind: 'count', value: 'N', help: `keep only the newest N completed records; ${SAME}`, fallback: String(STORAGE_DEFAULTS.completedMax) },
  'dead-retention': { env: 'TASKLANE_DEAD_RETENTION', option: 'deadRetentionMs', kind: 'duration', value: 'TIME', help: `keep dead letters this long; ${SAME}`, fallback: '168h (7 days)' },
  'dedup-window': { env: 'TASKLANE_DEDUP_WINDOW', option: 'dedupWindowMs', kind: 'duration', value: 'TIME', help: `refuse a finished id on enqueue this long (0: no marker); ${SAME}`, fallback: '24h' },
  'max-stalls': { env: 'TASKLANE_MAX_STALLS', option: 'maxStalls', kind: 'count', value: 'N', help: `lost leases a task may have before it is dead-lettered (TASKLANE_ERR_STALLED); ${SAME}`, fallback: String(STORAGE_DEFAULTS.maxStalls) },
  shards: { env: 'TASKLANE_SHARDS', option: 'shards', kind: 'count', value: 'N', help: `split the queue into N shards (1 to ${SHARD_LIMIT}), so that it spans several masters of a Redis Cluster; fixed once the queue holds tasks; ${SAME}`, fallback: '1' },
  durability: { env: 'TASKLANE_DURABILITY', option: 'durability', kind: 'choice', value: DURABILITY_MODES.join('|'), help: 'replicated: each write waits for one replica to acknowledge it, else fails with TASKLANE_ERR_NOT_REPLICATED; async: the master\'s answer suffices, and a failover may lose the latest writes', fallback: 'async' },
};

const DAY = 86_400_000;
/** Longest retention or window a flag may ask for: a year, as --unknown-type-grace. */
const MAX_MS = 365 * DAY;

/**
 * Validates the storage options and fills in TaskQueue's defaults. Throws an OptionError
 * naming the option and the values it accepts.
 *
 * @example
 * resolveStorage({ completedRetentionMs: 200 }).completedRetention // { ms: 200, max: 500000 }
 */
export function resolveStorage(options: StorageOptions): QueueStorage {
  return {
    completedRetention: {
      ms: int(options.completedRetentionMs, 'completedRetentionMs', STORAGE_DEFAULTS.completedRetentionMs, 0, MAX_MS),
      max: int(options.completedMax, 'completedMax', STORAGE_DEFAULTS.completedMax, 0, 1_000_000_000),
    },
    // Dead letters need a lifetime (TaskQueue refuses 0); a zero window just keeps no marker.
    deadRetentionMs: int(options.deadRetentionMs, 'deadRetentionMs', STORAGE_DEFAULTS.deadRetentionMs, 1, MAX_MS),
    dedupWindowMs: int(options.dedupWindowMs, 'dedupWindowMs', STORAGE_DEFAULTS.dedupWindowMs, 0, MAX_MS),
    maxStalls: int(options.maxStalls, 'maxStalls', STORAGE_DEFAULTS.maxStalls, 0, 1000),
    shards: int(options.shards, 'shards', 1, 1, SHARD_LIMIT),
    durability: durability(options.durability),
  };
}

function durability(value: unknown): Durability {
  if (value === undefined) return 'async';
  if ((DURABILITY_MODES as unknown[]).includes(value)) return value as Durability;
  throw new OptionError('durability', `Expected \`durability\` to be one of ${DURABILITY_MODES.join(', ')}, got ${shown(value)}`);
}

function int(value: unknown, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new OptionError(name, `Expected \`${name}\` to be an integer from ${min} to ${max}, got ${shown(value)}`);
  }
  return value;
}

function shown(value: unknown): string {
  return typeof value === 'object' && value !== null ? 'an object' : `\`${String(value)}\` (${typeof value})`;
}

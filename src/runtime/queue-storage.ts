/**
 * The queue's storage settings as runtime options and flags: how long (and how many)
 * completed records are kept, how long dead letters and dedup markers are, and how many
 * lost leases a task may have. Every process of a queue reaps by its own values (a
 * completion, `stats` and the reaper delete completed records past the caller's time *and*
 * beyond the caller's `max`), so every process must be given the same ones. The supervisor
 * and the `tasklane` CLI read the same flags and variables from here; this module stays
 * free of the runtime's heavy dependencies so the CLI can load it.
 */
import { OptionError } from '../infra/errors.js';
import { STORAGE_DEFAULTS } from '../infra/retention.js';

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
}

/** The storage settings resolved, in the shape TaskQueueOptions takes (spread it in). */
export interface QueueStorage {
  completedRetention: { ms: number; max: number };
  deadRetentionMs: number;
  dedupWindowMs: number;
  maxStalls: number;
}

/** One storage flag: its variable, the option it sets, how its text reads, and its help. */
export interface StorageFlag {
  readonly env: string;
  readonly option: keyof StorageOptions;
  readonly kind: 'duration' | 'count';
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
  };
}

function int(value: unknown, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const shown = typeof value === 'object' && value !== null ? 'an object' : `\`${String(value)}\` (${typeof value})`;
    throw new OptionError(name, `Expected \`${name}\` to be an integer from ${min} to ${max}, got ${shown}`);
  }
  return value;
}

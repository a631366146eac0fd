import { OptionError } from './errors.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * Default `completedRetention.max`: completed records kept at most. A completed task with a
 * 100-byte payload takes about 930 B of Redis memory with its payload key, index entry, dedup
 * marker and Redis's own per-key overhead (the bench's memory case; "Sizing Redis" in the
 * README). 500,000 records are then under 0.5 GB, whatever the rate: at 27,000 tasks/s an
 * hour's window alone would hold ~97M records, ~90 GB. The time window still applies below
 * the cap: at 1M tasks a day the last hour holds ~42,000 records.
 */
export const DEFAULT_COMPLETED_MAX = 500_000;

/**
 * Defaults of the storage settings of TaskQueueOptions, in one place for the queue and for
 * the runtime's flags (src/runtime/queue-storage.ts), which must fill in the same values.
 *
 * @example
 * STORAGE_DEFAULTS.deadRetentionMs // 604_800_000 (7 days)
 */
export const STORAGE_DEFAULTS = {
  completedRetentionMs: HOUR,
  completedMax: DEFAULT_COMPLETED_MAX,
  deadRetentionMs: 7 * DAY,
  dedupWindowMs: DAY,
  maxStalls: 5,
} as const;

/** How long, and how many, completed (and cancelled) records are kept. */
export interface CompletedRetention {
  /** Records older than this are deleted (cancelled ones expire by it too). Default 1 h. */
  ms?: number;
  /** Only the newest this many completed records are kept. Default 500,000 (~0.5 GB; see DEFAULT_COMPLETED_MAX). */
  max?: number;
}

/**
 * The completed retention from `completedRetention` and the older `completedRetentionMs`
 * (either may give the time; both only when they agree).
 *
 * @example
 * completedRetention({ completedRetention: { max: 10_000 } }) // { ms: 3_600_000, max: 10_000 }
 */
export function completedRetention(options: { completedRetentionMs?: number; completedRetention?: CompletedRetention }): Required<CompletedRetention> {
  const given = options.completedRetention ?? {};
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    throw new OptionError('completedRetention', `Expected \`completedRetention\` to be an object { ms?, max? }, got \`${String(given)}\` (${typeof given})`);
  }
  for (const key of Object.keys(given)) {
    if (key !== 'ms' && key !== 'max') throw new OptionError(`completedRetention.${key}`, `Unknown option \`completedRetention.${key}\`; allowed: ms, max`);
  }
  const legacy = checkCount('completedRetentionMs', options.completedRetentionMs);
  const ms = checkCount('completedRetention.ms', given.ms);
  if (legacy !== undefined && ms !== undefined && legacy !== ms) {
    throw new OptionError('completedRetention.ms', `Expected \`completedRetention.ms\` to equal \`completedRetentionMs\` when both are given, got ${ms} and ${legacy}`);
  }
  return { ms: ms ?? legacy ?? STORAGE_DEFAULTS.completedRetentionMs, max: checkCount('completedRetention.max', given.max) ?? STORAGE_DEFAULTS.completedMax };
}

function checkCount(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new OptionError(name, `Expected \`${name}\` to be an integer from 0 and up, got \`${String(value)}\` (${typeof value})`);
  }
  return value;
}

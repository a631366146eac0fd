/**
 * The queue's storage settings of a `tasklane` command, from the supervisor's storage flags
 * and their variables, so that a command reaps and marks exactly as the workers do.
 */
import { parseDuration } from '../infra/duration.js';
import { OptionError } from '../infra/errors.js';
import { resolveStorage, STORAGE_FLAGS, type QueueStorage, type StorageOptions } from '../runtime/queue-storage.js';
import { stringFlag, type FlagValues } from './args.js';

/**
 * Reads `--completed-retention`, `--completed-max`, `--dead-retention`, `--dedup-window`,
 * `--max-stalls`, `--shards` and `--durability`, each falling back to its variable (TASKLANE_COMPLETED_RETENTION…), and
 * checks them. A bad value is an OptionError naming the flag, its variable and what it takes.
 *
 * @example
 * storageFromFlags({ 'completed-retention': '30s' }, {}).completedRetention // { ms: 30000, max: 500000 }
 */
export function storageFromFlags(values: FlagValues, env: NodeJS.ProcessEnv): QueueStorage {
  const options: Record<string, unknown> = {};
  for (const [name, flag] of Object.entries(STORAGE_FLAGS)) {
    const raw = stringFlag(values, name) ?? (env[flag.env] || undefined);
    if (raw === undefined) continue;
    const label = `--${name} (${flag.env})`;
    // A choice (--durability) is checked by resolveStorage, which names the values it takes.
    const value = flag.kind === 'choice' ? raw.trim() : flag.kind === 'duration' ? parseDuration(raw) : /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : null;
    if (value === null) {
      const what = flag.kind === 'duration' ? 'a duration such as 1500, 500ms, 30s, 2m or 1h' : 'a whole number from 0 up';
      throw new OptionError(`--${name}`, `${label} must be ${what}, got \`${raw}\``);
    }
    options[flag.option] = value;
  }
  try {
    return resolveStorage(options as StorageOptions);
  } catch (err) {
    if (!(err instanceof OptionError)) throw err;
    const [name, flag] = Object.entries(STORAGE_FLAGS).find(([, f]) => f.option === err.option)!;
    throw new OptionError(`--${name}`, `Invalid --${name} (${flag.env}): ${err.message}`);
  }
}

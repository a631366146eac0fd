/**
 * Flags of the `tasklane` commands: the ones every command takes, parsing with
 * node:util parseArgs, and the converters that turn a flag's text into a value or a
 * usage error naming the flag, what it accepts and what it got.
 */
import { parseArgs } from 'node:util';
import { parseDuration } from '../infra/duration.js';
import { OptionError } from '../infra/errors.js';
import { LANES, type Lane } from '../infra/types.js';
import { STORAGE_FLAGS } from '../runtime/queue-storage.js';
import { REDIS_CLUSTER_FLAG } from '../runtime/redis-address.js';

/** One flag of a command, as parseArgs takes it plus what `--help` shows. */
export interface FlagSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** Placeholder of the value in `--help`, e.g. `N`. */
  readonly value?: string;
  readonly help: string;
}

export type FlagValues = Record<string, string | boolean | undefined>;

/**
 * Flags every command takes. `--redis`, `--redis-cluster`, `--queue` and the storage flags fall back to the
 * same variables as the supervisor's, so one environment serves both. The storage flags are
 * the supervisor's own definitions: `stats`, `cancel` and the dead-letter purges reap or mark
 * by them, so they must match the workers'.
 *
 * @example
 * Object.keys(COMMON_FLAGS) // ['redis', 'redis-cluster', 'redis-tls-ca', 'queue', 'json', 'help', 'completed-retention', …]
 */
export const COMMON_FLAGS: Readonly<Record<string, FlagSpec>> = {
  redis: { type: 'string', value: 'URL', help: 'Redis to use (rediss:// for TLS); env REDIS_URL (preferred: a flag shows its password in `ps`), default redis://127.0.0.1:6379' },
  'redis-cluster': { type: 'string', value: REDIS_CLUSTER_FLAG.value, help: `${REDIS_CLUSTER_FLAG.help}; env ${REDIS_CLUSTER_FLAG.env}` },
  'redis-tls-ca': { type: 'string', value: 'PATH', help: 'PEM file of the CA that signed the Redis certificate; env TASKLANE_REDIS_TLS_CA, default Node\'s trust store' },
  queue: { type: 'string', value: 'NAME', help: 'queue name; env TASKLANE_QUEUE, default `default`' },
  json: { type: 'boolean', help: 'print one JSON document on stdout (on failure: {"error":{code,message,field?}})' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
  ...Object.fromEntries(Object.entries(STORAGE_FLAGS).map(([name, flag]) =>
    [name, { type: 'string', value: flag.value, help: `${flag.help}; env ${flag.env}, default ${flag.fallback}` } satisfies FlagSpec])),
};

/** Common flags that take a value: the command finder must skip their values. */
export const VALUE_FLAGS = new Set(Object.entries(COMMON_FLAGS).filter(([, f]) => f.type === 'string').map(([name]) => `--${name}`));

/**
 * Parses `argv` against a command's own flags plus the common ones. Unknown flags and
 * missing values become usage errors that list what `command` accepts.
 *
 * @example
 * parseFlags('tasklane get', {}, ['a', '--json']) // { values: { json: true }, positionals: ['a'] }
 */
export function parseFlags(command: string, flags: Readonly<Record<string, FlagSpec>>, argv: readonly string[]): { values: FlagValues; positionals: string[] } {
  const all = { ...flags, ...COMMON_FLAGS };
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [name, flag] of Object.entries(all)) options[name] = flag.short ? { type: flag.type, short: flag.short } : { type: flag.type };
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: true });
    return { values: values as FlagValues, positionals };
  } catch (err) {
    throw argumentError(command, Object.keys(all), err);
  }
}

function argumentError(command: string, names: readonly string[], err: unknown) {
  const e = err as { code?: string; message?: string };
  const quoted = /'([^']+)'/.exec(e.message ?? '')?.[1] ?? '?';
  const allowed = names.map((n) => `--${n}`).join(', ');
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    return new OptionError(quoted, `Unknown flag \`${quoted}\` for \`${command}\`; allowed flags: ${allowed}`);
  }
  if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const flag = quoted.split(' ')[0] ?? quoted;
    if (/argument missing/.test(e.message ?? '')) return new OptionError(flag, `${flag} needs a value`);
    if (/does not take an argument/.test(e.message ?? '')) return new OptionError(flag, `${flag} takes no value`);
    // parseArgs refuses `--priority -1`: a value that starts with "-" might be a flag.
    if (/ambiguous/.test(e.message ?? '')) return new OptionError(flag, `${flag} got a value starting with "-"; write it as ${flag}=VALUE`);
  }
  return new OptionError('argv', e.message ?? String(err));
}

/**
 * The flag's text, or undefined when absent. Refuses an empty value, which is always a slip.
 *
 * @example
 * stringFlag({ id: 'a' }, 'id') // 'a'
 */
export function stringFlag(values: FlagValues, name: string): string | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || raw === '') throw new OptionError(`--${name}`, `--${name} must not be empty`);
  return raw;
}

/**
 * A whole number from `min` to `max`; a decimal, a sign or a unit is a usage error.
 *
 * @example
 * intFlag({ priority: '5' }, 'priority') // 5
 */
export function intFlag(values: FlagValues, name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const raw = stringFlag(values, name);
  if (raw === undefined) return undefined;
  const n = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
  if (!(n >= min && n <= max)) {
    const range = max === Number.MAX_SAFE_INTEGER ? `from ${min} up` : `from ${min} to ${max}`;
    throw new OptionError(`--${name}`, `--${name} must be a whole number ${range}, got \`${raw}\``);
  }
  return n;
}

/**
 * A duration in milliseconds: a bare number is milliseconds, or a number with ms, s, m or h.
 *
 * @example
 * durationFlag({ delay: '30s' }, 'delay') // 30000
 */
export function durationFlag(values: FlagValues, name: string): number | undefined {
  const raw = stringFlag(values, name);
  if (raw === undefined) return undefined;
  const ms = parseDuration(raw);
  if (ms === null) throw new OptionError(`--${name}`, `--${name} must be a duration such as 1500, 500ms, 30s, 2m or 1h, got \`${raw}\``);
  return ms;
}

/**
 * A lane name.
 *
 * @example
 * laneFlag({ lane: 'long' }, 'lane') // 'long'
 */
export function laneFlag(values: FlagValues, name: string): Lane | undefined {
  const raw = stringFlag(values, name);
  if (raw === undefined) return undefined;
  if (!(LANES as readonly string[]).includes(raw)) throw new OptionError(`--${name}`, `--${name} must be ${LANES.join(' or ')}, got \`${raw}\``);
  return raw as Lane;
}

/**
 * A JSON document; the parser's complaint is kept so the user sees where it broke.
 *
 * @example
 * jsonFlag({ payload: '{"a":1}' }, 'payload') // { a: 1 }
 */
export function jsonFlag(values: FlagValues, name: string): unknown {
  const raw = stringFlag(values, name);
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw);
  } catch (err) {
    const shown = raw.length > 60 ? `${raw.slice(0, 57)}...` : raw;
    throw new OptionError(`--${name}`, `--${name} must be valid JSON (${(err as Error).message}), got \`${shown}\``);
  }
}

/**
 * Checks the number of positional arguments, e.g. a `get` without its ID.
 *
 * @example
 * expectPositionals('tasklane get', ['a'], ['ID']) // ['a']
 */
export function expectPositionals(command: string, positionals: readonly string[], names: readonly string[], optional = false): string[] {
  if (positionals.length > names.length) {
    throw new OptionError('argv', `Unexpected argument \`${positionals[names.length]}\`: \`${command}\` takes ${names.length === 0 ? 'no arguments' : names.join(' ')}`);
  }
  if (!optional && positionals.length < names.length) {
    throw new OptionError('argv', `\`${command}\` needs ${names.slice(positionals.length).join(' ')}`);
  }
  return [...positionals];
}

/**
 * The supervisor's command line: flags, their environment-variable twins, defaults and
 * `--help`, turned into `RuntimeOptions`. A flag beats its variable; both beat the
 * default. Every problem becomes an OptionError whose `option` is the flag (`--short`)
 * and whose message names the flag, its variable and what it accepts.
 */
import { parseArgs } from 'node:util';
import { parseDuration } from '../infra/duration.js';
import { OptionError } from '../infra/errors.js';
import { LOG_LEVELS } from './logger.js';
import { tokenProblem } from './http/auth.js';
import { parseListen, type ListenAddress } from './http/listen.js';
import { loadTlsFiles, type TlsMaterial } from './http/tls.js';
import { resolveOptions, type RuntimeOptions } from './options.js';
import { STORAGE_FLAGS } from './queue-storage.js';
import { chooseRedis, REDIS_CLUSTER_FLAG } from './redis-address.js';

type Kind = 'string' | 'count' | 'duration' | 'choice' | 'boolean' | 'level' | 'listen' | 'secret' | 'cluster';

/** Settings of the supervisor program itself rather than of its runtime. */
interface ProgramOptions {
  http?: ListenAddress;
  httpToken?: string;
  httpReadToken?: string;
  httpTlsCert?: string;
  httpTlsKey?: string;
}

/** The HTTP server the command line asked for. */
export type HttpRequest = ListenAddress & { token: string | null; readToken: string | null; tls: TlsMaterial | null };

interface Flag {
  readonly env: string;
  readonly option: keyof RuntimeOptions | keyof ProgramOptions;
  readonly kind: Kind;
  readonly value?: string;
  readonly help: string;
  readonly fallback: string;
}

/** Every flag, in `--help` order. */
export const FLAGS: Readonly<Record<string, Flag>> = {
  short: { env: 'TASKLANE_SHORT', option: 'short', kind: 'count', value: 'N', help: 'short-lane actors (deadline per task)', fallback: '4' },
  long: { env: 'TASKLANE_LONG', option: 'long', kind: 'count', value: 'N', help: 'long-lane actors (heartbeats, no deadline)', fallback: '1' },
  redis: { env: 'REDIS_URL', option: 'redis', kind: 'string', value: 'URL', help: 'Redis to use (redis:// or rediss:// for TLS; prefer the variable: a flag shows its password in `ps`)', fallback: 'redis://127.0.0.1:6379' },
  // Read together with --redis (see chooseRedis): both set `redis`, and only one may be given.
  'redis-cluster': { env: REDIS_CLUSTER_FLAG.env, option: 'redis', kind: 'cluster', value: REDIS_CLUSTER_FLAG.value, help: REDIS_CLUSTER_FLAG.help, fallback: 'none' },
  'redis-tls-ca': { env: 'TASKLANE_REDIS_TLS_CA', option: 'redisTlsCa', kind: 'string', value: 'PATH', help: 'PEM file of the CA that signed the Redis certificate (with rediss://)', fallback: 'Node\'s default trust store' },
  queue: { env: 'TASKLANE_QUEUE', option: 'queue', kind: 'string', value: 'NAME', help: 'queue name', fallback: 'default' },
  'api-url': { env: 'EXTERNAL_API_URL', option: 'apiUrl', kind: 'string', value: 'URL', help: 'external API endpoint; registers the `http` task type', fallback: 'none' },
  'api-timeout': { env: 'TASKLANE_API_TIMEOUT', option: 'apiTimeoutMs', kind: 'duration', value: 'TIME', help: 'long-lane `http` tasks: how long the external API may take to answer (ms, or 500ms/30s/2m/1h)', fallback: '5m' },
  handlers: { env: 'TASKLANE_HANDLERS', option: 'handlers', kind: 'string', value: 'PATH', help: 'module whose default export maps task type → handler', fallback: 'none' },
  concurrency: { env: 'TASKLANE_CONCURRENCY', option: 'concurrency', kind: 'count', value: 'N', help: 'tasks in flight per actor', fallback: '10' },
  processes: { env: 'TASKLANE_PROCESSES', option: 'processes', kind: 'count', value: 'N', help: 'worker processes the actors are spread over; 0 runs them all in the supervisor', fallback: 'one per lane that has actors (1 if none)' },
  'share-lanes': { env: 'TASKLANE_SHARE_LANES', option: 'shareLanes', kind: 'boolean', help: 'let short and long actors share a process', fallback: 'off' },
  'lease-ms': { env: 'TASKLANE_LEASE_MS', option: 'leaseMs', kind: 'count', value: 'MS', help: 'lease length in milliseconds', fallback: '30000' },
  'task-timeout': { env: 'TASKLANE_TASK_TIMEOUT', option: 'taskTimeoutMs', kind: 'duration', value: 'TIME', help: 'short-lane deadline for tasks that set no timeoutMs (ms, or 500ms/30s/2m/1h)', fallback: '30s' },
  'drain-timeout': { env: 'TASKLANE_DRAIN_TIMEOUT', option: 'drainTimeoutMs', kind: 'duration', value: 'TIME', help: 'on SIGTERM/SIGINT, how long in-flight tasks may finish (ms, or 500ms/30s/2m/1h)', fallback: '25s' },
  'redis-wait': { env: 'TASKLANE_REDIS_WAIT', option: 'redisWaitMs', kind: 'duration', value: 'TIME', help: 'exit 3 when Redis has not answered within TIME at start-up (ms, or 500ms/30s/2m/1h); no worker starts before it answers', fallback: 'wait as long as it takes' },
  'unknown-type-grace': { env: 'TASKLANE_UNKNOWN_TYPE_GRACE', option: 'unknownTypeGraceMs', kind: 'duration', value: 'TIME', help: 'park tasks of a type no worker handles (uncounted) this long after their creation before dead-lettering them (0: at once)', fallback: '15m' },
  'api-rate': { env: 'TASKLANE_API_RATE', option: 'apiRate', kind: 'string', value: 'N/s|N/m', help: 'at most N calls to the external API in any sliding second (N/s) or minute (N/m), across every worker and supervisor of the queue', fallback: 'no limit' },
  'api-max-in-flight': { env: 'TASKLANE_API_MAX_IN_FLIGHT', option: 'apiMaxInFlight', kind: 'count', value: 'N', help: 'calls to the external API in flight at once across every worker (0: no cap)', fallback: '0' },
  'api-breaker': { env: 'TASKLANE_API_BREAKER', option: 'apiBreaker', kind: 'string', value: 'on|off', help: 'the shared circuit breaker of the external API', fallback: 'on' },
  'api-breaker-threshold': { env: 'TASKLANE_API_BREAKER_THRESHOLD', option: 'apiBreakerThreshold', kind: 'string', value: 'RATIO', help: 'failure ratio (above 0, at most 1) of the newest calls that opens the breaker', fallback: '0.8' },
  'api-breaker-cooldown': { env: 'TASKLANE_API_BREAKER_COOLDOWN', option: 'apiBreakerCooldownMs', kind: 'duration', value: 'TIME', help: 'first cooldown of an open breaker before its one probe; doubled per failed probe up to 30s', fallback: '2s' },
  'api-max-throttles': { env: 'TASKLANE_API_MAX_THROTTLES', option: 'apiMaxThrottles', kind: 'count', value: 'N', help: '429s a task may get (uncounted) before it is dead-lettered with TASKLANE_ERR_THROTTLED (0: no cap)', fallback: '50' },
  // Shared with every `tasklane` command (src/cli/args.ts), which reaps by them too (and opens the queue with the same shards).
  ...STORAGE_FLAGS,
  'log-level': { env: 'LOG_LEVEL', option: 'logLevel', kind: 'level', value: 'LEVEL', help: LOG_LEVELS.join('|'), fallback: 'info' },
  http: { env: 'TASKLANE_HTTP', option: 'http', kind: 'listen', value: 'HOST:PORT', help: 'serve the operator HTTP API, /metrics and the dashboard on HOST:PORT, or PORT on 127.0.0.1 (0 picks a free port)', fallback: 'off' },
  'http-token': { env: 'TASKLANE_HTTP_TOKEN', option: 'httpToken', kind: 'secret', value: 'TOKEN', help: 'bearer token required by POST/DELETE on the HTTP API, and by reads beyond loopback; mandatory when --http binds beyond loopback', fallback: 'none' },
  'http-read-token': { env: 'TASKLANE_HTTP_READ_TOKEN', option: 'httpReadToken', kind: 'secret', value: 'TOKEN', help: 'read-only bearer token (GET routes, /metrics); guards reads on loopback too; needs --http-token', fallback: 'none' },
  'http-tls-cert': { env: 'TASKLANE_HTTP_TLS_CERT', option: 'httpTlsCert', kind: 'string', value: 'PATH', help: 'PEM certificate (chain) file: serve HTTPS; needs --http-tls-key', fallback: 'none (plain HTTP)' },
  'http-tls-key': { env: 'TASKLANE_HTTP_TLS_KEY', option: 'httpTlsKey', kind: 'string', value: 'PATH', help: 'PEM private key file of --http-tls-cert', fallback: 'none' },
};

/** Runtime settings take these; the rest of the flags are the program's own. */
const PROGRAM_OPTIONS: ReadonlySet<string> = new Set<keyof ProgramOptions>(['http', 'httpToken', 'httpReadToken', 'httpTlsCert', 'httpTlsKey']);
/** Flags that mean nothing without --http. */
const HTTP_ONLY_FLAGS = ['http-token', 'http-read-token', 'http-tls-cert', 'http-tls-key'] as const;

/** What the command line asked for: runtime `options`, and the HTTP server (`http`, null when off). */
export type CliRequest = { help: true } | { help: false; options: RuntimeOptions; http: HttpRequest | null };

/**
 * Parses the supervisor's arguments and environment, and validates the result.
 *
 * @example
 * parseCli(['--short', '8', '--long', '2'], process.env) // { help: false, options: { short: 8, long: 2, … } }
 */
export function parseCli(argv: readonly string[], env: NodeJS.ProcessEnv): CliRequest {
  const parseOptions: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const [name, flag] of Object.entries(FLAGS)) parseOptions[name] = { type: flag.kind === 'boolean' ? 'boolean' : 'string' };
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: [...argv], options: parseOptions, strict: true, allowPositionals: false }));
  } catch (err) {
    throw argumentError(err);
  }
  if (values.help) return { help: true };

  const options: Record<string, unknown> = {};
  const program: ProgramOptions = {};
  const redis = chooseRedis({ redis: (values.redis as string | undefined) || undefined, cluster: (values['redis-cluster'] as string | undefined) || undefined }, env);
  if (redis !== undefined) options.redis = redis;
  for (const [name, flag] of Object.entries(FLAGS)) {
    if (flag.option === 'redis') continue;
    const fromFlag = values[name];
    const raw = fromFlag ?? env[flag.env];
    if (raw === undefined || raw === '') continue;
    const source = fromFlag === undefined ? `\`${flag.env}\` (--${name})` : `\`--${name}\` (${flag.env})`;
    if (PROGRAM_OPTIONS.has(flag.option)) (program as Record<string, unknown>)[flag.option] = convert(raw, flag, source);
    else options[flag.option] = convert(raw, flag, source);
  }
  try {
    resolveOptions(options as RuntimeOptions);
  } catch (err) {
    throw err instanceof OptionError ? asFlagError(err) : err;
  }
  return { help: false, options: options as RuntimeOptions, http: httpRequest(program, HTTP_ONLY_FLAGS.filter((name) => values[name] !== undefined)) };
}

/**
 * The HTTP server's settings; anyone who can reach a non-loopback address must present a
 * token. A `--http-token` (or read token, or TLS) flag without a server is refused: the
 * operator meant to protect something, and a silently unused setting hides that nothing is
 * served. (The variables alone are ignored then: an environment is often shared with
 * programs that serve nothing.) A read-only token without the full one is refused: reads
 * would be guarded while anyone could change the queue.
 */
function httpRequest(p: ProgramOptions, flagsGiven: readonly string[]): HttpRequest | null {
  const { http, httpToken, httpReadToken } = p;
  if (!http) {
    const [flag] = flagsGiven;
    if (flag) throw new OptionError(`--${flag}`, `--${flag} needs --http (TASKLANE_HTTP): without it no HTTP server runs, so the setting would protect nothing; add --http PORT or drop --${flag}`);
    return null;
  }
  if (tokenProblem(httpToken ?? null, http.host) === 'missing') {
    throw new OptionError('--http-token', `--http binds ${http.host}, beyond loopback: set a token with --http-token (TASKLANE_HTTP_TOKEN) so that only holders can read tasks or enqueue, cancel or replay them, or bind 127.0.0.1`);
  }
  if (httpReadToken !== undefined && httpToken === undefined) {
    throw new OptionError('--http-read-token', '--http-read-token (TASKLANE_HTTP_READ_TOKEN) needs --http-token (TASKLANE_HTTP_TOKEN): a read-only token alone would guard reads and leave enqueue, cancel and replay open; set both');
  }
  if (httpReadToken !== undefined && httpReadToken === httpToken) {
    throw new OptionError('--http-read-token', '--http-read-token (TASKLANE_HTTP_READ_TOKEN) must differ from --http-token (TASKLANE_HTTP_TOKEN): one secret cannot be both read-only and full');
  }
  const tls = loadTlsFiles({ cert: p.httpTlsCert, key: p.httpTlsKey });
  return { ...http, token: httpToken ?? null, readToken: httpReadToken ?? null, tls };
}

/**
 * The `--help` text.
 *
 * @example
 * process.stdout.write(helpText());
 */
export function helpText(): string {
  const rows = Object.entries(FLAGS).map(([name, flag]) => {
    const left = `  --${name}${flag.value ? ` ${flag.value}` : ''}`;
    return `${left.padEnd(25)} ${flag.help}\n${''.padEnd(26)}env ${flag.env}; default: ${flag.fallback}`;
  });
  return [
    'Usage: node dist/supervisor.js [flags]      (also: tasklane supervisor [flags])',
    '',
    'Runs tasklane actors in worker processes (node:cluster). Short- and long-lane actors',
    'never share a process unless --share-lanes is given. A dead worker\'s tasks are',
    'released at once and the worker is restarted; SIGTERM/SIGINT drains, a second one forces.',
    '',
    'Flags (a flag overrides its environment variable):',
    ...rows,
    `${'  -h, --help'.padEnd(26)}show this help`,
    '',
    'Exit codes: 0 after a graceful stop; 1 when no worker can run (crash loop);',
    '2 for invalid flags or a --handlers module that does not load; 3 when Redis did not',
    'answer within --redis-wait; 130/143 after a forced stop (second SIGINT/SIGTERM).',
    '',
  ].join('\n');
}

function convert(raw: string | boolean, flag: Flag, source: string): unknown {
  if (flag.kind === 'boolean') {
    if (typeof raw === 'boolean') return raw;
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    throw new OptionError(`--${flagName(flag)}`, `Expected ${source} to be true or false, got \`${raw}\``);
  }
  const text = String(raw).trim();
  if (flag.kind === 'count') {
    if (!/^\d+$/.test(text)) throw new OptionError(`--${flagName(flag)}`, `Expected ${source} to be a whole number from 0 up, got \`${text}\``);
    return Number(text);
  }
  if (flag.kind === 'duration') {
    const ms = parseDuration(text);
    if (ms === null) throw new OptionError(`--${flagName(flag)}`, `Expected ${source} to be a duration such as 30000, 500ms, 30s or 2m (a number of ms, or with unit ms, s, m or h), got \`${text}\``);
    return ms;
  }
  if (flag.kind === 'listen') {
    const address = parseListen(text);
    if (!address) throw new OptionError(`--${flagName(flag)}`, `Expected ${source} to be PORT or HOST:PORT with a port from 0 to 65535 (IPv6 as [::1]:PORT), such as 9464, 127.0.0.1:9464 or 0.0.0.0:9464, got \`${text}\``);
    return address;
  }
  if (flag.kind === 'secret' && tokenProblem(text) === 'malformed') {
    // Shown as a length only: the value is a secret and may be half right.
    throw new OptionError(`--${flagName(flag)}`, `Expected ${source} to be 1 to 512 printable ASCII characters without spaces (it is sent as \`Authorization: Bearer <token>\`), got a value of ${text.length} characters`);
  }
  if (flag.kind === 'level' && !(LOG_LEVELS as readonly string[]).includes(text)) {
    throw new OptionError(`--${flagName(flag)}`, `Expected ${source} to be one of ${LOG_LEVELS.join(', ')}, got \`${text}\``);
  }
  return text;
}

function flagName(flag: Flag): string {
  return Object.entries(FLAGS).find(([, f]) => f === flag)![0];
}

/** Rewords an option error from validation in terms of the flag a CLI user typed. */
function asFlagError(err: OptionError): OptionError {
  const entry = Object.entries(FLAGS).find(([, flag]) => flag.option === err.option.split('.')[0]);
  if (!entry) return err;
  const [name, flag] = entry;
  return new OptionError(`--${name}`, `Invalid --${name} (${flag.env}): ${err.message}`);
}

function argumentError(err: unknown): OptionError {
  const e = err as { code?: string; message?: string };
  const allowed = ['--help', ...Object.keys(FLAGS).map((name) => `--${name}`)].join(', ');
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const flag = /'([^']+)'/.exec(e.message ?? '')?.[1] ?? '?';
    return new OptionError(flag, `Unknown flag \`${flag}\`; allowed flags: ${allowed}`);
  }
  if (e.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    const arg = /'([^']+)'/.exec(e.message ?? '')?.[1] ?? '?';
    return new OptionError('argv', `Unexpected argument \`${arg}\`: tasklane takes flags only (${allowed})`);
  }
  return new OptionError('argv', `${e.message ?? String(err)} (a value starting with "-" must be written --flag=value)`);
}

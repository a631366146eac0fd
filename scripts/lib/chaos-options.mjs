// Flags of `npm run chaos`, with their defaults and `--help`.
import { parseArgs } from 'node:util';

/** Every flag: [name, kind, default, help]. `int` and `number` are checked against [min, max]; a `choice` against its list of values. */
const FLAGS = [
  ['tasks', 'int', 20_000, 'unique tasks (plus about 10% resubmitted ids)', 1, 10_000_000],
  ['seed', 'int', null, 'seed of the workload, the API\'s dice and the victims (default: random)', 0, 2 ** 32 - 1],
  ['kill-every-ms', 'int', null, 'SIGKILL a random worker process this often; 0: never (default 500; 2000 with --cluster, where a worker takes 2-3 times longer to start)', 0, 3_600_000],
  ['kill-ready-only', 'boolean', false, 'pick victims only among workers the supervisor has logged ready (harsher: fresh workers die before they finish anything)'],
  ['fail-rate', 'number', 0.2, 'share of API calls that fail: 80% of it 500, 20% hang (429s come from the quota)', 0, 0.95],
  ['quota', 'int', 400, 'the API answers 429 (Retry-After) to calls beyond this many in any sliding second', 1, 1_000_000],
  ['api-rate', 'int', 300, 'the supervisor\'s --api-rate, per second; 0: no rate limit', 0, 1_000_000],
  ['outage-at', 'number', 0.3, 'the API answers 503 to everything once this share of the tasks has finished...', 0, 1],
  ['outage-ms', 'int', 3000, '...for this long; 0: no outage', 0, 600_000],
  ['no-redis-restart', 'boolean', false, 'do not kill and restart Redis (--cluster: fail a master over) in the middle of the run'],
  ['redis-restart-at', 'number', 0.5, 'restart Redis (--cluster: kill a master) once this share of the tasks has finished', 0, 1],
  ['redis-signal', 'signal', 'SIGKILL', 'how Redis (--cluster: the master) is stopped: SIGKILL or SIGTERM'],
  ['redis-down-ms', 'int', 1500, 'how long Redis stays down before it is started again', 0, 600_000],
  ['timeout', 'int', 300, 'seconds for every task to finish before the books are closed as they stand', 1, 86_400],
  ['short', 'int', 8, 'short-lane actors (supervisor --short)', 1, 1000],
  ['long', 'int', 2, 'long-lane actors (supervisor --long)', 1, 1000],
  ['processes', 'int', 8, 'worker processes (supervisor --processes); kills pick among them', 2, 256],
  ['cluster', 'boolean', false, 'run on a private Redis Cluster (3 masters + 3 replicas, AOF) instead of one redis-server: the mid-run kill SIGKILLs the master of shard 0 and waits for the failover'],
  ['shards', 'int', null, 'with --cluster: the queue\'s shards (supervisor --shards; default 6)', 1, 1024],
  ['durability', 'choice', null, 'async or replicated (supervisor --durability; default replicated with --cluster, async without)', ['async', 'replicated']],
  ['no-rejoin', 'boolean', false, 'with --cluster: leave the killed master down instead of restarting it (as a replica) --redis-down-ms after the failover'],
  ['log', 'string', null, 'keep the supervisor\'s log at this path (default: a temp file, kept only on failure)'],
];

/**
 * The `--help` text.
 *
 * @example
 * process.stdout.write(chaosHelp());
 */
export function chaosHelp() {
  const rows = FLAGS.map(([name, kind, fallback, help]) => {
    const left = `  --${name}${kind === 'boolean' ? '' : ' ' + (kind === 'string' ? 'PATH' : kind === 'signal' ? 'SIGNAL' : kind === 'choice' ? 'MODE' : 'N')}`;
    const def = fallback === null || fallback === false ? '' : ` (default ${fallback})`;
    return `${left.padEnd(26)}${help}${def}`;
  });
  return [
    'Usage: node scripts/chaos.mjs [flags]      (npm run chaos -- [flags])',
    '',
    'Runs the real supervisor against a private redis-server (AOF, appendfsync always) and a',
    'flaky idempotent API, kills worker processes and Redis itself along the way, and checks',
    'that every task ends completed or dead exactly once: nothing lost, no side effect twice,',
    'no dead letter without its reason, no second task for a resubmitted id.',
    '',
    ...rows,
    `${'  -h, --help'.padEnd(26)}show this help`,
    '',
    'Exit codes: 0 when the books balance; 1 when they do not (or the run failed);',
    '2 for invalid flags; 130 after Ctrl-C.',
    '',
  ].join('\n');
}

/**
 * Parses `argv`. Throws an Error whose message names the flag for anything invalid.
 *
 * @example
 * readChaosOptions(['--tasks', '2000']).tasks // 2000
 */
export function readChaosOptions(argv) {
  const options = { help: { type: 'boolean', short: 'h' } };
  for (const [name, kind] of FLAGS) options[name] = { type: kind === 'boolean' ? 'boolean' : 'string' };
  const { values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  if (values.help) return { help: true };
  const out = { help: false };
  for (const [name, kind, fallback, , min, max] of FLAGS) {
    const raw = values[name];
    out[camel(name)] = raw === undefined ? fallback : convert(name, kind, raw, min, max);
  }
  out.seed ??= Math.floor(Math.random() * 1e6);
  if (!out.cluster) {
    // One redis-server has no replica for WAIT to count, and the books scan one shard there.
    if (out.durability === 'replicated') throw new Error('Expected --durability replicated only with --cluster (one redis-server has no replica)');
    if (out.shards !== null) throw new Error('Expected --shards only with --cluster');
    if (out.noRejoin) throw new Error('Expected --no-rejoin only with --cluster');
  }
  // Without the old master back its slots have no replica, and every replicated write there fails.
  if (out.noRejoin && out.durability !== 'async') throw new Error('Expected --no-rejoin only with --durability async (a master without a replica fails every replicated write)');
  out.killEveryMs ??= out.cluster ? 2000 : 500;
  out.shards ??= out.cluster ? 6 : 1;
  out.durability ??= out.cluster ? 'replicated' : 'async';
  return out;
}

function convert(name, kind, raw, min, max) {
  if (kind === 'boolean' || kind === 'string') return raw;
  if (kind === 'choice') {
    if (!min.includes(raw)) throw new Error(`Expected --${name} to be one of ${min.join(', ')}, got \`${raw}\``);
    return raw;
  }
  if (kind === 'signal') {
    if (raw !== 'SIGKILL' && raw !== 'SIGTERM') throw new Error(`Expected --${name} to be SIGKILL or SIGTERM, got \`${raw}\``);
    return raw;
  }
  const value = Number(raw);
  const whole = kind === 'int';
  if (raw.trim() === '' || !Number.isFinite(value) || (whole && !Number.isInteger(value)) || value < min || value > max) {
    throw new Error(`Expected --${name} to be a ${whole ? 'whole number' : 'number'} from ${min} to ${max}, got \`${raw}\``);
  }
  return value;
}

function camel(name) {
  return name.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
}

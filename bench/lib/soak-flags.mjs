// Command-line flags of bench/soak.mjs. Every numeric flag is an integer with a floor.
import { parseArgs } from 'node:util';

/** name: [default, smallest allowed, help]. A null default is derived (see parseSoakFlags). */
const FLAGS = {
  tasks: [1_000_000, 1, 'tasks to process'],
  workers: [1, 1, 'worker processes, one short-lane actor each'],
  concurrency: [100, 1, 'tasks each worker runs at once'],
  batch: [1000, 1, 'tasks per enqueueMany call'],
  rate: [5000, 0, 'tasks enqueued per second; steady, so the windows hold a steady number of tasks (0: as fast as the workers take them, and used_memory follows throughput)'],
  'max-waiting': [null, 1, 'most tasks waiting before the producer pauses (default a twentieth of --tasks, from 1000 to 20000)'],
  'completed-retention-ms': [60_000, 1, 'how long completed records are kept'],
  'dedup-window-ms': [60_000, 1, 'how long dedup markers are kept'],
  'sample-ms': [null, 100, 'sampling interval (default 2000, or a 25th of the shorter window when that is less, at least 100)'],
  'payload-bytes': [100, 11, 'payload size as JSON'],
  'calibration-tasks': [100_000, 1, 'tasks in the dedup-marker calibration (capped at --tasks)'],
  'max-growth-pct': [10, 0, 'flatness: most growth from the first to the second half of the steady samples, in % of the level'],
  'horizon-min': [10, 1, 'report only: minutes over which the steady slope is extrapolated'],
};

/**
 * Parses and checks the soak's flags; prints usage for --help. Exits 2 on a bad value,
 * naming the flag.
 *
 * @example
 * parseSoakFlags(['--tasks', '50000']).completedRetentionMs // 60000
 */
export function parseSoakFlags(args) {
  const options = { out: { type: 'string', default: 'bench/soak.json' }, help: { type: 'boolean', default: false } };
  for (const name of Object.keys(FLAGS)) options[name] = { type: 'string' };
  let values;
  try {
    ({ values } = parseArgs({ args, options }));
  } catch (error) {
    console.error(`soak: ${error.message}. Run with --help to see every flag.`);
    process.exit(2);
  }
  if (values.help) {
    console.log('Usage: npm run soak -- [flags]\n' +
      Object.entries(FLAGS).map(([name, [fallback, , help]]) => `  --${name.padEnd(24)} ${help}${fallback === null ? '' : ` (default ${fallback})`}`).join('\n') +
      '\n  --out                      results JSON; the plot goes next to it as .svg (default bench/soak.json)');
    process.exit(0);
  }
  const parsed = { out: values.out };
  for (const [name, [fallback, min]] of Object.entries(FLAGS)) {
    const raw = values[name];
    if (raw === undefined && fallback === null) continue;
    const value = raw === undefined ? fallback : Number(raw);
    if (!Number.isInteger(value) || value < min) {
      console.error(`Expected \`--${name}\` to be an integer from ${min} and up, got \`${raw}\``);
      process.exit(2);
    }
    parsed[camel(name)] = value;
  }
  // A backlog that is a large share of a short run would leave little of it steady: it drains at the end.
  parsed.maxWaiting ??= Math.max(1000, Math.min(20_000, Math.floor(parsed.tasks / 20)));
  // Short windows fill and drain within seconds; 2 s samples would miss the steady state.
  parsed.sampleMs ??= Math.max(100, Math.min(2000, Math.floor(Math.min(parsed.completedRetentionMs, parsed.dedupWindowMs) / 25)));
  return parsed;
}

function camel(name) {
  return name.replace(/-(\w)/g, (_, ch) => ch.toUpperCase());
}

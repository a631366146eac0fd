// `npm run demo`: the whole system end to end in one command. A private redis-server (or
// REDIS_URL, with a queue of its own), a flaky local API, the real supervisor as a child
// process, and a producer submitting a few thousand tasks; then the books: every task
// completed or dead, and the API's side effects equal to the completed tasks.
//
//   node scripts/demo.mjs [--tasks 3000] [--seed N] [--out demo-output] [--timeout 50]
//
// Exit 0 only when the books balance and every child stopped cleanly; 1 otherwise;
// 130 after Ctrl-C (a second Ctrl-C kills the children instead of draining them).
import { mkdirSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { TaskQueue } from '../dist/index.js';
import { redactUrl } from '../dist/runtime/logger.js';
import { abortable, DemoChildren, describeExit, expected, INTERRUPTED_EXIT, onInterrupt, within } from './lib/demo-children.mjs';
import { closeBooks, renderBooks, workerCounters } from './lib/demo-report.mjs';
import { formatMs, isSettled, LiveStats, progressWriter } from './lib/demo-progress.mjs';
import { PERMANENT_KINDS, planWorkload, SHORT_TIMEOUT_MS } from './lib/demo-workload.mjs';
import { apiTroubleBooks, OutageWindow } from './lib/api-trouble.mjs';
import { startFlakyApi } from './lib/flaky-api.mjs';
import { redisServerInstalled, startRedisServer } from './lib/redis-server.mjs';
import { startSupervisorChild } from './lib/supervisor-child.mjs';

/** How long the supervisor may take to drain and exit after SIGTERM before it is killed. */
const SUPERVISOR_STOP_MS = 20_000;
/** Pause between enqueueMany calls, so the work streams in as a producer's would. */
const PRODUCE_EVERY_MS = 100;
/** The API allows this many calls in any second (429 beyond); the supervisor's --api-rate stays under it. */
const API_QUOTA = 250;
const API_RATE = 200;
/** The API answers 503 to everything for OUTAGE_MS once OUTAGE_AT of the tasks are done. */
const OUTAGE_AT = 0.3;
const OUTAGE_MS = 2000;

const opts = readOptions();
const startedAt = Date.now();
const say = (text = '') => process.stdout.write(`${text}\n`);
/** Everything this run started. */
const own = new DemoChildren({ supervisorStopMs: SUPERVISOR_STOP_MS });
const interrupted = onInterrupt({
  say,
  stopping: 'stopping the children this demo started (again to kill them at once)',
  onSecond: (signal) => {
    own.killAll();
    say(`${signal} again: killed the supervisor${own.redis ? ' and the private redis-server' : ''}`);
  },
});
// Last resort for a crash: no child outlives the demo.
process.on('exit', () => own.killAll());

let code = 1;
try {
  code = await run();
} catch (err) {
  // Expected failures (an unreachable Redis, a supervisor that will not start) say what happened; anything else is a bug and keeps its stack.
  if (!interrupted.aborted) say(`\ndemo failed: ${err?.expected ? err.message : (err?.stack ?? err)}`);
  code = interrupted.aborted ? INTERRUPTED_EXIT : 1;
  const privateRedis = Boolean(own.redis);
  const stopped = await own.shutdown().catch((e) => say(`shutdown failed: ${e.message}`));
  if (stopped) say(`stopped: supervisor ${describeExit(stopped.supervisor, SUPERVISOR_STOP_MS)} · API closed${privateRedis ? ' · private redis-server stopped' : ''}; exit ${code}`);
}
// Ctrl-C during the closing shutdown still means the run was cut short.
process.exit(interrupted.aborted ? INTERRUPTED_EXIT : code);

async function run() {
  const queueName = `demo-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const logFile = join(opts.out, 'supervisor.log');
  mkdirSync(opts.out, { recursive: true });
  const plan = planWorkload({ tasks: opts.tasks, seed: opts.seed });
  say(`tasklane demo: ${plan.ids.length} tasks (+${plan.duplicates} resubmitted ids) through the real supervisor [seed ${opts.seed}]`);

  let url = process.env.REDIS_URL;
  if (url) {
    say(`  redis       REDIS_URL ${redactUrl(url)}: queue ${queueName} of its own; nothing is flushed`);
  } else {
    if (!redisServerInstalled()) {
      throw expected('no redis-server on PATH, and no REDIS_URL. Install one with `apt-get install redis-server` (Debian/Ubuntu; `brew install redis` on macOS), or set REDIS_URL to a Redis you run (the demo uses a queue of its own there and flushes nothing).');
    }
    own.redis = await startRedisServer({ detached: true });
    url = own.redis.url;
    say(`  redis       no REDIS_URL: started a private redis-server at ${url} (throwaway dir ${own.redis.dir})`);
  }
  own.queue = new TaskQueue({ redis: url, name: queueName });
  own.queue.on('queue:warning', (message) => say(`  warning     ${message}`));
  // ioredis reconnects on its own; the listener keeps it from printing every failed attempt.
  let redisError = '';
  own.queue.redis.on('error', (err) => {
    redisError = err.message;
  });
  await abortable(within(own.queue.redis.ping(), 5000, () => `cannot reach Redis at ${redactUrl(url)}${redisError ? ` (${redisError})` : ''}`), interrupted);

  own.api = await startFlakyApi({
    latencyMs: [5, 40], failRate: 0.15, hangRate: 0.03, quota: { limit: API_QUOTA, windowMs: 1000 },
    permanentTypes: PERMANENT_KINDS, seed: opts.seed,
  });
  const outage = new OutageWindow(own.api, { atShare: OUTAGE_AT, ms: OUTAGE_MS });
  for (const [key, steps] of plan.scripts) own.api.script(key, steps);
  const apiUrl = `${own.api.url}/tasks`;
  say(`  api         ${apiUrl}: 5–40 ms; 15% 500, 3% hang past the ${formatMs(SHORT_TIMEOUT_MS)} deadline; 429 beyond ${API_QUOTA} calls in any second;`);
  say(`              an outage (503 to every call) for ${formatMs(OUTAGE_MS)} once ${OUTAGE_AT * 100}% of the tasks are done;`);
  say(`              ${PERMANENT_KINDS.join(', ')} always 422; ${plan.long} slow long-lane calls`);

  // A short lease keeps long-lane heartbeats (every lease/3) visible in a run of seconds;
  // the short drain keeps Ctrl-C quick.
  const args = ['--short', '8', '--long', '2', '--api-url', apiUrl, '--api-rate', `${API_RATE}/s`, '--redis', url, '--queue', queueName, '--lease-ms', '3000', '--drain-timeout', '3s'];
  own.supervisor = startSupervisorChild({ args, logFile });
  say(`  supervisor  node dist/supervisor.js ${args.map((a) => (a === url ? redactUrl(a) : a)).join(' ')}`);
  say(`              logs → ${shown(logFile)}`);
  await abortable(own.supervisor.ready(20_000), interrupted);

  const produced = { submitted: 0, suppressed: 0, originalsRefused: 0, duplicatesAccepted: 0, done: false };
  const producing = produce(plan, produced);
  const live = new LiveStats({ queue: own.queue, api: own.api });
  const progress = progressWriter(process.stdout);
  const deadline = Date.now() + opts.timeoutMs;
  say('');
  let timedOut = false;
  while (!timedOut) {
    await abortable(sleep(1000, undefined, { signal: interrupted }), interrupted);
    await abortable(live.refresh(), interrupted);
    progress.update(live.line(plan.ids.length));
    const outageOver = outage.tick(live.done / plan.ids.length);
    if (produced.done && outageOver && isSettled(live.stats, plan.ids.length)) break;
    timedOut = Date.now() > deadline;
  }
  progress.finish();
  if (timedOut) say(`  not settled after ${formatMs(opts.timeoutMs)}: closing the books as they stand`);
  await producing;

  outage.end();
  const books = await closeBooks({ queue: own.queue, api: own.api, plan, produced });
  const trouble = apiTroubleBooks({ stats: own.api.stats(), tasks: books.tasks, outage, apiRate: API_RATE, quota: API_QUOTA });
  books.problems.push(...trouble.problems);
  const privateRedis = Boolean(own.redis);
  const stopped = await own.shutdown();
  const clean = stopped.supervisor?.code === 0 && !stopped.supervisor.killed;
  for (const line of renderBooks(books, { workers: workerCounters(logFile), extra: trouble.lines })) say(line);
  say('');
  say(`  shutdown    supervisor SIGTERM → ${describeExit(stopped.supervisor, SUPERVISOR_STOP_MS)} · API closed${privateRedis ? ' · private redis-server stopped' : ''}`);
  say(`  logs        ${shown(logFile)}`);
  const ok = books.problems.length === 0 && clean;
  say(`  ${ok ? 'OK' : 'FAILED'} in ${formatMs(Date.now() - startedAt)}: ${books.problems.length === 0 ? 'books balance' : 'books do not balance'}, ${clean ? 'clean shutdown' : 'unclean shutdown'}`);
  return ok ? 0 : 1;
}

/** Submits the plan's batches one enqueueMany at a time, tallying what the queue said about each id. */
async function produce(plan, produced) {
  const seen = new Set();
  try {
    for (const batch of plan.batches) {
      const results = await own.queue.enqueueMany(batch);
      for (const { id, duplicate } of results) {
        const resubmitted = seen.has(id);
        seen.add(id);
        produced.submitted += 1;
        if (duplicate) produced.suppressed += 1;
        if (resubmitted && !duplicate) produced.duplicatesAccepted += 1;
        if (!resubmitted && duplicate) produced.originalsRefused += 1;
      }
      await sleep(PRODUCE_EVERY_MS, undefined, { signal: interrupted });
    }
  } catch (err) {
    if (!interrupted.aborted) say(`\nproducer failed: ${err.message}`);
  } finally {
    produced.done = true;
  }
}

/** A path as the user would type it: relative under the working directory, absolute elsewhere. */
function shown(path) {
  const rel = relative(process.cwd(), resolve(path));
  return rel.startsWith('..') || isAbsolute(rel) ? resolve(path) : rel;
}

function readOptions() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        tasks: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' }, timeout: { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    process.stderr.write(`demo: ${error.message}. Run with --help to see every flag.\n`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write('Usage: node scripts/demo.mjs [--tasks N (DEMO_TASKS, default 3000)] [--seed N] [--out DIR (default demo-output)] [--timeout SECONDS (default 50)]\n');
    process.exit(0);
  }
  const tasks = Number(values.tasks ?? process.env.DEMO_TASKS ?? 3000);
  const seed = Number(values.seed ?? Math.floor(Math.random() * 1e6));
  const timeoutS = Number(values.timeout ?? 50);
  for (const [name, value, min] of [['--tasks', tasks, 1], ['--seed', seed, 0], ['--timeout', timeoutS, 1]]) {
    if (!Number.isInteger(value) || value < min) {
      process.stderr.write(`demo: expected ${name} to be a whole number from ${min} up, got \`${value}\`\n`);
      process.exit(2);
    }
  }
  return { tasks, seed, out: values.out ?? 'demo-output', timeoutMs: timeoutS * 1000 };
}

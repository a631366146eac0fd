// `npm run chaos`: proof that nothing is lost or done twice when things break. The real
// supervisor runs against a private redis-server (AOF, appendfsync always) and a flaky
// idempotent API, while a random worker process is SIGKILLed every 500 ms and Redis itself
// is killed and restarted on the same data halfway through. When every task is terminal
// the books are closed: every unique task completed or dead, none lost; side effects equal
// to the completed tasks and never two for one Idempotency-Key; dead letters only for the
// permanently refused kinds, tasks out of attempts and stalled tasks, each with its reason;
// no second task for a resubmitted id. The API also has a quota (429 beyond it) and an outage
// (503 for a few seconds), which the supervisor's API guard (--api-rate, the breaker) must
// ride out: the books count the calls during the outage, the 429s, and dead letters caused by
// throttling (none expected). `node scripts/chaos.mjs --help` lists the knobs.
//
// With --cluster the same runs on a private Redis Cluster (3 masters + 3 replicas, AOF):
// the supervisor and the producer use a sharded queue (--shards, default 6) with
// --durability replicated, and instead of Redis restarting, the master of shard 0 is
// SIGKILLed and its replica takes over (lib/chaos-cluster.mjs); the books are the same.
//
// Exit 0 only when the books balance and the supervisor stopped cleanly; 1 otherwise;
// 2 for invalid flags; 130 after Ctrl-C. Everything it started is stopped on every path,
// and its temp directory (Redis's data, the supervisor's log) removed.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TaskQueue } from '../dist/index.js';
import { chaosBooks, countTaskRecords } from './lib/chaos-books.mjs';
import { SupervisorLog } from './lib/chaos-log.mjs';
import { groupMembers, WorkerKiller } from './lib/chaos-monkey.mjs';
import { chaosHelp, readChaosOptions } from './lib/chaos-options.mjs';
import { Producer } from './lib/chaos-producer.mjs';
import { ChaosCluster, countClusterTaskRecords, failOverMaster, failoverBooks } from './lib/chaos-cluster.mjs';
import { DurableRedis, startWriteProbe, taskSnapshot } from './lib/chaos-redis.mjs';
import { abortable, DemoChildren, describeExit, expected, INTERRUPTED_EXIT, onInterrupt, within } from './lib/demo-children.mjs';
import { formatMs, isSettled, LiveStats, progressWriter } from './lib/demo-progress.mjs';
import { closeBooks, renderBooks } from './lib/demo-report.mjs';
import { PERMANENT_KINDS, planWorkload, SHORT_TIMEOUT_MS } from './lib/demo-workload.mjs';
import { apiTroubleBooks, OutageWindow } from './lib/api-trouble.mjs';
import { startFlakyApi } from './lib/flaky-api.mjs';
import { randomSource } from './lib/flaky-steps.mjs';
import { startSupervisorChild } from './lib/supervisor-child.mjs';

const USAGE_EXIT = 2;
const SUPERVISOR_STOP_MS = 20_000;
const PRODUCE_EVERY_MS = 100;
const TICK_MS = 1000;
/** Not a task key: the write probe's counter, next to the queue's keys in the private Redis. */
const PROBE_KEY = 'chaos:probe';
/** The probe writes for this long before the kill, so the kill lands among acknowledged writes. */
const PROBE_LEAD_MS = 200;
/** Reading 20 000 records takes a second or two; far longer means Redis is gone. */
const BOOKS_WAIT_MS = 60_000;
/** The engine's default `maxStalls`; the supervisor has no flag for it, so its workers use it. */
const MAX_STALLS = 5;
/** Short enough that long-lane tasks (0.8–2 s calls) heartbeat, every lease/3. */
const LEASE_MS = 2000;
/** Retries are durable and kills cost no attempt, so a few more attempts than the demo's keep out-of-attempts dead letters rare but present. */
const MAX_ATTEMPTS = [3, 4, 5, 6];

let opts;
try {
  opts = readChaosOptions(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`chaos: ${err.message}\nRun with --help to see every flag.\n`);
  process.exit(USAGE_EXIT);
}
if (opts.help) {
  process.stdout.write(chaosHelp());
  process.exit(0);
}

const startedAt = Date.now();
const say = (text = '') => process.stdout.write(`${text}\n`);
const root = mkdtempSync(join(tmpdir(), 'tasklane-chaos-'));
const logFile = opts.log ? resolve(opts.log) : join(root, 'supervisor.log');
const own = new DemoChildren({ supervisorStopMs: SUPERVISOR_STOP_MS });
// A second signal exits at once: the exit hook below kills the children.
const interrupted = onInterrupt({ say, stopping: 'stopping what the chaos run started (again to kill it at once)' });
let monkey = null;
/** Also the id of its process group, which its workers stay in should it die. */
let supervisorPid = 0;
// Last resort: no child outlives the run, and the temp directory goes with it.
process.on('exit', () => {
  own.killAll();
  killOrphans();
  rmSync(root, { recursive: true, force: true });
});

let code = 1;
try {
  code = await run();
} catch (err) {
  if (!interrupted.aborted) say(`\nchaos run failed: ${err?.expected ? err.message : (err?.stack ?? err)}`);
  code = interrupted.aborted ? INTERRUPTED_EXIT : 1;
  await monkey?.stop();
  if (!interrupted.aborted) keepLog();
  const stopped = await own.shutdown().catch((e) => say(`shutdown failed: ${e.message}`));
  if (stopped) say(`stopped: supervisor ${describeExit(stopped.supervisor, SUPERVISOR_STOP_MS)} · API closed · redis-server stopped; exit ${code}`);
  const orphans = killOrphans();
  if (orphans > 0) say(`killed ${orphans} worker process(es) that outlived their supervisor`);
}
process.exit(interrupted.aborted ? INTERRUPTED_EXIT : code);

async function run() {
  const queueName = `chaos-${opts.seed}`;
  const plan = planWorkload({ tasks: opts.tasks, seed: opts.seed, prefix: 'chaos', maxAttempts: MAX_ATTEMPTS, longDelayMs: [800, 2000] });
  say(`tasklane chaos: ${plan.ids.length} tasks (+${plan.duplicates} resubmitted ids) through the real supervisor [seed ${opts.seed}]`);

  const redis = opts.cluster ? await ChaosCluster.start() : await DurableRedis.start({ dir: join(root, 'redis') });
  own.redis = redis;
  if (opts.cluster) {
    say(`  redis       private Redis Cluster, 3 masters + 3 replicas, AOF: ${redis.spec}; ${opts.shards} shards, durability ${opts.durability}`);
    own.queue = new TaskQueue({ redis: { cluster: redis.nodes }, name: queueName, shards: opts.shards, durability: opts.durability });
  } else {
    say(`  redis       private redis-server at ${redis.url}, AOF with appendfsync always (dir ${redis.dir})`);
    own.queue = new TaskQueue({ redis: redis.url, name: queueName });
  }
  // ioredis reconnects on its own (it must, across the restart); the listener keeps it quiet.
  own.queue.redis.on('error', () => {});
  await abortable(within(own.queue.redis.ping(), 5000, () => `Redis at ${opts.cluster ? redis.spec : redis.url} did not answer`), interrupted);

  const rate = opts.failRate;
  own.api = await startFlakyApi({
    latencyMs: [5, 40], failRate: rate * 0.8, hangRate: rate * 0.2, quota: { limit: opts.quota, windowMs: 1000 },
    permanentTypes: PERMANENT_KINDS, seed: opts.seed,
  });
  for (const [key, steps] of plan.scripts) own.api.script(key, steps);
  const apiUrl = `${own.api.url}/tasks`;
  const pct = (x) => `${Math.round(x * 1000) / 10}%`;
  say(`  api         ${apiUrl}: 5–40 ms; ${pct(rate * 0.8)} 500, ${pct(rate * 0.2)} hang past the ${formatMs(SHORT_TIMEOUT_MS)} deadline; 429 beyond ${opts.quota} calls in any second;`);
  if (opts.outageMs > 0) say(`              an outage (503 to every call) for ${formatMs(opts.outageMs)} once ${Math.round(opts.outageAt * 100)}% of the tasks are done;`);
  say(`              ${PERMANENT_KINDS.join(', ')} always 422; ${plan.long} slow long-lane calls (0.8–2 s)`);

  const args = ['--short', String(opts.short), '--long', String(opts.long), '--processes', String(opts.processes), '--api-url', apiUrl,
    ...(opts.cluster ? ['--redis-cluster', redis.spec, '--shards', String(opts.shards), '--durability', opts.durability] : ['--redis', redis.url]),
    '--queue', queueName, '--lease-ms', String(LEASE_MS), '--drain-timeout', '3s',
    ...(opts.apiRate > 0 ? ['--api-rate', `${opts.apiRate}/s`] : [])];
  own.supervisor = startSupervisorChild({ args, logFile });
  supervisorPid = own.supervisor.pid;
  say(`  supervisor  node dist/supervisor.js ${args.join(' ')}`);
  await abortable(own.supervisor.ready(20_000), interrupted);
  let supervisorExit = null;
  void own.supervisor.exited.then((exit) => {
    supervisorExit = exit;
  });
  const restartPlanned = !opts.noRedisRestart;
  const midRun = !restartPlanned ? 'no Redis restart'
    : opts.cluster ? `${opts.redisSignal} the master of shard 0 at ${Math.round(opts.redisRestartAt * 100)}% done, wait for the failover${opts.noRejoin ? '' : `, restart it as a replica ${formatMs(opts.redisDownMs)} later`}`
      : `${opts.redisSignal} Redis at ${Math.round(opts.redisRestartAt * 100)}% done, restart it ${formatMs(opts.redisDownMs)} later`;
  say(`  chaos       SIGKILL a random worker process ${opts.killEveryMs > 0 ? `every ${formatMs(opts.killEveryMs)}` : 'never'}; ${midRun}`);

  const log = new SupervisorLog(logFile);
  monkey = new WorkerKiller({ supervisorPid: own.supervisor.pid, log, everyMs: opts.killEveryMs, random: randomSource(opts.seed + 1), readyOnly: opts.killReadyOnly });
  monkey.start();
  const producer = new Producer(own.queue, plan, { everyMs: PRODUCE_EVERY_MS, signal: interrupted });
  const producing = producer.run();
  const restart = { planned: restartPlanned, running: null, facts: null, error: null };
  const outage = new OutageWindow(own.api, { atShare: opts.outageAt, ms: opts.outageMs });
  const unique = plan.ids.length;

  const live = new LiveStats({ queue: own.queue, api: own.api });
  const progress = progressWriter(process.stdout);
  const deadline = Date.now() + opts.timeout * 1000;
  let refreshing = null;
  let settled = false;
  say('');
  while (!settled && Date.now() < deadline) {
    await abortable(sleep(TICK_MS), interrupted);
    // Without the supervisor, or without Redis, nothing can finish: no point waiting for the timeout.
    if (supervisorExit) throw expected(`the supervisor exited during the run (code ${supervisorExit.code}, signal ${supervisorExit.signal}); last log lines:\n${own.supervisor.logTail()}`);
    if (restart.error) throw expected(`${opts.cluster ? 'failing a master over' : 'restarting Redis'} failed: ${restart.error.message}`);
    // During the Redis outage a refresh waits in ioredis's queue: keep printing meanwhile.
    refreshing ??= live.refresh().then(() => true, () => false).finally(() => {
      refreshing = null;
    });
    const fresh = await Promise.race([refreshing, sleep(TICK_MS, false)]);
    const redisState = restart.running ? (opts.cluster ? 'failing over' : 'restarting') : fresh ? 'up' : 'not answering';
    progress.update(`${live.line(unique)} · kills ${monkey.kills} · redis ${redisState}`);
    if (!fresh) continue;
    if (restart.planned && !restart.running && !restart.facts && !restart.error && live.done >= opts.redisRestartAt * unique) {
      const midRunKill = opts.cluster
        ? failOverMaster({ cluster: redis, queue: own.queue, producer, probeKey: `${PROBE_KEY}:{${queueName}}`, signal: opts.redisSignal, downMs: opts.redisDownMs, rejoin: !opts.noRejoin })
        : restartRedis(redis, producer);
      restart.running = midRunKill.then((facts) => {
        restart.facts = facts;
        // Its own line, also on a terminal where the progress line is rewritten in place.
        progress.finish();
        if (opts.cluster) say(`  master ${facts.port} ${opts.redisSignal}ed: failed over in ${formatMs(facts.failoverMs)}${facts.rejoinMs === null ? '' : `, back as a replica ${formatMs(facts.rejoinMs)} after its restart`}`);
        else say(`  redis restarted: ${opts.redisSignal}, down ${formatMs(facts.downMs + facts.exitMs)}, answering ${formatMs(facts.readyMs)} after start`);
      }, (err) => {
        restart.error = err;
      }).finally(() => {
        restart.running = null;
      });
    }
    const outageOver = outage.tick(live.done / unique);
    const restartOver = !restart.planned || restart.facts || restart.error;
    settled = producer.tally.done && restartOver && outageOver && isSettled(live.stats, unique);
  }
  progress.finish();
  if (!settled) say(`  not settled after ${formatMs(opts.timeout * 1000)}: closing the books as they stand`);
  await monkey.stop();
  await abortable(restart.running ?? Promise.resolve(), interrupted);
  await producing;

  const books = await within(closeBooks({ queue: own.queue, api: own.api, plan, produced: producer.tally }), BOOKS_WAIT_MS, () => 'Redis did not answer while the books were read');
  const records = await within(opts.cluster ? countClusterTaskRecords(own.queue) : countTaskRecords(own.queue), BOOKS_WAIT_MS, () => 'Redis did not answer while the task records were counted');
  log.poll();
  const chaos = chaosBooks({
    tasks: books.tasks, unique, records, api: own.api, permanentKinds: PERMANENT_KINDS, maxStalls: MAX_STALLS,
    chaos: { killEveryMs: opts.killEveryMs, kills: monkey.kills, readyKills: monkey.readyKills, skipped: monkey.skipped, log, restartPlanned, restartError: restart.error,
      ...(opts.cluster
        ? { restart: null, cluster: failoverBooks({ facts: restart.facts, planned: restartPlanned, error: restart.error, durability: opts.durability }) }
        : { restart: restart.facts }) },
  });
  outage.end();
  const trouble = apiTroubleBooks({ stats: own.api.stats(), tasks: books.tasks, outage, apiRate: opts.apiRate, quota: opts.quota });
  const problems = [...books.problems, ...chaos.problems, ...trouble.problems];
  if (producer.tally.error) problems.push(`the producer failed: ${producer.tally.error.message}`);
  if (!settled) problems.push(`not every task finished within --timeout ${opts.timeout}`);

  const stopped = await own.shutdown();
  // None after a clean stop: the supervisor exits only after its last worker.
  const orphans = killOrphans();
  if (orphans > 0) problems.push(`${orphans} worker process(es) outlived the supervisor and were killed`);
  const clean = stopped.supervisor?.code === 0 && !stopped.supervisor.killed;
  for (const line of renderBooks({ rows: books.rows, problems }, { extra: [...trouble.lines, ...chaos.lines] })) say(line);
  say('');
  say(`  shutdown    supervisor SIGTERM → ${describeExit(stopped.supervisor, SUPERVISOR_STOP_MS)} · API closed · ${opts.cluster ? 'cluster nodes' : 'redis-server'} stopped, ${opts.cluster ? 'their' : 'its'} data removed`);
  const ok = problems.length === 0 && clean;
  if (!ok) keepLog();
  else if (opts.log) say(`  logs        ${logFile}`);
  say(`  ${ok ? 'OK' : 'FAILED'} in ${formatMs(Date.now() - startedAt)}: ${problems.length === 0 ? 'books balance' : 'books do not balance'}, ${clean ? 'clean shutdown' : 'unclean shutdown'} [seed ${opts.seed}]`);
  return ok ? 0 : 1;
}

/**
 * Kills Redis with --redis-signal and starts it again on the same AOF, with the producer
 * held so no enqueueMany is cut in half (see chaos-producer.mjs). The task records counted
 * just before the kill must all be there after, and so must every write of the probe that
 * Redis acknowledged: a lost task write could hide behind an idempotent replay, a lost
 * probe write cannot.
 */
async function restartRedis(redis, producer) {
  await producer.pause();
  const probe = startWriteProbe(own.queue.redis, PROBE_KEY);
  try {
    await sleep(PROBE_LEAD_MS);
    const before = await taskSnapshot(own.queue);
    const acked = probe.acked;
    const facts = await redis.restart({ signal: opts.redisSignal, downMs: opts.redisDownMs });
    const pingAt = Date.now();
    await within(own.queue.redis.ping(), 60_000, () => 'Redis did not answer within 60 s of its restart');
    const readyMs = facts.listenMs + (Date.now() - pingAt);
    const after = await taskSnapshot(own.queue);
    probe.stop();
    const probeAfter = Number(await own.queue.redis.get(PROBE_KEY));
    return { ...facts, readyMs, before, after, probe: { acked, after: probeAfter } };
  } finally {
    probe.stop();
    producer.resume();
  }
}

/**
 * SIGKILLs the workers left behind by a supervisor that died (they drain on their own,
 * but not while Redis is unreachable). Returns how many there were.
 */
function killOrphans() {
  if (!supervisorPid) return 0;
  const orphans = groupMembers(supervisorPid);
  supervisorPid = 0; // once: after that its pid may belong to someone else
  for (const orphan of orphans) {
    try {
      process.kill(orphan, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
  return orphans.length;
}

/** On failure the supervisor's log is the evidence: it outlives the temp directory. */
function keepLog() {
  if (opts.log) {
    say(`  logs        ${logFile}`);
    return;
  }
  const kept = join(tmpdir(), `tasklane-chaos-${opts.seed}-${Date.now()}.log`);
  try {
    copyFileSync(logFile, kept);
    say(`  logs        ${kept} (kept because the run failed)`);
  } catch {
    // No log yet: the run failed before the supervisor started.
  }
}

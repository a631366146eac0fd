// `npm run bench`: tasklane vs BullMQ vs bee-queue on one private redis-server that this
// script starts, in one run, systems alternated per repetition, medians reported.
//
//   node bench/run.mjs [--reps 3] [--tasks 50000] [--quick] [--only tasklane,bullmq]
//                      (--quick: 1,000 tasks, 1 s of latency, 1 rep by default)
//                      [--retention-ms 1000]  (completed tasks kept, see lib/retention.mjs)
//                      [--cpu-prof dir]  (every worker process writes a V8 CPU profile there;
//                      node bench/profile-summary.mjs summarizes one)
//                      [--cases bulk,process,latency,http,commands,supervisor,memory] [--out bench/results.json]
//   node bench/run.mjs --cluster [--shards 12] [--reps 3] [--tasks 20000] [--quick]
//                      [--out bench/cluster-results.json]
//                      (tasklane's processing case on a 1-master and a 3-master Redis Cluster:
//                      tasks/s, and per master its commands and CPU per task and its share;
//                      see lib/cluster-case.mjs)
//
// Cases (README of the numbers: the header of each function in lib/cases.mjs):
//   1 bulk      enqueue --tasks with each system's bulk API, 1,000 tasks per call
//   2 process   drain a pre-filled queue of --tasks no-op tasks: 1 process x 100, 2 processes x 50
//   3 latency   single enqueues at 2,000/s for 10 s (after 1 s warm-up), producer and worker in
//               separate processes; enqueue-to-handler-start p50/p99/max
//   4 http      like 2 (1 x 100) where each task POSTs to a local server answering in 5 ms
//   5 commands  Redis commands per task (enqueue + process), sent by clients (MONITOR) and
//               executed in all (INFO commandstats, which also counts commands run by scripts)
//   6 supervisor tasklane only: like 2 (2 x 50) through `node dist/supervisor.js --processes 2`,
//               so the supervisor↔worker IPC is counted; compared with the peers' 2 x 50
//   7 memory    tasklane only: Redis bytes per task with a 100-byte payload, inside the completed
//               retention and per dedup marker once the records are gone (lib/memory.mjs)
// Every timed run is in steady state: completed tasks are reaped while it runs (lib/retention.mjs).
// Writes --out (JSON with machine info, every rep and the medians) and the same path with
// .svg (a bar chart of the medians).
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startRedisServer } from '../scripts/lib/redis-server.mjs';
import { CASES, benchSystem } from './lib/cases.mjs';
import { clusterBench, clusterTables, SHARE_TOLERANCE } from './lib/cluster-case.mjs';
import { startSlowServer } from './lib/http-server.mjs';
import { DIAGNOSTICS, METRICS, metricsOf } from './lib/metrics.mjs';
import { RedisAdmin } from './lib/redis-stats.mjs';
import { checkTargets, fmt, table, targetLines } from './lib/report.mjs';
import { median } from '../scripts/lib/stats.mjs';
import { chart } from './lib/svg.mjs';
import { SYSTEM_NAMES } from './lib/systems/types.mjs';
import { QUICK_RETENTION_MS, RETENTION_MS, retentionText } from './lib/retention.mjs';

const BATCH = 1000;
const RATE = 2000;
const API_DELAY_MS = 5;
const COMMANDS_MAX_TASKS = 5000;
const MEMORY_MAX_TASKS = 20_000;
const MEMORY_PAYLOAD_BYTES = 100;
// Long enough to hold every record while the memory case completes its tasks, which it checks.
const MEMORY_RETENTION_MS = 5000;
const QUICK_MEMORY_RETENTION_MS = 1500;
const CLUSTER_TASKS = 20_000;
const CLUSTER_SHARDS = 12;
const CLUSTER_PROCESSES = 2;
const CLUSTER_CONCURRENCY = 50;
const HELP = `Usage: node bench/run.mjs [flags]      (npm run bench -- [flags])

Benchmarks tasklane, BullMQ and bee-queue on one private redis-server that it starts,
systems alternated per repetition, medians reported. Writes --out and an SVG beside it.

  --reps N        repetitions per case (default 3; 1 with --quick)
  --tasks N       tasks per bulk/processing case (default 50000; 1000 with --quick)
  --quick         a smoke run: few tasks, 1 s of latency
  --only LIST     systems, comma-separated: ${SYSTEM_NAMES.join(', ')}
  --cases LIST    ${CASES.map((k) => `${k.name} (${k.n})`).join(', ')}
  --retention-ms N  how long completed tasks are kept (tasklane completedRetentionMs, BullMQ
                  removeOnComplete age; bee-queue removes at once): default ${RETENTION_MS}, ${QUICK_RETENTION_MS} with --quick
  --out PATH      results JSON (default bench/results.json)
  --cpu-prof DIR  every worker process writes a V8 CPU profile there (slows them: not results);
                  summarize one with node bench/profile-summary.mjs FILE.cpuprofile
  --cluster       instead of the cases above: tasklane's processing case (${CLUSTER_PROCESSES} processes x ${CLUSTER_CONCURRENCY}) on a
                  1-master and on a 3-master Redis Cluster, started here; tasks/s, and per master
                  its commands and CPU per task and its share of the work. --tasks defaults to
                  ${CLUSTER_TASKS} (2000 with --quick), --out to bench/cluster-results.json
  --shards N      with --cluster: the queue's shards on both clusters (default ${CLUSTER_SHARDS})
  -h, --help      show this help

Exit codes: 0 when every run succeeded, 1 when one failed, 2 for invalid flags.
`;


const options = parseOptions();
const started = Date.now();
if (options.cluster) process.exit(await runCluster());
const redis = await startRedisServer();
const admin = new RedisAdmin(redis.url);
const api = options.cases.includes('http') ? await startSlowServer({ delayMs: API_DELAY_MS }) : null;
let exitCode = 0;
process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));

try {
  const machine = await machineInfo(admin);
  console.log(`tasklane bench: ${options.systems.join(', ')}; cases ${options.cases.join(', ')}; ${options.reps} reps; ${fmt(options.tasks, 0)} tasks${options.quick ? ' (quick)' : ''}`);
  console.log(`machine: ${machine.cpus} x ${machine.cpuModel}, ${machine.memGiB} GiB, Node ${machine.node}, Redis ${machine.redis} (${redis.url}), load average ${machine.loadavgStart.map((l) => l.toFixed(1)).join(' ')}`);
  const ctx = { url: redis.url, admin, batch: BATCH, httpUrl: api?.url ?? null, retentionMs: options.retentionMs };
  const { results, runs, errors } = await runAll(ctx);
  machine.loadavgEnd = os.loadavg();
  const byKey = Object.fromEntries([...METRICS, ...DIAGNOSTICS].map((m) => [m.key, m]));
  const targets = options.systems.includes('tasklane') ? checkTargets(results, byKey) : [];
  printReport(results, targets, machine);
  writeOutputs({ machine, results, runs, errors, targets });
  if (errors.length > 0) {
    console.error(`\n${errors.length} run(s) failed:`);
    for (const e of errors) console.error(`  rep ${e.rep} ${e.unit} ${e.system}: ${e.message}`);
    exitCode = 1;
  }
  console.log(`\ntotal time ${((Date.now() - started) / 1000).toFixed(0)} s`);
} catch (error) {
  console.error(error);
  exitCode = 1;
} finally {
  await cleanup();
}
process.exit(exitCode);

async function runAll(ctx) {
  const results = Object.fromEntries(options.systems.map((s) => [s, {}]));
  const runs = [];
  const errors = [];
  const has = (c) => options.cases.includes(c);
  const units = [
    ...(has('bulk') || has('process') ? ['bulk_process_1x100'] : []),
    ...(has('process') ? ['process_2x50'] : []),
    ...(has('latency') ? ['latency'] : []),
    ...(has('http') ? ['http'] : []),
    ...(has('commands') ? ['commands'] : []),
    ...(has('supervisor') ? ['supervisor'] : []),
    ...(has('memory') ? ['memory'] : []),
  ];
  const onlyFor = Object.fromEntries(CASES.filter((c) => c.only).map((c) => [c.name, c.only]));
  for (let rep = 0; rep < options.reps; rep += 1) {
    // Each rep starts with a different system, so none always runs first (or last) in a case.
    const order = options.systems.map((_, i) => options.systems[(i + rep) % options.systems.length]);
    for (const unit of units) {
      for (const system of order) {
        if (onlyFor[unit] && onlyFor[unit] !== system) continue;
        const bench = benchSystem(system, ctx);
        try {
          await bench.setup(`bench-${system}-r${rep}-${unit}`);
          for (const [kind, raw] of await runUnit(bench, unit)) {
            const metrics = metricsOf(kind, raw);
            for (const [key, value] of Object.entries(metrics)) (results[system][key] ??= { reps: [] }).reps.push(value);
            runs.push({ rep, unit: kind, system, metrics, details: raw });
            console.log(`  rep ${rep + 1}/${options.reps}  ${kind.padEnd(14)} ${system.padEnd(10)} ${summary(kind, raw)}`);
          }
        } catch (error) {
          errors.push({ rep, unit, system, message: error.message });
          console.error(`  rep ${rep + 1}/${options.reps}  ${unit.padEnd(14)} ${system.padEnd(10)} FAILED: ${error.message}`);
        } finally {
          await bench.teardown().catch(() => {});
        }
      }
    }
  }
  for (const perSystem of Object.values(results)) {
    for (const entry of Object.values(perSystem)) entry.median = median(entry.reps);
  }
  return { results, runs, errors };
}

/** One system's share of a unit; returns [kind, raw result] pairs to record. */
async function runUnit(bench, unit) {
  const { tasks } = options;
  const has = (c) => options.cases.includes(c);
  if (unit === 'bulk_process_1x100') {
    // Case 1's tasks are case 2's pre-fill: enqueue, then drain the same queue.
    const out = [];
    const bulk = await bench.bulkEnqueue(tasks);
    if (has('bulk')) out.push(['bulk', { ...bulk, n: tasks }]);
    if (has('process')) out.push(['process_1x100', await bench.process({ n: tasks, processes: 1, concurrency: 100, handler: 'noop' })]);
    return out;
  }
  if (unit === 'process_2x50') {
    await bench.bulkEnqueue(tasks);
    return [['process_2x50', await bench.process({ n: tasks, processes: 2, concurrency: 50, handler: 'noop' })]];
  }
  if (unit === 'latency') {
    return [['latency', await bench.latency({ rate: RATE, warmupMs: options.latencyWarmupMs, durationMs: options.latencyMs, concurrency: 100 })]];
  }
  if (unit === 'http') {
    await bench.bulkEnqueue(tasks);
    return [['http', await bench.process({ n: tasks, processes: 1, concurrency: 100, handler: 'http' })]];
  }
  if (unit === 'commands') return [['commands', await bench.commands(options.commandTasks)]];
  if (unit === 'supervisor') {
    await bench.bulkEnqueue(tasks);
    return [['process_supervisor_2x50', await bench.supervisor({ n: tasks, processes: 2, concurrency: 50 })]];
  }
  if (unit === 'memory') return [['memory', await bench.memory(options.memory)]];
  throw new Error(`unknown unit ${unit}`);
}

function summary(kind, r) {
  switch (kind) {
    case 'bulk':
      return `${fmt(r.tasksPerSec, 0)} tasks/s  (${fmt(r.counts.executed / r.n, 2)} cmds executed/task)`;
    case 'process_1x100':
    case 'process_2x50':
    case 'process_supervisor_2x50':
    case 'http':
      return `${fmt(r.tasksPerSec, 0)} tasks/s  (${fmt(r.counts.executed / r.completed, 2)} cmds executed/task${r.held == null ? '' : `, ${fmt(r.held, 0)} completed still held`})`;
    case 'memory':
      return `waiting ${fmt(r.waiting, 0)}  completed ${fmt(r.completed, 0)}  marker ${fmt(r.marker, 0)} bytes/task (n=${r.tasks})`;
    case 'latency':
      return `p50 ${fmt(r.p50, 2)} ms  p99 ${fmt(r.p99, 2)} ms  max ${fmt(r.max, 2)} ms  (${r.samples}/${r.expected} samples)`;
    case 'commands':
      return `${fmt(r.sentPerTask, 2)} sent/task, ${fmt(r.executedPerTask, 2)} executed/task (n=${r.n})`;
    default:
      return '';
  }
}

function printReport(results, targets, machine) {
  console.log(`\nMedians of ${options.reps} rep(s). "tasklane vs X": tasklane's advantage (> 1 = tasklane better; for ms and commands, X / tasklane).`);
  console.log(`${machine.cpus} x ${machine.cpuModel}, Node ${machine.node}, Redis ${machine.redis}, ${machine.date}, load average at start ${machine.loadavgStart.map((l) => l.toFixed(1)).join(' ')}, at end ${machine.loadavgEnd.map((l) => l.toFixed(1)).join(' ')}\n`);
  console.log(table(METRICS, results, options.systems));
  console.log('\nDiagnostics: Redis commands executed per task in the timed runs (INFO commandstats), CPU time per 1,000 tasks');
  console.log('(client processes: process.cpuUsage; redis-server: INFO cpu), and the commands case split by phase:\n');
  console.log(table(DIAGNOSTICS, results, options.systems));
  console.log(`\nSteady state: ${retentionText(options.retentionMs)}.`);
  console.log('"completed still held at end" (above) below 100% means reaping ran inside the timed window.');
  if (targets.length > 0) {
    console.log('\nTargets (for information):');
    console.log(targetLines(targets).join('\n'));
  }
}

function writeOutputs({ machine, results, runs, errors, targets }) {
  const svgPath = options.out.replace(/\.json$/i, '') + '.svg';
  mkdirSync(dirname(options.out), { recursive: true });
  const settings = {
    reps: options.reps,
    tasks: options.tasks,
    quick: options.quick,
    cases: options.cases,
    systems: options.systems,
    bulkBatch: BATCH,
    latency: { rate: RATE, warmupMs: options.latencyWarmupMs, durationMs: options.latencyMs, concurrency: 100 },
    http: { serverDelayMs: API_DELAY_MS, concurrency: 100, processes: 1 },
    commandsTasks: options.commandTasks,
    retention: retentionText(options.retentionMs),
    retentionMs: options.retentionMs,
    memory: options.memory,
    supervisor: { processes: 2, concurrency: 50, handlers: 'bench/lib/noop-handlers.mjs' },
    order: 'per rep and case, systems rotate: rep r starts with systems[r % n]',
  };
  const metrics = Object.fromEntries([...METRICS, ...DIAGNOSTICS].map(({ key, ...m }) => [key, m]));
  writeFileSync(options.out, `${JSON.stringify({ machine, settings, metrics, results, targets, errors, runs }, null, 2)}\n`);
  writeFileSync(svgPath, chart({ metrics: METRICS, results, systems: options.systems, machine }));
  console.log(`\nwrote ${options.out} and ${svgPath}`);
}

async function machineInfo(client) {
  const cpus = os.cpus();
  let commit = null;
  try {
    commit = execFileSync('git', ['describe', '--always', '--dirty'], { cwd: fileURLToPath(new URL('..', import.meta.url)), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    // not a git checkout
  }
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model?.trim() ?? 'unknown',
    memGiB: Math.round(os.totalmem() / 2 ** 30 * 10) / 10,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    redis: await client.version(),
    date: new Date().toISOString(),
    loadavgStart: os.loadavg(),
    commit,
  };
}

function parseOptions() {
  let values;
  try {
    ({ values } = parseArgs({ options: {
      help: { type: 'boolean', short: 'h' },
      reps: { type: 'string' },
      tasks: { type: 'string' },
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      cases: { type: 'string' },
      out: { type: 'string' },
      'cpu-prof': { type: 'string' },
      'retention-ms': { type: 'string' },
      cluster: { type: 'boolean', default: false },
      shards: { type: 'string' },
    } }));
  } catch (error) {
    usage(`${error.message}. Run with --help to see every flag.`);
  }
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const quick = values.quick;
  if (values['cpu-prof']) {
    // Read by lib/child.mjs when it forks workers. Profiling slows the workers: numbers from such a run are not results.
    mkdirSync(values['cpu-prof'], { recursive: true });
    process.env.TASKLANE_BENCH_CPU_PROF = resolve(values['cpu-prof']);
  }
  // --quick is a smoke test: one rep unless --reps says otherwise.
  const reps = positiveInt(values.reps ?? (quick ? '1' : '3'), 'reps');
  const cluster = values.cluster;
  if (!cluster && values.shards) usage('--shards goes with --cluster');
  if (cluster && (values.only || values.cases)) usage('--cluster runs tasklane\'s processing case only: no --only or --cases');
  const tasks = positiveInt(values.tasks ?? (cluster ? (quick ? '2000' : String(CLUSTER_TASKS)) : quick ? '1000' : '50000'), 'tasks');
  const systems = values.only ? values.only.split(',').map((s) => s.trim()).filter(Boolean) : SYSTEM_NAMES;
  for (const s of systems) if (!SYSTEM_NAMES.includes(s)) usage(`unknown system \`${s}\`; expected some of ${SYSTEM_NAMES.join(', ')}`);
  const cases = values.cases
    ? values.cases.split(',').map((c) => c.trim()).filter(Boolean).map((c) => {
      const found = CASES.find((k) => k.name === c || String(k.n) === c);
      if (!found) usage(`unknown case \`${c}\`; expected some of ${CASES.map((k) => `${k.name} (${k.n})`).join(', ')}`);
      return found.name;
    })
    : CASES.map((c) => c.name);
  return {
    cluster,
    shards: positiveInt(values.shards ?? String(CLUSTER_SHARDS), 'shards'),
    quick,
    reps,
    tasks,
    systems,
    cases: CASES.map((c) => c.name).filter((c) => cases.includes(c)),
    latencyWarmupMs: quick ? 300 : 1000,
    latencyMs: quick ? 1000 : 10_000,
    commandTasks: Math.min(tasks, quick ? 500 : COMMANDS_MAX_TASKS),
    retentionMs: positiveInt(values['retention-ms'] ?? String(quick ? QUICK_RETENTION_MS : RETENTION_MS), 'retention-ms'),
    memory: { tasks: Math.min(tasks, MEMORY_MAX_TASKS), payloadBytes: MEMORY_PAYLOAD_BYTES, retentionMs: quick ? QUICK_MEMORY_RETENTION_MS : MEMORY_RETENTION_MS },
    out: resolve(values.out ?? fileURLToPath(new URL(cluster ? './cluster-results.json' : './results.json', import.meta.url))),
  };
}

/** `--cluster`: runs lib/cluster-case.mjs, prints its tables, writes --out; resolves with the exit code. */
async function runCluster() {
  const settings = { masters: [1, 3], shards: options.shards, tasks: options.tasks, reps: options.reps, processes: CLUSTER_PROCESSES,
    concurrency: CLUSTER_CONCURRENCY, batch: BATCH, retentionMs: options.retentionMs, shareTolerance: SHARE_TOLERANCE, replicas: 0, durability: 'async' };
  const machine = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model?.trim() ?? 'unknown', node: process.version, date: new Date().toISOString(), loadavgStart: os.loadavg() };
  console.log(`tasklane bench --cluster: processing case (${CLUSTER_PROCESSES} x ${CLUSTER_CONCURRENCY}, no-op tasks) on 1 and 3 masters, ${options.shards} shards; ${options.reps} reps; ${fmt(options.tasks, 0)} tasks`);
  console.log(`machine: ${machine.cpus} x ${machine.cpuModel}, Node ${machine.node}, load average ${machine.loadavgStart.map((l) => l.toFixed(1)).join(' ')}`);
  try {
    const result = await clusterBench({ ...settings, log: (line) => console.log(line) });
    machine.loadavgEnd = os.loadavg();
    console.log(`\nMedians of ${options.reps} rep(s). The workers and every redis-server share ${machine.cpus} cores: total tasks/s cannot grow with masters here.\n`);
    console.log(clusterTables(result).join('\n'));
    const three = result.layouts.find((l) => l.masters === 3);
    console.log(`\nEvery master's share of the commands within ±${SHARE_TOLERANCE * 100}% of a third: ${three.sharesEven ? 'yes' : 'NO'}`);
    mkdirSync(dirname(options.out), { recursive: true });
    writeFileSync(options.out, `${JSON.stringify({ machine, settings, layouts: result.layouts }, null, 2)}\n`);
    console.log(`\nwrote ${options.out}\ntotal time ${((Date.now() - started) / 1000).toFixed(0)} s`);
    return 0;
  } catch (error) {
    console.error(error);
    return 1;
  }
}

function positiveInt(text, name) {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) usage(`--${name} must be an integer from 1 up, got \`${text}\``);
  return n;
}

function usage(message) {
  console.error(`bench: ${message}`);
  process.exit(2);
}

async function cleanup() {
  admin.close();
  await api?.close();
  await redis.stop();
}

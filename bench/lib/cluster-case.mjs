// `npm run bench -- --cluster`: tasklane's processing case (drain a pre-filled queue of
// no-op tasks) on a 1-master and on a 3-master Redis Cluster, both started here, with the
// same shard count and workload. Per master it reads what the work cost that node:
// commands executed (INFO commandstats, which counts the commands scripts run too) and
// redis-server CPU (INFO cpu), per task, and the node's share of the cluster's total. The
// point is how the work spreads over the masters; on a small machine total throughput
// cannot grow with more masters, since they share the same cores as the workers.
import { startRedisCluster } from '../../scripts/lib/redis-cluster.mjs';
import { median, sum } from '../../scripts/lib/stats.mjs';
import { spawnWorker, waitUntil } from './child.mjs';
import { RedisAdmin } from './redis-stats.mjs';
import { fmt, renderTable } from './report.mjs';

const SYSTEM = 'tasklane';
/** An even share is 1/masters; a node may be off by this much of it (0.15: 28.3–38.3% of 3). */
export const SHARE_TOLERANCE = 0.15;
/** Queue names tried, in order, for one whose shards split evenly over the masters (see evenQueue). */
const NAME_ATTEMPTS = 1000;

/**
 * Runs the case on each layout in `masters` (1 and 3 by default) and returns what to print
 * and write: per layout the reps and their medians, per node its shards and costs.
 *
 * @param {{ masters: number[], shards: number, tasks: number, reps: number, processes: number,
 *   concurrency: number, batch: number, retentionMs: number, log: (line: string) => void }} options
 * @example
 * const result = await clusterBench({ masters: [1, 3], shards: 12, tasks: 20_000, reps: 3, processes: 2, concurrency: 50, batch: 1000, retentionMs: 1000, log: console.log });
 */
export async function clusterBench(options) {
  const layouts = [];
  for (const masters of options.masters) layouts.push(await benchLayout(masters, options));
  return { layouts };
}

async function benchLayout(masters, options) {
  const cluster = await startRedisCluster({ masters });
  const nodes = (await cluster.masters()).sort((a, b) => a.slots[0][0] - b.slots[0][0]);
  const admins = nodes.map((n) => new RedisAdmin(`redis://127.0.0.1:${n.port}`));
  try {
    const placement = await evenQueue(admins[0].client, nodes, options.shards);
    options.log(`  ${masters} master(s) at ${cluster.spec}: queue ${placement.queue} (name ${placement.namesTried} tried), shards per master ${placement.perNode.join('/')}`);
    const runs = [];
    for (let rep = 0; rep < options.reps; rep += 1) {
      const queue = placement.queue;
      await Promise.all(admins.map((a) => a.flush()));
      const run = await processOnCluster({ ...options, spec: cluster.spec, queue, admins });
      runs.push(run);
      options.log(`  rep ${rep + 1}/${options.reps}  ${masters} master(s)  ${fmt(run.tasksPerSec, 0)} tasks/s  commands per node ${run.nodes.map((n) => `${(n.commandShare * 100).toFixed(1)}%`).join(' / ')}`);
    }
    return summarize(masters, nodes, placement, runs);
  } finally {
    for (const a of admins) a.close();
    await cluster.stop();
  }
}

/**
 * The first queue name `bench-cluster-<k>` whose shards split over the masters as evenly as
 * the counts allow (4/4/4 for 12 shards on 3). A shard's slot is the CRC16 of its hash tag,
 * so an arbitrary name gives an uneven split more often than not (5/4/3 is typical): the
 * benchmark measures how the work spreads once the shards are spread, and says which name
 * it used. Slots come from the server (CLUSTER KEYSLOT), so no hash is re-implemented here.
 */
async function evenQueue(client, nodes, shards) {
  const low = Math.floor(shards / nodes.length);
  const high = Math.ceil(shards / nodes.length);
  for (let k = 0; k < NAME_ATTEMPTS; k += 1) {
    const queue = `bench-cluster-${k}`;
    const slots = await Promise.all(Array.from({ length: shards }, (_, i) => client.cluster('KEYSLOT', i === 0 ? `{${queue}}` : `{${queue}~${i}}`)));
    const perNode = nodes.map((n) => slots.filter((s) => n.slots.some(([lo, hi]) => s >= lo && s <= hi)).length);
    if (perNode.every((c) => c >= low && c <= high)) return { queue, perNode, namesTried: k + 1 };
  }
  throw new Error(`no queue name among ${NAME_ATTEMPTS} spreads ${shards} shards evenly over ${nodes.length} masters`);
}

/** Pre-fills `tasks`, then `processes` workers at `concurrency` drain them; per-node costs of the drain. */
async function processOnCluster({ spec, queue, admins, shards, tasks, processes, concurrency, batch, retentionMs }) {
  const config = { url: null, cluster: spec, shards, queue, retentionMs };
  const producer = spawnWorker(SYSTEM, 'bulk', { ...config, tasks, batch });
  try {
    await producer.ready;
    producer.go();
    await producer.done;
  } finally {
    producer.kill();
  }
  const workers = Array.from({ length: processes }, () => spawnWorker(SYSTEM, 'work', { ...config, concurrency, handler: 'noop' }));
  try {
    await Promise.all(workers.map((w) => w.ready));
    await Promise.all(admins.map((a) => a.resetStats()));
    const cpu0 = await Promise.all(admins.map((a) => a.cpuSeconds()));
    for (const w of workers) w.go();
    const total = () => sum(workers.map((w) => w.progress.completed));
    await waitUntil(() => total() >= tasks, { timeoutMs: 60_000 + tasks * 5, what: `${tasks} completions on the cluster` });
    const cpuMs = (await Promise.all(admins.map((a) => a.cpuSeconds()))).map((c, i) => (c - cpu0[i]) * 1000);
    const counts = await Promise.all(admins.map((a) => a.commandCounts()));
    for (const w of workers) w.stop();
    const finals = await Promise.all(workers.map((w) => w.done));
    const completed = sum(finals.map((f) => f.completed));
    const spanMs = Math.max(...finals.map((f) => f.last ?? -Infinity)) - Math.min(...finals.map((f) => f.first ?? Infinity));
    const executed = counts.map((c) => c.executed);
    const totalExecuted = sum(executed);
    const totalCpu = sum(cpuMs);
    return {
      tasksPerSec: (completed - 1) / (spanMs / 1000),
      completed,
      spanMs,
      clientCpuMs: sum(finals.map((f) => f.cpuMs)),
      nodes: admins.map((_, i) => ({
        commands: executed[i],
        commandsPerTask: executed[i] / completed,
        cpuMs: cpuMs[i],
        cpuUsPerTask: (cpuMs[i] * 1000) / completed,
        commandShare: totalExecuted > 0 ? executed[i] / totalExecuted : 0,
        cpuShare: totalCpu > 0 ? cpuMs[i] / totalCpu : 0,
      })),
    };
  } finally {
    for (const w of workers) w.kill();
  }
}

/** Medians over the reps, per layout and per node, and whether every node's share is even. */
function summarize(masters, nodes, placement, runs) {
  const med = (f) => median(runs.map(f));
  const even = 1 / masters;
  const within = (share) => Math.abs(share - even) <= even * SHARE_TOLERANCE;
  const perNode = nodes.map((node, i) => {
    const commandShare = med((r) => r.nodes[i].commandShare);
    const cpuShare = med((r) => r.nodes[i].cpuShare);
    return {
      port: node.port,
      shards: placement.perNode[i],
      commandsPerTask: med((r) => r.nodes[i].commandsPerTask),
      cpuUsPerTask: med((r) => r.nodes[i].cpuUsPerTask),
      commandShare,
      cpuShare,
      commandShareEven: within(commandShare),
      cpuShareEven: within(cpuShare),
    };
  });
  const tasksPerSec = med((r) => r.tasksPerSec);
  return {
    masters,
    queue: placement.queue,
    /** How many names were tried before one spread the shards evenly (1 = the first did). */
    namesTried: placement.namesTried,
    shardsPerMaster: placement.perNode,
    tasksPerSec,
    tasksPerSecPerMaster: tasksPerSec / masters,
    commandsPerTask: sum(perNode.map((n) => n.commandsPerTask)),
    redisCpuUsPerTask: sum(perNode.map((n) => n.cpuUsPerTask)),
    sharesEven: perNode.every((n) => n.commandShareEven),
    nodes: perNode,
    runs,
  };
}

/**
 * The printed report: one row per layout, then one per master node.
 *
 * @example
 * console.log(clusterTables(result).join('\n'));
 */
export function clusterTables({ layouts }) {
  const pct = (x) => `${(x * 100).toFixed(1)}%`;
  const summary = renderTable(['layout', 'shards/master', 'tasks/s', 'tasks/s per master', 'cmds/task', 'redis CPU µs/task', 'shares even'],
    layouts.map((l) => [`${l.masters} master(s)`, l.shardsPerMaster.join('/'), fmt(l.tasksPerSec, 0), fmt(l.tasksPerSecPerMaster, 0),
      fmt(l.commandsPerTask, 2), fmt(l.redisCpuUsPerTask, 1), l.masters === 1 ? '-' : l.sharesEven ? 'yes' : 'NO']));
  const nodes = renderTable(['layout', 'node', 'shards', 'cmds/task', 'CPU µs/task', 'share of cmds', 'share of CPU', `cmds within ±${SHARE_TOLERANCE * 100}% of even`],
    layouts.flatMap((l) => l.nodes.map((n) => [`${l.masters} master(s)`, String(n.port), String(n.shards), fmt(n.commandsPerTask, 2), fmt(n.cpuUsPerTask, 1),
      pct(n.commandShare), pct(n.cpuShare), l.masters === 1 ? '-' : `${n.commandShareEven ? 'yes' : 'NO'} (CPU ${n.cpuShareEven ? 'yes' : 'no'})`])));
  return [summary, '', 'Per master node (medians over the reps; per task = per task drained by the whole cluster):', '', nodes];
}

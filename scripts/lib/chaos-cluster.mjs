// `npm run chaos -- --cluster`: the parts of the chaos run that differ on a Redis Cluster.
// The cluster is 3 masters with a replica each, AOF on; instead of killing the one Redis,
// the run SIGKILLs the master that holds the queue's shard 0 and waits for its replica to
// take over, then (unless --no-rejoin) starts the old master again, which rejoins as the
// new master's replica. With durability 'replicated' every write the queue acknowledged
// had reached a replica, so the failover may lose none of them: the task records counted
// just before the kill must all be there after, and so must every INCR of a probe that
// was acknowledged only after WAIT saw a replica take it.
import { Redis } from 'ioredis';
import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { formatMs } from './demo-progress.mjs';
import { line, ok } from './demo-report.mjs';
import { startRedisCluster } from './redis-cluster.mjs';
import { startWriteProbe, taskSnapshot } from './chaos-redis.mjs';

const MASTERS = 3;
const WAIT_MS = 1000;
const PROBE_RETRY_MS = 50;
const FAILOVER_TIMEOUT_MS = 30_000;
const LINK_TIMEOUT_MS = 30_000;
/** The probe writes for this long before the kill, so the kill lands among acknowledged writes. */
const PROBE_LEAD_MS = 200;

/**
 * The run's private cluster, in the `redis` slot of DemoChildren: `stop()` ends every node
 * and removes their directories, `killSync()` is the last resort on exit.
 *
 * @example
 * const cluster = await ChaosCluster.start();
 * const queue = new TaskQueue({ redis: { cluster: cluster.nodes }, name, shards: 6, durability: 'replicated' });
 * await cluster.stop();
 */
export class ChaosCluster {
  #harness;

  constructor(harness) {
    this.#harness = harness;
  }

  static async start() {
    // detached: a terminal's Ctrl-C must not take the nodes down before the supervisor has drained.
    return new ChaosCluster(await startRedisCluster({ masters: MASTERS, replicas: 1, appendonly: true, detached: true }));
  }

  get harness() {
    return this.#harness;
  }

  /** `host:port,...` of every node, as --redis-cluster takes it. */
  get spec() {
    return this.#harness.spec;
  }

  get nodes() {
    return this.#harness.spec.split(',');
  }

  stop() {
    return this.#harness.stop();
  }

  /** Synchronous: SIGKILLs every node still running and removes its directory. */
  killSync() {
    for (const node of this.#harness.nodes) {
      try {
        process.kill(node.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
      rmSync(node.dir, { recursive: true, force: true });
    }
  }
}

/**
 * Acknowledged writes across a failover: INCR then `WAIT 1` in one pipeline (both on the
 * master of `key`'s slot), one after another until stopped. `acked` is the last value a
 * replica was known to hold; errors (the master gone, the slot moving) are retried.
 *
 * @example
 * const probe = startReplicatedProbe(cluster, 'chaos:probe:{q}');
 * const acked = probe.acked; // …kill the master, wait for the failover…
 * probe.stop();
 */
export function startReplicatedProbe(client, key) {
  return startWriteProbe(client, key, { write: incrReplicated, retryMs: PROBE_RETRY_MS });
}

async function incrReplicated(client, key) {
  const [[incrError, value], [waitError, replicas]] = await client.pipeline().incr(key).wait(1, WAIT_MS).exec();
  return !incrError && !waitError && Number(replicas) >= 1 ? Number(value) : null;
}

/**
 * Kills (`signal`, SIGKILL in the chaos run) the master of the queue's shard 0 with the producer held (see chaos-producer.mjs),
 * waits for its replica to take over, checks what survived, and unless `rejoin` is false
 * starts the old master again `downMs` after the failover and waits until it replicates the
 * new master (so that `WAIT 1` is answered again on those slots) before the producer goes on.
 *
 * @returns {Promise<FailoverFacts>}
 * @typedef {{ port: number, slots: number, failoverMs: number, readyMs: number, rejoinMs: number | null,
 *   before: import('./chaos-redis.mjs').Snapshot, after: import('./chaos-redis.mjs').Snapshot,
 *   probe: { acked: number, after: number } }} FailoverFacts
 */
export async function failOverMaster({ cluster, queue, producer, probeKey, signal, downMs, rejoin }) {
  const client = queue.redis;
  await producer.pause();
  const probe = startReplicatedProbe(client, probeKey);
  try {
    const slot = Number(await client.cluster('KEYSLOT', queue.keys.prefix));
    const victim = await cluster.harness.slotOwner(slot);
    const slots = (await cluster.harness.masters()).find((m) => m.port === victim.port).slots.reduce((n, [lo, hi]) => n + hi - lo + 1, 0);
    await sleep(PROBE_LEAD_MS);
    const before = await taskSnapshot(queue);
    const acked = probe.acked;
    const killedAt = Date.now();
    await cluster.harness.killNode(victim.port, signal);
    await cluster.harness.waitForFailover(victim.port, FAILOVER_TIMEOUT_MS);
    const failoverMs = Date.now() - killedAt;
    await client.ping();
    const readyMs = Date.now() - killedAt;
    probe.stop();
    const probeAfter = Number(await client.get(probeKey));
    let rejoinMs = null;
    if (rejoin) {
      await sleep(downMs);
      const restartAt = Date.now();
      await cluster.harness.restartNode(victim.port);
      await replicaLinkUp(victim.port);
      rejoinMs = Date.now() - restartAt;
    }
    // After the rejoin: with durability 'replicated' even `stats` waits for a replica.
    const after = await taskSnapshot(queue);
    return { port: victim.port, slots, failoverMs, readyMs, rejoinMs, before, after, probe: { acked, after: probeAfter } };
  } finally {
    probe.stop();
    producer.resume();
  }
}

/** Resolves once the node on `port` is a replica whose link to its master is up. */
async function replicaLinkUp(port) {
  const node = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1 });
  node.on('error', () => {});
  const until = Date.now() + LINK_TIMEOUT_MS;
  try {
    while (Date.now() < until) {
      const info = await node.info('replication').catch(() => '');
      if (/role:slave/.test(info) && /master_link_status:up/.test(info)) return;
      await sleep(100);
    }
    throw new Error(`node ${port} did not replicate its new master within ${LINK_TIMEOUT_MS} ms of its restart`);
  } finally {
    node.disconnect();
  }
}

/**
 * Counts the task records of a sharded queue on a cluster: SCAN of every shard's prefix on
 * every master. One per unique id when none was lost or created twice.
 */
export async function countClusterTaskRecords(queue) {
  let count = 0;
  for (const node of queue.redis.nodes('master')) {
    for (const keys of queue.shardKeys) {
      let cursor = '0';
      do {
        const [next, found] = await node.scan(cursor, 'MATCH', `${keys.prefix}t:*`, 'COUNT', 2000);
        cursor = next;
        count += found.length;
      } while (cursor !== '0');
    }
  }
  return count;
}

/**
 * The failover's lines in the Chaos section of the table, and its problems: records lost
 * across the failover, acknowledged probe writes lost, or no failover at all.
 *
 * @param {{ facts: FailoverFacts | null, planned: boolean, error: Error | null, durability: string }} input
 * @returns {{ lines: string[], problems: string[] }}
 */
export function failoverBooks({ facts: f, planned, error, durability }) {
  if (!f) {
    return {
      lines: [line('Redis masters SIGKILLed, failed over', 0, planned ? `✗ ${error?.message ?? 'did not happen'}` : '(--no-redis-restart)')],
      problems: planned ? [`no master was killed and failed over${error ? `: ${error.message}` : ''}`] : [],
    };
  }
  const problems = [];
  // The producer was held: the total changes only if an acknowledged enqueue was lost.
  const recordsKept = f.after.total === f.before.total;
  if (!recordsKept) problems.push(`the failover lost acknowledged writes: ${f.before.total} task records before the kill, ${f.after.total} after`);
  const probeKept = f.probe.acked > 0 && f.probe.after >= f.probe.acked;
  if (!probeKept) problems.push(`the write probe had ${f.probe.acked} INCRs acknowledged by a replica before the kill and ${f.probe.after} after the failover`);
  const pad = `  ${''.padEnd(47)}   `;
  const lines = [
    line('Redis masters SIGKILLed, failed over', 1, `port ${f.port} (${f.slots} slots, the queue's shard 0); replica serving after ${formatMs(f.failoverMs)}, answering after ${formatMs(f.readyMs)}`),
    `${pad}${f.rejoinMs === null ? '  old master left down (--no-rejoin)' : `  old master restarted ${formatMs(f.rejoinMs)} before it replicated the new one`}; durability ${durability}`,
    `${pad}${ok(recordsKept)} task records ${f.before.total} → ${f.after.total}, completed ${f.before.completed} → ${f.after.completed}, dead ${f.before.dead} → ${f.after.dead}`,
    `${pad}${ok(probeKept)} write probe: ${f.probe.acked} INCRs acknowledged by a replica before the kill, counter ${f.probe.after} after`,
  ];
  return { lines, problems };
}

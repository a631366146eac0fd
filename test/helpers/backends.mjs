// The three storage backends every storage suite runs against: ioredis-mock, one
// redis-server, and a queue in CLUSTER_SHARDS shards on a 3-master Redis Cluster.
import { Cluster, Redis } from 'ioredis';
import RedisMock from 'ioredis-mock';
import { TaskQueue } from '../../dist/index.js';
import { shardOf } from '../../dist/infra/shards.js';

export function realRedisUrl() {
  const url = process.env.TASKLANE_TEST_REDIS_URL;
  if (!url) throw new Error('TASKLANE_TEST_REDIS_URL is unset: run the tests with `npm test`, which starts a private redis-server');
  return url;
}

/** The test run's cluster (test/run.mjs starts it) as ioredis startup nodes. */
export function clusterNodes() {
  const spec = process.env.TASKLANE_TEST_CLUSTER_NODES;
  if (!spec) throw new Error('TASKLANE_TEST_CLUSTER_NODES is unset: run the tests with `npm test`, which starts a private Redis Cluster');
  return spec.split(',').map((node) => {
    const [host, port] = node.split(':');
    return { host, port: Number(port) };
  });
}

/** Shards of the queues the cluster backend opens: two per master, so every shard count path runs. */
export const CLUSTER_SHARDS = 6;

let counter = 0;
/** A queue name no other test uses, so tests never share keys. */
export function uniqueName(label = 'q') {
  counter += 1;
  return `${label}-${process.pid}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * `shards`: what openQueue gives its queues. `cluster`: keys of one queue live in several
 * slots, so a test that reads raw keys uses `queue.keysFor(id)` (or each of `queue.shardKeys`).
 * @type {Array<{ name: string, client: () => any, shards: number, cluster: boolean }>}
 */
export const backends = [
  { name: 'ioredis-mock', client: () => new RedisMock(), shards: 1, cluster: false },
  { name: 'redis-server', client: () => new Redis(realRedisUrl(), { maxRetriesPerRequest: null }), shards: 1, cluster: false },
  { name: 'redis-cluster', client: () => new Cluster(clusterNodes(), { redisOptions: { maxRetriesPerRequest: null } }), shards: CLUSTER_SHARDS, cluster: true },
];

/**
 * Opens a queue on a fresh client of `backend`; `cleanup()` closes both.
 * @param {{ client: () => import('ioredis').Redis }} backend
 * @param {import('../../dist/index.js').TaskQueueOptions} [options]
 */
export function openQueue(backend, options = {}) {
  const client = backend.client();
  const queue = new TaskQueue({ name: uniqueName(), shards: backend.shards ?? 1, ...options, redis: client });
  queue.on('queue:warning', () => {});
  const cleanup = async () => {
    await queue.close();
    client.disconnect();
  };
  return { queue, client, cleanup };
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Defines and runs one uvu suite per backend: the same tests against ioredis-mock, redis-server
 * and a sharded queue on the Redis Cluster.
 * @param {string} title
 * @param {(test: import('uvu').Test, backend: { name: string, client: () => import('ioredis').Redis }) => void} define
 */
export async function describeBackends(title, define) {
  const { suite } = await import('uvu');
  for (const backend of backends) {
    const test = suite(`${title} [${backend.name}]`);
    define(test, backend);
    test.run();
  }
}

/**
 * `n` ids (`prefix` + a counter) that all map to one shard of `queue` (the shard of the
 * first candidate, or `shard` when given): order across them (FIFO, priority) is exact on a
 * sharded queue too, and counts bounded per shard stay those of one shard.
 * @param {{ shards: number }} queue
 * @param {number} n
 * @param {string} [prefix]
 * @param {number} [shard]
 */
export function sameShardIds(queue, n, prefix = 'id-', shard) {
  const ids = [];
  let target = shard;
  for (let i = 0; ids.length < n; i += 1) {
    const id = `${prefix}${i}`;
    const s = shardOf(id, queue.shards);
    target ??= s;
    if (s === target) ids.push(id);
  }
  return ids;
}

/**
 * Runs `read(keys)` on every shard of `queue` (one command per shard, so each touches one
 * slot on a cluster) and sums the answers, e.g. `sumShards(queue, (k) => client.zcard(k.completed))`.
 * @param {{ shardKeys: readonly any[] }} queue
 * @param {(keys: any) => Promise<number>} read
 */
export async function sumShards(queue, read) {
  const counts = await Promise.all(queue.shardKeys.map((keys) => read(keys)));
  return counts.reduce((sum, count) => sum + Number(count), 0);
}

/**
 * The given names, each kept or suffixed (`name.k`) so that all map to the shard of the
 * first: `const [a, b] = sameShard(queue, 'a', 'b')`. On one shard the names are unchanged.
 * @param {{ shards: number }} queue
 * @param {...string} names
 */
export function sameShard(queue, ...names) {
  const target = shardOf(names[0], queue.shards);
  return names.map((name) => {
    for (let k = 0; ; k += 1) {
      const id = k === 0 ? name : `${name}.${k}`;
      if (shardOf(id, queue.shards) === target) return id;
    }
  });
}

/**
 * KEYS `pattern` on every master of a cluster client (a plain KEYS reaches one node only),
 * or on the one server.
 * @param {any} client
 * @param {string} pattern
 */
export async function keysEverywhere(client, pattern) {
  if (typeof client.nodes !== 'function') return client.keys(pattern);
  // Before the slots are loaded a cluster client knows no nodes, or only some.
  if (client.status !== 'ready') await new Promise((resolve, reject) => {
    client.once('ready', resolve);
    client.once('error', reject);
  });
  const found = await Promise.all(client.nodes('master').map((node) => node.keys(pattern)));
  return found.flat();
}

/**
 * Every key of `queue`, in all its shards, sorted (on a cluster, from every master).
 * @param {any} client
 * @param {{ shardKeys: readonly { prefix: string }[] }} queue
 */
export async function queueKeys(client, queue) {
  const found = await Promise.all(queue.shardKeys.map(({ prefix }) => keysEverywhere(client, `${prefix}*`)));
  return found.flat().sort();
}

/**
 * The enqueued-per-type counter hashes of every shard of `queue`, added up (each shard counts
 * the tasks it stored), as numbers.
 * @param {any} client
 * @param {{ shardKeys: readonly { enqueuedCounts: string }[] }} queue
 */
export async function enqueuedCountsOf(client, queue) {
  const counts = {};
  for (const keys of queue.shardKeys) {
    for (const [type, n] of Object.entries(await client.hgetall(keys.enqueuedCounts))) counts[type] = (counts[type] ?? 0) + Number(n);
  }
  return counts;
}

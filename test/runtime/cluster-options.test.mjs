// The supervisor on a Redis Cluster: --redis-cluster (REDIS_CLUSTER_NODES), --shards
// (TASKLANE_SHARDS) and --durability (TASKLANE_DURABILITY) become runtime options, and every
// TaskQueue the runtime opens gets them: its workers' (through WorkerInit), its control
// queue's and its HTTP server's.
import { EventEmitter } from 'node:events';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { FLAGS, helpText, parseCli } from '../../dist/runtime/config.js';
import { resolveOptions, runtimeQueueOptions } from '../../dist/runtime/options.js';
import { initQueueOptions, readWorkerInit, workerInit, WORKER_INIT_ENV } from '../../dist/runtime/ipc.js';
import { redisLabel } from '../../dist/runtime/redis-address.js';
import { watchRedis } from '../../dist/runtime/redis-watch.js';
import { freePort } from '../helpers/redis-server.mjs';
import { startSupervisor, killAll } from '../helpers/supervisor.mjs';

const test = suite('supervisor cluster options');
test.after.each(killAll);

const flagError = (option, pattern) => (err) => err.code === 'TASKLANE_ERR_INVALID_OPTION' && err.option === option && pattern.test(err.message);

test('parseCli: --redis-cluster and REDIS_CLUSTER_NODES set `redis` to the cluster\'s nodes', () => {
  assert.equal(parseCli(['--redis-cluster', '10.0.0.1:7000,10.0.0.2:7000'], { REDIS_URL: 'redis://db:6379' }).options,
    { redis: { cluster: ['10.0.0.1:7000', '10.0.0.2:7000'] } }, 'the flag beats REDIS_URL');
  assert.equal(parseCli([], { REDIS_CLUSTER_NODES: 'db-1:7000' }).options, { redis: { cluster: ['db-1:7000'] } });
  assert.equal(parseCli(['--redis', 'redis://db:6379'], { REDIS_CLUSTER_NODES: 'db-1:7000' }).options, { redis: 'redis://db:6379' }, '--redis beats REDIS_CLUSTER_NODES');
  assert.equal(parseCli([], { REDIS_URL: 'redis://db:6379' }).options, { redis: 'redis://db:6379' });
  assert.equal(parseCli(['--redis', ''], {}).options, {}, 'an empty value is no value, as for every flag');
});

test('parseCli: both --redis and --redis-cluster, or both variables, are a usage error naming both', () => {
  assert.throws(() => parseCli(['--redis', 'redis://db:6379', '--redis-cluster', 'db-1:7000'], {}), flagError('--redis-cluster', /--redis and --redis-cluster were both given/));
  assert.throws(() => parseCli([], { REDIS_URL: 'redis://db:6379', REDIS_CLUSTER_NODES: 'db-1:7000' }), flagError('--redis-cluster', /REDIS_URL \(--redis\) and REDIS_CLUSTER_NODES \(--redis-cluster\)/));
});

test('parseCli: a bad node list names the flag, its variable and the form', () => {
  for (const [argv, env] of [[['--redis-cluster', 'db-1'], {}], [[], { REDIS_CLUSTER_NODES: 'db-1:70000' }], [['--redis-cluster', ' , '], {}]]) {
    assert.throws(() => parseCli(argv, env), flagError('--redis-cluster', /^Invalid --redis-cluster \(REDIS_CLUSTER_NODES\): Expected `--redis-cluster` to be HOST:PORT/), JSON.stringify([argv, env]));
  }
});

test('parseCli: --shards and --durability (and their variables), checked with the allowed values', () => {
  assert.equal(parseCli(['--shards', '12', '--durability', 'replicated'], {}).options, { shards: 12, durability: 'replicated' });
  assert.equal(parseCli(['--shards', '2'], { TASKLANE_SHARDS: '9', TASKLANE_DURABILITY: 'async' }).options, { shards: 2, durability: 'async' });
  const cases = [
    [['--shards', '0'], {}, '--shards', /^Invalid --shards \(TASKLANE_SHARDS\): Expected `shards` to be an integer from 1 to 1024, got `0` \(number\)$/],
    [[], { TASKLANE_SHARDS: '1025' }, '--shards', /Invalid --shards \(TASKLANE_SHARDS\): .*from 1 to 1024/],
    [['--shards', 'some'], {}, '--shards', /`--shards` \(TASKLANE_SHARDS\) to be a whole number/],
    [['--durability', 'sync'], {}, '--durability', /^Invalid --durability \(TASKLANE_DURABILITY\): Expected `durability` to be one of async, replicated, got `sync` \(string\)$/],
    [[], { TASKLANE_DURABILITY: 'wait' }, '--durability', /one of async, replicated/],
  ];
  for (const [argv, env, option, pattern] of cases) {
    assert.throws(() => parseCli(argv, env), flagError(option, pattern), JSON.stringify([argv, env]));
  }
});

test('--help documents the three flags, their variables, values and defaults', () => {
  const help = helpText();
  assert.match(help, /--redis-cluster HOST:PORT\[,\.\.\.\] connect to this Redis Cluster instead of --redis/);
  assert.match(help, /env REDIS_CLUSTER_NODES; default: none/);
  assert.match(help, /--shards N .*1 to 1024.*give every process of the queue the same value\n\s+env TASKLANE_SHARDS; default: 1/);
  assert.match(help, /--durability async\|replicated .*\n\s+env TASKLANE_DURABILITY; default: async/);
  assert.is(FLAGS['redis-cluster'].env, 'REDIS_CLUSTER_NODES');
});

test('resolveOptions: a cluster address is labelled by its nodes and checked; functions cannot cross to workers', () => {
  const o = resolveOptions({ redis: { cluster: ['10.0.0.1:7000', '10.0.0.2:7000'] }, shards: 4, durability: 'replicated' });
  assert.is(o.redisLabel, 'cluster 10.0.0.1:7000,10.0.0.2:7000');
  assert.is(o.storage.shards, 4);
  assert.is(o.storage.durability, 'replicated');
  assert.throws(() => resolveOptions({ redis: { cluster: [] } }), flagError('redis.cluster', /at least one HOST:PORT/));
  assert.throws(() => resolveOptions({ redis: { cluster: ['db'] } }), flagError('redis.cluster[0]', /HOST:PORT with a port from 1 to 65535/));
  const withFunction = { cluster: ['db:7000'], options: { redisOptions: { retryStrategy: () => 1 } } };
  assert.throws(() => resolveOptions({ redis: withFunction }), flagError('redis', /no client, no functions/));
  assert.is(resolveOptions({ redis: withFunction, processes: 0 }).redisLabel, 'cluster db:7000', 'in-process, functions are fine');
  assert.is(redisLabel('redis://:pw@db:6379'), 'redis://:***@db:6379');
  assert.is(redisLabel({ host: 'db' }), '(options)');
});

test('every queue of the runtime gets the cluster, shards and durability: control and HTTP queues, and workers through WorkerInit', () => {
  const request = parseCli(['--redis-cluster', '10.0.0.1:7000', '--shards', '8', '--durability', 'replicated', '--queue', 'jobs'], {});
  const o = resolveOptions(request.options);
  const own = runtimeQueueOptions(o);
  assert.equal(own.redis, { cluster: ['10.0.0.1:7000'] });
  assert.is(own.name, 'jobs');
  assert.is(own.shards, 8);
  assert.is(own.durability, 'replicated');

  // The worker reads its settings back from the environment, as a forked worker does.
  const init = workerInit(o, { index: 0, owner: 'h/1/w0.1', lanes: { short: 4, long: 0 } }, 1000);
  const read = readWorkerInit({ [WORKER_INIT_ENV]: JSON.stringify(init) });
  const worker = initQueueOptions(read, undefined);
  assert.equal(worker, { redis: { cluster: ['10.0.0.1:7000'] }, tls: undefined, name: 'jobs', ...o.storage });
  assert.is(worker.shards, 8);
  assert.is(worker.durability, 'replicated');
});

test('WorkerInit: a malformed cluster address is refused, not trusted', () => {
  const o = resolveOptions({ redis: { cluster: ['db:7000'] } });
  const init = workerInit(o, { index: 0, owner: 'o', lanes: { short: 1, long: 0 } }, 1000);
  const read = (redis) => readWorkerInit({ [WORKER_INIT_ENV]: JSON.stringify({ ...init, redis }) });
  assert.equal(read({ cluster: ['db:7000'], options: { slotsRefreshTimeout: 500 } }).redis, { cluster: ['db:7000'], options: { slotsRefreshTimeout: 500 } });
  for (const redis of [{ cluster: [] }, { cluster: 'db:7000' }, { cluster: [7000] }, { cluster: ['db:7000'], options: 'x' }]) {
    assert.throws(() => read(redis), /field `redis`/, JSON.stringify(redis));
  }
});

test('watchRedis names a cluster\'s failing node from its slots-refresh error', async () => {
  const client = Object.assign(new EventEmitter(), { status: 'connecting' });
  const lines = [];
  const log = { error: (o, msg) => lines.push(['error', o, msg]), warn: () => {}, info: () => {}, debug: () => {} };
  const unwatch = watchRedis(client, { label: 'cluster 10.0.0.1:7000', log, startupTimeoutMs: 60_000 });
  const failed = Object.assign(new Error('Failed to refresh slots cache.'), { lastNodeError: Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:7000'), { code: 'ECONNREFUSED' }) });
  client.emit('error', failed);
  unwatch();
  assert.is(lines.length, 1);
  assert.is(lines[0][1].reason, 'ECONNREFUSED: connect ECONNREFUSED 10.0.0.1:7000');
  assert.match(lines[0][2], /^cannot reach Redis at cluster 10\.0\.0\.1:7000 /);
});

test('the supervisor on an unreachable cluster: --redis-wait exits 3 naming the cluster\'s nodes', async () => {
  const port = await freePort();
  const sup = startSupervisor(['--short', '1', '--long', '0', '--redis-wait', '1s', '--shards', '4', '--durability', 'replicated'], { env: { REDIS_CLUSTER_NODES: `127.0.0.1:${port}` } });
  const { code } = await sup.exited;
  assert.is(code, 3, sup.stderr);
  assert.match(sup.stderr, new RegExp(`Redis at cluster 127\\.0\\.0\\.1:${port} did not answer within 1000 ms`));
  assert.ok(sup.logs.some((l) => l.msg === 'supervisor starting' && l.redis === `cluster 127.0.0.1:${port}`), 'the start-up log names the cluster');
});

test.run();

// `tasklane` on a Redis Cluster: --redis-cluster (REDIS_CLUSTER_NODES) instead of --redis, and
// --shards / --durability beside the storage flags, so a command opens the queue exactly as the
// workers do. An unreachable cluster fails within seconds with exit 3, as an unreachable Redis does.
import { createServer } from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openSession, resolveTarget } from '../../dist/cli/connect.js';
import { storageFromFlags } from '../../dist/cli/storage-flags.js';
import { COMMON_FLAGS } from '../../dist/cli/args.js';
import { FLAGS } from '../../dist/runtime/config.js';
import { DURABILITIES, MAX_SHARDS } from '../../dist/index.js';
import { cli } from '../helpers/cli.mjs';
import { freePort } from '../helpers/redis-server.mjs';

const test = suite('tasklane cluster flags');

const usage = (option, pattern) => (err) => err.code === 'TASKLANE_ERR_INVALID_OPTION' && err.option === option && pattern.test(err.message);

test('--redis-cluster and REDIS_CLUSTER_NODES give the cluster\'s nodes; its label lists them', () => {
  const fromFlag = resolveTarget({ 'redis-cluster': '10.0.0.1:7000, 10.0.0.2:7001' }, { REDIS_URL: 'redis://db:6379' });
  assert.equal(fromFlag.redis, { cluster: ['10.0.0.1:7000', '10.0.0.2:7001'] }, 'the flag beats REDIS_URL');
  assert.is(fromFlag.label, 'cluster 10.0.0.1:7000,10.0.0.2:7001');
  assert.equal(resolveTarget({}, { REDIS_CLUSTER_NODES: '[::1]:7000' }).redis, { cluster: ['[::1]:7000'] });
  assert.is(resolveTarget({ redis: 'redis://db:6379' }, { REDIS_CLUSTER_NODES: 'a:7000' }).redis, 'redis://db:6379', '--redis beats REDIS_CLUSTER_NODES');
  const single = resolveTarget({}, { REDIS_URL: 'redis://:secret@db:6379' });
  assert.is(single.redis, 'redis://:secret@db:6379');
  assert.is(single.label, 'redis://:***@db:6379');
});

test('both --redis and --redis-cluster (or both variables) are a usage error naming both', () => {
  assert.throws(() => resolveTarget({ redis: 'redis://db:6379', 'redis-cluster': 'a:7000' }, {}), usage('--redis-cluster', /^--redis and --redis-cluster were both given/));
  assert.throws(() => resolveTarget({}, { REDIS_URL: 'redis://db:6379', REDIS_CLUSTER_NODES: 'a:7000' }), usage('--redis-cluster', /REDIS_URL \(--redis\) and REDIS_CLUSTER_NODES \(--redis-cluster\) are both set/));
});

test('a bad node list names the flag, its variable and the form it takes', () => {
  for (const [values, env] of [[{ 'redis-cluster': 'a' }, {}], [{ 'redis-cluster': 'a:0' }, {}], [{}, { REDIS_CLUSTER_NODES: ',' }], [{ 'redis-cluster': 'a:7000,b' }, {}]]) {
    assert.throws(() => resolveTarget(values, env), usage('--redis-cluster', /^Invalid --redis-cluster \(REDIS_CLUSTER_NODES\): Expected `--redis-cluster` to be HOST:PORT/), JSON.stringify([values, env]));
  }
  assert.throws(() => resolveTarget({ 'redis-cluster': '' }, {}), usage('--redis-cluster', /must not be empty/));
});

test('--shards and --durability (and their variables) reach the queue options, checked', () => {
  assert.is(storageFromFlags({}, {}).shards, 1);
  assert.is(storageFromFlags({}, {}).durability, 'async');
  const storage = resolveTarget({ 'redis-cluster': 'a:7000', shards: '12' }, { TASKLANE_DURABILITY: 'replicated', TASKLANE_SHARDS: '3' }).storage;
  assert.is(storage.shards, 12, 'the flag beats TASKLANE_SHARDS');
  assert.is(storage.durability, 'replicated');
  assert.is(storageFromFlags({}, { TASKLANE_SHARDS: String(MAX_SHARDS) }).shards, MAX_SHARDS);
  const cases = [
    [{ shards: '0' }, {}, '--shards', /^Invalid --shards \(TASKLANE_SHARDS\): Expected `shards` to be an integer from 1 to 1024, got `0` \(number\)$/],
    [{}, { TASKLANE_SHARDS: '1025' }, '--shards', /Invalid --shards \(TASKLANE_SHARDS\): Expected `shards` to be an integer from 1 to 1024/],
    [{ shards: 'many' }, {}, '--shards', /^--shards \(TASKLANE_SHARDS\) must be a whole number from 0 up, got `many`$/],
    [{ durability: 'sync' }, {}, '--durability', /^Invalid --durability \(TASKLANE_DURABILITY\): Expected `durability` to be one of async, replicated, got `sync` \(string\)$/],
    [{}, { TASKLANE_DURABILITY: 'REPLICATED' }, '--durability', /one of async, replicated/],
  ];
  for (const [values, env, option, pattern] of cases) {
    assert.throws(() => storageFromFlags(values, env), usage(option, pattern), JSON.stringify([values, env]));
  }
});

test('the limits match the queue\'s own, and the flags are the supervisor\'s', () => {
  assert.is(MAX_SHARDS, 1024);
  assert.is(FLAGS.durability.value, DURABILITIES.join('|'));
  for (const name of ['redis-cluster', 'shards', 'durability']) {
    assert.ok(COMMON_FLAGS[name], `--${name} is a common flag`);
    assert.match(COMMON_FLAGS[name].help, FLAGS[name].env);
  }
  assert.match(COMMON_FLAGS.shards.help, /give every process of the queue the same value/);
});

test('--help shows the three flags with their variables, in every command and at the top', async () => {
  const [top, stats] = await Promise.all([cli(['--help']), cli(['stats', '--help'])]);
  for (const run of [top, stats]) {
    assert.is(run.code, 0);
    for (const text of ['--redis-cluster HOST:PORT[,...]', 'REDIS_CLUSTER_NODES', '--shards N', 'TASKLANE_SHARDS', '--durability', 'TASKLANE_DURABILITY']) {
      assert.ok(run.stdout.includes(text), `${text} missing from:\n${run.stdout}`);
    }
  }
  assert.match(stats.stdout, /--durability async\|replicated/);
});

test('the conflict and a bad value exit 2 from the command line, naming the flags', async () => {
  const both = await cli(['stats', '--redis', 'redis://127.0.0.1:1', '--redis-cluster', '127.0.0.1:1', '--json']);
  assert.is(both.code, 2);
  assert.is(both.json.error.code, 'TASKLANE_ERR_INVALID_OPTION');
  assert.match(both.json.error.message, /--redis and --redis-cluster/);
  const shards = await cli(['stats', '--shards', '2000']);
  assert.is(shards.code, 2);
  assert.match(shards.stderr, /--shards \(TASKLANE_SHARDS\).*from 1 to 1024/);
});

test('an unreachable cluster: RedisUnavailableError naming the nodes, within seconds', async () => {
  const port = await freePort();
  const started = Date.now();
  const err = await openSession(resolveTarget({ 'redis-cluster': `127.0.0.1:${port}` }, {}), () => {}).then(() => null, (e) => e);
  assert.ok(err, 'openSession rejected');
  assert.is(err.code, 'TASKLANE_ERR_REDIS_UNAVAILABLE');
  assert.is(err.name, 'RedisUnavailableError');
  // The cause names the node that failed (ioredis drops the socket's own error code).
  assert.match(err.message, new RegExp(`^cannot reach Redis at cluster 127\\.0\\.0\\.1:${port}: 127\\.0\\.0\\.1:${port}: `));
  assert.ok(Date.now() - started < 5000, `failed after ${Date.now() - started} ms`);

  const run = await cli(['stats', '--json'], { env: { REDIS_CLUSTER_NODES: `127.0.0.1:${port}` } });
  assert.is(run.code, 3, run.stderr);
  assert.is(run.json.error.code, 'TASKLANE_ERR_REDIS_UNAVAILABLE');
  assert.match(run.json.error.message, `cluster 127.0.0.1:${port}`);
});

test('a node that accepts and never answers: exit 3 within the CLI\'s bound, not a hang', async () => {
  const sockets = new Set();
  const silent = createServer((socket) => sockets.add(socket));
  await new Promise((resolve) => silent.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = silent.address();
    const started = Date.now();
    const err = await openSession(resolveTarget({ 'redis-cluster': `127.0.0.1:${port}` }, {}), () => {}).then(() => null, (e) => e);
    assert.ok(err, 'openSession rejected');
    assert.is(err.code, 'TASKLANE_ERR_REDIS_UNAVAILABLE');
    assert.match(err.message, `cluster 127.0.0.1:${port}`);
    assert.ok(Date.now() - started < 7000, `failed after ${Date.now() - started} ms`);
  } finally {
    for (const socket of sockets) socket.destroy();
    silent.close();
  }
});

test.run();

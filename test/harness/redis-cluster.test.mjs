// The Redis Cluster harness starts a real cluster the sharded-queue tests can rely on:
// slots spread over masters, a SIGKILLed master fails over to its replica, resharding
// moves keys, and stop() leaves no process behind.
import { Cluster } from 'ioredis';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startRedisCluster } from '../helpers/redis-cluster.mjs';

const test = suite('redis cluster harness');
let cluster;
let client;

test.before(async () => {
  cluster = await startRedisCluster({ masters: 3, replicas: 1 });
  client = new Cluster(cluster.startupNodes, { clusterRetryStrategy: () => 200, redisOptions: { maxRetriesPerRequest: 3 } });
});

test.after(async () => {
  client?.disconnect();
  await cluster?.stop();
});

/** Keys `{tag}:k` for tags spread until every master owns at least one. */
async function keysOnEveryMaster() {
  const masters = await cluster.masters();
  const byMaster = new Map();
  for (let i = 0; byMaster.size < masters.length && i < 1000; i += 1) {
    const key = `{tag${i}}:k`;
    const owner = await cluster.slotOwner(await client.cluster('KEYSLOT', key));
    if (!byMaster.has(owner.port)) byMaster.set(owner.port, key);
  }
  return byMaster;
}

test('starts 3 masters with one replica each, all slots covered', async () => {
  assert.is(cluster.nodes.length, 6);
  assert.is(cluster.nodes.filter((n) => n.role === 'master').length, 3);
  assert.is(cluster.spec, cluster.nodes.map((n) => `127.0.0.1:${n.port}`).join(','));
  const masters = await cluster.masters();
  const covered = masters.flatMap((m) => m.slots).reduce((sum, [lo, hi]) => sum + hi - lo + 1, 0);
  assert.is(covered, 16384);
  for (const node of cluster.nodes) process.kill(node.pid, 0); // throws if not running
});

test('keys with different hash tags land on different masters and SET/GET work', async () => {
  const byMaster = await keysOnEveryMaster();
  assert.is(byMaster.size, 3);
  for (const [port, key] of byMaster) {
    await client.set(key, `on-${port}`);
    assert.is(await client.get(key), `on-${port}`);
  }
});

test('a SIGKILLed master fails over to its replica and its slots take writes again', async () => {
  const byMaster = await keysOnEveryMaster();
  const [deadPort, key] = [...byMaster][0];
  const slot = await client.cluster('KEYSLOT', key);
  const deadPid = cluster.nodes.find((n) => n.port === deadPort).pid;
  await cluster.killNode(deadPort);
  assert.throws(() => process.kill(deadPid, 0));
  await cluster.waitForFailover(deadPort, 20_000);
  const owner = await cluster.slotOwner(slot);
  assert.is.not(owner.port, deadPort);
  assert.is(cluster.nodes.find((n) => n.port === owner.port).role, 'replica', 'the old replica now owns the slot');
  await client.set(key, 'after-failover');
  assert.is(await client.get(key), 'after-failover');

  await cluster.restartNode(deadPort);
  const rejoined = (await cluster.masters()).map((m) => m.port);
  assert.not.ok(rejoined.includes(deadPort), 'the restarted old master rejoins as a replica');
});

test('resharding moves slots with their keys and the keys stay readable', async () => {
  const [from, to] = (await cluster.masters()).filter((m) => m.slots.length > 0);
  const [lo] = from.slots[0];
  // redis-cli moves the source's lowest slots first: find keys in the 100 lowest.
  const keys = [];
  for (let base = 0; keys.length < 50 && base < 100_000; base += 1000) {
    const batch = Array.from({ length: 1000 }, (_, i) => `{r${base + i}}:k`);
    const slots = await Promise.all(batch.map((key) => client.cluster('KEYSLOT', key)));
    keys.push(...batch.filter((_, i) => slots[i] >= lo && slots[i] < lo + 100));
  }
  assert.ok(keys.length >= 50, `found ${keys.length} keys in slots ${lo}..${lo + 99}`);
  for (const key of keys) await client.set(key, key);
  await cluster.reshard({ from: from.id, to: to.id, slots: 100 });
  for (const key of keys) {
    const slot = await client.cluster('KEYSLOT', key);
    assert.is((await cluster.slotOwner(slot)).port, to.port, `slot ${slot} moved`);
    assert.is(await client.get(key), key);
  }
});

test('the test run shares a healthy 3-master cluster in TASKLANE_TEST_CLUSTER_NODES', async () => {
  const spec = process.env.TASKLANE_TEST_CLUSTER_NODES;
  assert.match(spec ?? '', /^127\.0\.0\.1:\d+(,127\.0\.0\.1:\d+){2}$/);
  const shared = new Cluster(spec.split(',').map((hostPort) => ({ host: '127.0.0.1', port: Number(hostPort.split(':')[1]) })));
  try {
    const masters = (await shared.cluster('NODES')).split('\n').filter((line) => / master /.test(line) || /,master /.test(line));
    assert.is(masters.length, 3);
    await shared.set('{harness}:probe', 'ok');
    assert.is(await shared.get('{harness}:probe'), 'ok');
    await shared.del('{harness}:probe');
  } finally {
    shared.disconnect();
  }
});

test('stop() ends every node process and is safe to call twice', async () => {
  await cluster.stop();
  await cluster.stop();
  for (const node of cluster.nodes) assert.throws(() => process.kill(node.pid, 0), `pid ${node.pid} is gone`);
});

test.run();

// Fewer masters than redis-cli --cluster create accepts: slots assigned by hand (bench --cluster).
const small = suite('redis cluster harness, 1 master');

small('one master owns every slot, announces a reachable address, and a Cluster client reads and writes', async () => {
  const one = await startRedisCluster({ masters: 1 });
  const c = new Cluster(one.startupNodes, { clusterRetryStrategy: () => 200, redisOptions: { maxRetriesPerRequest: 3 } });
  try {
    assert.is(one.nodes.length, 1);
    assert.equal((await one.masters()).map((m) => m.slots), [[[0, 16383]]]);
    // CLUSTER SLOTS names the host: without it the client could not route a single command.
    const [[lo, hi, [host, port]]] = await c.cluster('SLOTS');
    assert.equal([lo, hi, host, port], [0, 16383, '127.0.0.1', one.nodes[0].port]);
    await c.set('{a}:k', 'v');
    assert.is(await c.get('{a}:k'), 'v');
  } finally {
    c.disconnect();
    await one.stop();
  }
  assert.throws(() => process.kill(one.nodes[0].pid, 0), 'the node is gone');
});

small('refuses replicas with fewer than 3 masters, naming the field', async () => {
  try {
    await startRedisCluster({ masters: 2, replicas: 1 });
    assert.unreachable('should have thrown');
  } catch (err) {
    assert.match(err.message, /`replicas` to be 0 with fewer than 3 masters/);
  }
});

small.run();

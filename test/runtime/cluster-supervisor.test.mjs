// The supervisor on a sharded queue on the run's Redis Cluster (`--redis-cluster --shards 6`),
// end to end: real worker processes, tasks enqueued by a library producer on a Cluster client.
// Both lanes finish every task exactly once, spread over all shards; a SIGKILLed worker's leases
// come back at once from every shard; SIGTERM drains; a long task outlives its lease by heartbeats.
import { Cluster } from 'ioredis';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { TaskQueue } from '../../dist/index.js';
import { CLUSTER_SHARDS, clusterNodes, uniqueName } from '../helpers/backends.mjs';
import { eventually, killAll, startSupervisor } from '../helpers/supervisor.mjs';

const test = suite('supervisor on a sharded cluster queue');
test.after.each(killAll);

const SPEC = () => process.env.TASKLANE_TEST_CLUSTER_NODES;

function openProducer(name) {
  const client = new Cluster(clusterNodes(), { redisOptions: { maxRetriesPerRequest: null } });
  const queue = new TaskQueue({ redis: client, name, shards: CLUSTER_SHARDS });
  queue.on('queue:warning', () => {});
  return { queue, client, close: async () => { await queue.close(); client.disconnect(); } };
}

function supervise(name, args) {
  return startSupervisor(['--redis-cluster', SPEC(), '--shards', String(CLUSTER_SHARDS), '--queue', name,
    '--handlers', 'test/fixtures/handlers-basic.mjs', ...args]);
}

const getAll = (queue, ids) => Promise.all(ids.map((id) => queue.get(id)));

test('both lanes: every task completes once, over every shard; a SIGKILLed worker\'s leases come back; SIGTERM drains', async () => {
  const name = uniqueName('csup');
  const producer = openProducer(name);
  const { queue, client } = producer;
  const sup = supervise(name, ['--short', '2', '--long', '1', '--concurrency', '5', '--lease-ms', '60000']);
  try {
    await sup.waitForLog((l) => l.msg === 'supervisor running');
    const short = Array.from({ length: 240 }, (_, i) => ({ id: `s-${i}`, type: 'sleep', payload: { ms: 80 } }));
    const long = Array.from({ length: 60 }, (_, i) => ({ id: `l-${i}`, lane: 'long', type: 'sleep', payload: { ms: 20 } }));
    const ids = [...short, ...long].map((t) => t.id);
    const added = await queue.enqueueMany([...short, ...long]);
    assert.is(added.filter((r) => !r.duplicate).length, ids.length);

    // Kill the short lane's worker while it holds leases (10 slots of 80 ms tasks: ~2 s of work).
    await eventually(async () => (await queue.stats()).completed >= 40, { what: '40 tasks completed' });
    const shortWorker = [...sup.logs].reverse().find((l) => l.role === 'supervisor' && l.msg === 'worker ready' && l.lanes?.short > 0);
    assert.ok(shortWorker, 'a short-lane worker reported ready');
    const victim = shortWorker.workerPid;
    const activeBefore = (await queue.stats()).active;
    assert.ok(activeBefore > 0, 'tasks are in flight when the worker dies');
    process.kill(victim, 'SIGKILL');
    const death = await sup.waitForLog((l) => l.workerPid === victim && l.msg === 'worker died', 10_000, 'the death report');
    assert.is(death.signal, 'SIGKILL');
    const release = await sup.waitForLog((l) => l.workerPid === victim && l.msg === 'released the leases of a worker that ended', 10_000, 'the release report');
    // At least one lease; more than the 10 slots when finished tasks wait in the completion batcher.
    assert.ok(release.released >= 1, `released ${release.released}`);

    // 60 s leases: only releaseOwner (over every shard) can bring the tasks back this soon.
    await eventually(async () => (await queue.stats()).completed === ids.length, { timeoutMs: 30_000, everyMs: 200, what: `all ${ids.length} tasks completed` });
    const stats = await queue.stats();
    assert.equal(stats, { waiting: { short: 0, long: 0 }, delayed: 0, active: 0, completed: ids.length, dead: 0, paused: { short: false, long: false } });

    const infos = await getAll(queue, ids);
    let stalls = 0;
    for (const info of infos) {
      assert.is(info.state, 'completed', info.id);
      stalls += info.stalls;
      // A released task ran again on another process; one that finished on the victim never stalled.
      if (info.stalls > 0) assert.is.not(info.result.pid, victim, `${info.id} was finished by the killed worker after its release`);
      if (info.result.pid === victim) assert.is(info.stalls, 0, info.id);
      // A lost lease does not count as an attempt (includes/recovery.lua), but every claim bumps the fence.
      assert.is(info.attempts, 1, `${info.id} attempts`);
      assert.is(info.fence, 1 + info.stalls, `${info.id} fence`);
    }
    assert.is(stalls, release.released, 'every released lease shows as one stall');
    assert.ok(infos.filter((t) => t.lane === 'long').every((t) => t.result.pid !== victim), 'the long lane runs in its own worker');

    // stats() is the sum over the shards: each shard's completed set holds its share, and all hold some.
    const perShard = await Promise.all(queue.shardKeys.map((keys) => client.zcard(keys.completed)));
    assert.is(perShard.length, CLUSTER_SHARDS);
    assert.is(perShard.reduce((a, b) => a + b, 0), ids.length);
    assert.ok(perShard.every((n) => n > 0), `completed per shard: ${perShard}`);
    for (const id of ids) assert.ok(await client.exists(`${queue.keysFor(id).prefix}t:${id}`), `${id} lives in its own shard`);

    // SIGTERM with tasks in flight in both lanes: they finish, nothing is released, exit 0.
    const drain = [
      ...Array.from({ length: 6 }, (_, i) => ({ id: `ds-${i}`, type: 'sleep', payload: { ms: 1200 } })),
      ...Array.from({ length: 3 }, (_, i) => ({ id: `dl-${i}`, lane: 'long', type: 'sleep', payload: { ms: 1200 } })),
    ];
    await queue.enqueueMany(drain);
    await eventually(async () => (await queue.stats()).active === drain.length, { what: 'every drain task active' });
    const { code } = await sup.stop('SIGTERM');
    assert.is(code, 0, sup.stderr);
    for (const info of await getAll(queue, drain.map((t) => t.id))) {
      assert.is(info.state, 'completed', `${info.id} drained`);
      assert.is(info.stalls, 0, info.id);
    }
    assert.equal((await queue.stats()).active, 0);
    assert.ok(sup.logs.some((l) => l.msg === 'supervisor stopped'));
  } finally {
    await producer.close();
  }
});

test('work enqueued right after `supervisor running` is claimed at once from any shard (workers listen before their first claim); long tasks outlive a 1 s lease by heartbeats', async () => {
  const name = uniqueName('cbeat');
  const producer = openProducer(name);
  const { queue } = producer;
  const sup = supervise(name, ['--short', '0', '--long', '1', '--lease-ms', '1000']);
  try {
    await sup.waitForLog((l) => l.msg === 'supervisor running');
    // Ids chosen to land in different shards, so heartbeats go to more than one.
    const ids = ['beat-a', 'beat-b', 'beat-c', 'beat-d'];
    await queue.enqueueMany(ids.map((id) => ({ id, lane: 'long', type: 'sleep', payload: { ms: 3500 } })));
    assert.ok(new Set(ids.map((id) => queue.keysFor(id).shard)).size > 1, 'the tasks span shards');
    const started = Date.now();
    // Enqueued right after `supervisor running`: the worker hears the wake-ups of every shard.
    await eventually(async () => (await queue.stats()).active === ids.length, { timeoutMs: 3000, what: 'the tasks active at once' });
    // The active set's score is the lease's end: renewed by heartbeats in each task's own shard.
    const leaseEnds = () => Promise.all(ids.map((id) => producer.client.zscore(queue.keysFor(id).active, id).then(Number)));
    const early = await leaseEnds();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const later = await leaseEnds();
    ids.forEach((id, i) => assert.ok(later[i] >= early[i] + 1000, `${id}: lease end ${early[i]} -> ${later[i]} not renewed`));
    await eventually(async () => (await getAll(queue, ids)).every((t) => t.state === 'completed'), { timeoutMs: 15_000, what: 'the long tasks completed' });
    assert.ok(Date.now() - started >= 3000, 'the tasks ran for more than three leases');
    for (const info of await getAll(queue, ids)) {
      assert.is(info.stalls, 0, `${info.id} lost its lease`);
      assert.is(info.attempts, 1, info.id);
      assert.is(info.fence, 1, `${info.id} was claimed again`);
    }
    assert.is((await sup.stop('SIGTERM')).code, 0, sup.stderr);
  } finally {
    await producer.close();
  }
});

test.run();

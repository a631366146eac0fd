// A sharded queue on a Redis Cluster while a master is SIGKILLed under load: its replica
// takes over, producers and consumers carry on, and with durability 'replicated' nothing that
// was acknowledged is lost. With the default (async) durability the losses are counted and
// reported; fencing still lets at most one holder of a lease record its completion.
import calculateSlot from 'cluster-key-slot';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { TaskQueue } from '../../dist/index.js';
import { startRedisCluster } from '../helpers/redis-cluster.mjs';
import { sleep, uniqueName } from '../helpers/backends.mjs';

const test = suite('cluster failover');
const SHARDS = 6;
const LEASE_MS = 2000;
const PRODUCERS = 4;
const CONSUMERS = 3;
/** Load before the kill, and after the failover and the old master's return. */
const LOAD_MS = 1500;
const DRAIN_MS = 15_000;

/** The queue's shards grouped by the port of the master that serves them. */
async function shardsByMaster(cluster, queue) {
  const byPort = new Map();
  for (const k of queue.shardKeys) {
    const { port } = await cluster.slotOwner(calculateSlot(k.prefix));
    byPort.set(port, [...(byPort.get(port) ?? []), k.shard]);
  }
  return byPort;
}

/** Counts errors by a short label (code, else name and the message's first word). */
function tally(errors, err) {
  const label = err?.code ?? `${err?.name}: ${String(err?.message).split(/\s/).slice(0, 3).join(' ')}`;
  errors.set(label, (errors.get(label) ?? 0) + 1);
}

/**
 * Producers enqueue `t-<n>` ids, retrying an id whose enqueue rejected (as a runtime's
 * caller would); consumers claim, record a side effect per id, and complete, retrying a
 * complete that rejected. Every acknowledgement and side effect is kept for the checks.
 */
function startLoad(queue) {
  const state = {
    stop: false,
    next: 0,
    acked: new Map(), // id -> time its enqueue resolved
    effects: new Map(), // id -> side effects (handler runs)
    completions: new Map(), // id -> [{ fence, claimedAt, ackedAt }] for complete() === true
    stale: 0,
    enqueueErrors: new Map(),
    claimErrors: new Map(),
    completeErrors: new Map(),
    lastEnqueueAck: 0,
    longestEnqueueGap: 0,
  };
  const producer = async () => {
    while (!state.stop) {
      const id = `t-${state.next++}`;
      for (;;) {
        try {
          await queue.enqueue({ id, payload: { n: id } });
          const now = Date.now();
          if (state.lastEnqueueAck) state.longestEnqueueGap = Math.max(state.longestEnqueueGap, now - state.lastEnqueueAck);
          state.lastEnqueueAck = now;
          state.acked.set(id, now);
          break;
        } catch (err) {
          tally(state.enqueueErrors, err);
          if (state.stop) break;
          await sleep(50);
        }
      }
      await sleep(5);
    }
  };
  const consumer = async (owner) => {
    while (!state.finished) {
      let leases;
      try {
        leases = await queue.claim('short', { max: 10, leaseMs: LEASE_MS, owner });
      } catch (err) {
        tally(state.claimErrors, err);
        await sleep(100);
        continue;
      }
      if (leases.length === 0) {
        await sleep(20);
        continue;
      }
      const claimedAt = Date.now();
      for (const lease of leases) {
        state.effects.set(lease.id, (state.effects.get(lease.id) ?? 0) + 1);
        for (let attempt = 0; attempt < 20; attempt += 1) {
          try {
            if (await queue.complete(lease, { by: owner })) {
              const list = state.completions.get(lease.id) ?? [];
              list.push({ fence: lease.fence, claimedAt, ackedAt: Date.now() });
              state.completions.set(lease.id, list);
            } else {
              state.stale += 1;
            }
            break;
          } catch (err) {
            tally(state.completeErrors, err);
            await sleep(100);
          }
        }
      }
    }
  };
  state.pending = () => [...state.acked.keys()].some((id) => !state.completions.has(id));
  state.finished = false;
  const loops = [...Array.from({ length: PRODUCERS }, producer), ...Array.from({ length: CONSUMERS }, (_, i) => consumer(`c${i}`))];
  state.done = Promise.all(loops);
  return state;
}

/** Stops producing, lets the consumers finish the acknowledged tasks (bounded), then stops them. */
async function stopLoad(state) {
  state.stop = true;
  const until = Date.now() + DRAIN_MS;
  while (state.pending() && Date.now() < until) await sleep(100);
  state.finished = true;
  await state.done;
}

/**
 * Runs the load, SIGKILLs the master serving the most shards, waits for its replica to take
 * over, restarts the old master (it rejoins as a replica, so replicated writes have a replica
 * to wait for again), runs the load a little more and drains it. Returns the load's books,
 * the lost acknowledgements, and the timings.
 */
async function failoverUnderLoad(cluster, queue, { beforeLoad } = {}) {
  await queue.checkLayout();
  const byMaster = await shardsByMaster(cluster, queue);
  const [victim, victimShards] = [...byMaster].sort((a, b) => b[1].length - a[1].length)[0];
  await beforeLoad?.(byMaster);
  const state = startLoad(queue);
  await sleep(LOAD_MS);
  const killedAt = Date.now();
  const ackedBeforeKill = state.acked.size;
  await cluster.killNode(victim);
  await cluster.waitForFailover(victim, 20_000);
  const failoverMs = Date.now() - killedAt;
  await cluster.restartNode(victim);
  const rejoinMs = Date.now() - killedAt;
  await sleep(LOAD_MS);
  await stopLoad(state);
  const promoted = await shardsByMaster(cluster, queue);
  assert.not.ok(promoted.has(victim), 'the killed master serves no shard any more');

  // Lost: an acknowledged enqueue whose record is gone; an acknowledged completion whose task
  // is not completed now, or ran again (its first completion vanished with the old master).
  const lostEnqueues = [];
  const lostCompletions = [];
  for (const id of state.acked.keys()) {
    const info = await queue.get(id);
    if (info === null) lostEnqueues.push(id);
    const done = state.completions.get(id) ?? [];
    if (done.length > 1 || (done.length === 1 && info?.state !== 'completed')) lostCompletions.push(id);
  }
  return { state, victim, victimShards, killedAt, ackedBeforeKill, failoverMs, rejoinMs, lostEnqueues, lostCompletions };
}

function report(label, run) {
  const { state } = run;
  const errors = (m) => JSON.stringify(Object.fromEntries(m));
  console.log(`[${label}] killed master :${run.victim} (shards ${run.victimShards.join(',')}); failover ${run.failoverMs} ms, old master rejoined after ${run.rejoinMs} ms; `
    + `longest pause between enqueue acks ${state.longestEnqueueGap} ms`);
  console.log(`[${label}] enqueues acked ${state.acked.size} (${run.ackedBeforeKill} before the kill), completions acked ${state.completions.size}, stale completes ${state.stale}, `
    + `side effects ${[...state.effects.values()].reduce((a, b) => a + b, 0)}`);
  console.log(`[${label}] LOST acked enqueues: ${run.lostEnqueues.length}, LOST acked completions: ${run.lostCompletions.length}`);
  console.log(`[${label}] errors seen: enqueue ${errors(state.enqueueErrors)}, claim ${errors(state.claimErrors)}, complete ${errors(state.completeErrors)}`);
}

/** Cluster redirections are the client's business: none may reach the producer or the consumers. */
function assertNoRedirections(run) {
  for (const errors of [run.state.enqueueErrors, run.state.claimErrors, run.state.completeErrors]) {
    for (const label of errors.keys()) assert.not.match(label, /MOVED|ASK|TRYAGAIN|CLUSTERDOWN/, `a redirection reached the caller: ${label}`);
  }
}

/** Fencing: completions of one task never overlap; a second one follows a lost first one. */
function assertFencing(run) {
  for (const [id, done] of run.state.completions) {
    for (let i = 1; i < done.length; i += 1) {
      assert.ok(done[i].claimedAt >= done[i - 1].ackedAt, `${id}: completion ${i} was claimed after completion ${i - 1} was acknowledged, not concurrently`);
      assert.ok(done[i - 1].ackedAt <= run.rejoinMs + run.killedAt, `${id}: the completion that ran again was acknowledged around the failover`);
      assert.ok(run.lostCompletions.includes(id), `${id}: ran again only because its completion was lost`);
    }
  }
}

test("durability 'replicated': a write no replica acknowledges rejects with TASKLANE_ERR_NOT_REPLICATED and stands; after a master's failover nothing acknowledged is lost", async () => {
  const cluster = await startRedisCluster({ masters: 3, replicas: 1 });
  const nodes = cluster.spec.split(',');
  const queue = new TaskQueue({ name: uniqueName('failover'), shards: SHARDS, durability: 'replicated', leaseMarginMs: 0, redis: { cluster: nodes } });
  const strict = new TaskQueue({ name: uniqueName('unreplicated'), shards: SHARDS, durability: 'replicated', replicationTimeoutMs: 200, redis: { cluster: nodes } });
  queue.on('queue:warning', () => {});
  strict.on('queue:warning', () => {});
  try {
    // A replica stopped (SIGSTOP, by pid): its master's writes are not acknowledged in time.
    await strict.checkLayout();
    const [masterPort, shards] = [...await shardsByMaster(cluster, strict)][0];
    const masterId = cluster.nodes.find((n) => n.port === masterPort).id;
    const replicaLine = (await strict.redis.cluster('REPLICAS', masterId))[0];
    const replica = cluster.nodes.find((n) => replicaLine.includes(`:${n.port}@`));
    let id = 'stalled-0';
    for (let i = 1; !shards.includes(strict.keysFor(id).shard); i += 1) id = `stalled-${i}`;
    process.kill(replica.pid, 'SIGSTOP');
    let err;
    const started = Date.now();
    try {
      await strict.enqueue({ id });
    } catch (e) {
      err = e;
    } finally {
      process.kill(replica.pid, 'SIGCONT');
    }
    const waited = Date.now() - started;
    assert.is(err?.code, 'TASKLANE_ERR_NOT_REPLICATED', `enqueue rejected with ${err?.code ?? err}`);
    assert.is(err.name, 'NotReplicatedError');
    assert.ok(waited >= 190 && waited < 2000, `rejected after the 200 ms WAIT (${waited} ms)`);
    assert.is((await strict.get(id))?.state, 'waiting', 'the write stands on the master');
    assert.equal(await strict.enqueue({ id }), { id, duplicate: true }, 'the replica caught up: the retry is acknowledged');

    const run = await failoverUnderLoad(cluster, queue);
    report('replicated', run);
    assert.ok(run.state.acked.size > run.ackedBeforeKill, 'enqueues resumed after the failover');
    assert.ok(run.state.completions.size > 0, 'consumers completed tasks');
    assert.equal(run.lostEnqueues, [], 'every acknowledged enqueue is stored');
    assert.equal(run.lostCompletions, [], 'every acknowledged completion stands, and none ran again');
    for (const id of run.state.acked.keys()) assert.ok(run.state.completions.has(id), `${id} was acknowledged and completed after the drain`);
    assertNoRedirections(run);
    assertFencing(run);
  } finally {
    await Promise.allSettled([queue.close(), strict.close()]);
    await cluster.stop();
  }
});

test('default async durability: losses across a failover are counted, and fencing holds', async () => {
  const cluster = await startRedisCluster({ masters: 3, replicas: 1 });
  const queue = new TaskQueue({ name: uniqueName('failover'), shards: SHARDS, leaseMarginMs: 0, redis: { cluster: cluster.spec.split(',') } });
  queue.on('queue:warning', () => {});
  try {
    const run = await failoverUnderLoad(cluster, queue);
    report('async', run);
    assert.ok(run.state.acked.size > run.ackedBeforeKill, 'enqueues resumed after the failover');
    assert.ok(Number.isInteger(run.lostEnqueues.length) && Number.isInteger(run.lostCompletions.length));
    assertNoRedirections(run);
    assertFencing(run);
  } finally {
    await queue.close().catch(() => {});
    await cluster.stop();
  }
});

test.run();

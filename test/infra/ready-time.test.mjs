// A lease's readyAt and claimedAt: since when the task was claimable, and when this claim
// took it. Their difference is the wait the runtime reports (tasklane_task_wait_seconds).
import * as assert from 'uvu/assert';
import { describeBackends, openQueue, sameShard, sleep } from '../helpers/backends.mjs';

const opts = (owner = 'w1', leaseMs = 30_000, max = 10) => ({ max, leaseMs, owner });
const WEEK = 7 * 24 * 3_600_000;

/** Server clock in ms, read the way the scripts read it (the mock's clock is the host's). */
async function serverNow(queue, backend) {
  if (backend.name === 'ioredis-mock') return Date.now();
  const [s, us] = await queue.redis.time();
  return Number(s) * 1000 + Math.floor(Number(us) / 1000);
}

/** Makes a task look enqueued a week ago, like an old dead letter. */
async function ageBy(queue, client, id, ms) {
  const ct = Number(await client.hget(queue.keysFor(id).task(id), 'ct'));
  await client.hset(queue.keysFor(id).task(id), 'ct', String(ct - ms));
  return ct - ms;
}

/** claimedAt is the claim's server time, as stored in startedAt; readyAt comes before it. */
async function checkClaim(queue, lease) {
  assert.type(lease.readyAt, 'number');
  assert.type(lease.claimedAt, 'number');
  assert.ok(lease.readyAt > 1.6e12, `readyAt ${lease.readyAt} is server ms`);
  assert.ok(lease.claimedAt >= lease.readyAt, `claimedAt ${lease.claimedAt} >= readyAt ${lease.readyAt}`);
  assert.is((await queue.get(lease.id)).startedAt, lease.claimedAt);
}

await describeBackends('TaskQueue lease readyAt and claimedAt', (test, backend) => {
  test('after enqueue: ready since the enqueue', async () => {
    const { queue, cleanup } = openQueue(backend);
    await queue.enqueue({ id: 'e' });
    await sleep(30);
    const [lease] = await queue.claim('short', opts());
    await checkClaim(queue, lease);
    assert.is(lease.readyAt, lease.createdAt);
    assert.ok(lease.claimedAt - lease.readyAt >= 25, `waited ${lease.claimedAt - lease.readyAt} ms`);
    await cleanup();
  });

  test('after a delay or a retry backoff: ready since it was due, not since its enqueue', async () => {
    const { queue, cleanup } = openQueue(backend);
    await queue.enqueue({ id: 'd', delayMs: 100 });
    const runAt = (await queue.get('d')).runAt;
    await sleep(150);
    const [first] = await queue.claim('short', opts());
    await checkClaim(queue, first);
    assert.is(first.readyAt, runAt, 'the due time, even though it was promoted later');
    assert.ok(first.readyAt - first.createdAt >= 100);

    assert.is(await queue.fail(first, new Error('again'), { retryInMs: 50 }), 'retrying');
    const retryAt = (await queue.get('d')).runAt;
    await sleep(100);
    const [second] = await queue.claim('short', opts());
    await checkClaim(queue, second);
    assert.is(second.attempt, 2);
    assert.is(second.readyAt, retryAt, 'the retry is ready from its backoff\'s end');
    assert.ok(second.claimedAt - second.readyAt < 5000);
    await cleanup();
  });

  // Regression: the wait was measured from the enqueue, so a replayed week-old dead letter
  // reported a wait of a week.
  test('after retryDead and retryAllDead: ready since the replay', async () => {
    for (const replay of ['retryDead', 'retryAllDead']) {
      const { queue, client, cleanup } = openQueue(backend);
      await queue.enqueue({ id: 'old' });
      const [lease] = await queue.claim('short', opts());
      assert.is(await queue.fail(lease, new Error('no'), { retryable: false }), 'dead');
      const createdAt = await ageBy(queue, client, 'old', WEEK);
      const before = await serverNow(queue, backend);
      assert.ok(replay === 'retryDead' ? await queue.retryDead('old') : (await queue.retryAllDead()) === 1, replay);
      const [again] = await queue.claim('short', opts('w2'));
      await checkClaim(queue, again);
      assert.is(again.createdAt, createdAt, `${replay} keeps the enqueue time`);
      assert.ok(again.readyAt >= before, `${replay}: readyAt ${again.readyAt - before} ms after the replay began`);
      assert.ok(again.claimedAt - again.readyAt < 5000, `${replay}: waited ${again.claimedAt - again.readyAt} ms`);
      await cleanup();
    }
  });

  // Regression: a task released at drain was measured again from its enqueue.
  test('after release: ready since the release', async () => {
    const { queue, client, cleanup } = openQueue(backend);
    await queue.enqueue({ id: 'r' });
    const [first] = await queue.claim('short', opts());
    await ageBy(queue, client, 'r', WEEK);
    await sleep(30);
    const before = await serverNow(queue, backend);
    assert.is(await queue.release(first), true);
    const [second] = await queue.claim('short', opts('w2'));
    await checkClaim(queue, second);
    assert.is(second.attempt, 1, 'the release did not count the attempt');
    assert.ok(second.readyAt >= before && second.readyAt >= first.claimedAt + 25, `readyAt ${second.readyAt - first.claimedAt} ms after the first claim`);
    assert.ok(second.claimedAt - second.readyAt < 5000);
    await cleanup();
  });

  test('after a lost lease (requeueExpired, releaseOwner): ready since the requeue', async () => {
    const { queue, client, cleanup } = openQueue(backend);
    // One shard, so the claims take them in FIFO order.
    const [oId, xId] = sameShard(queue, 'o', 'x');
    // The long lease first: a claim after the short one expired would recover it (claims do).
    await queue.enqueueMany([{ id: oId }, { id: xId }]);
    const [o] = await queue.claim('short', opts('doomed', 60_000, 1));
    const [x] = await queue.claim('short', opts('w1', 30, 1));
    await ageBy(queue, client, xId, WEEK);
    await ageBy(queue, client, oId, WEEK);
    await sleep(60);
    const before = await serverNow(queue, backend);
    assert.is(await queue.requeueExpired(), 1);
    assert.is(await queue.releaseOwner('doomed'), 1);
    const leases = await queue.claim('short', opts('w2'));
    assert.equal(leases.map((l) => l.id), [oId, xId]);
    for (const [lease, lost] of [[leases[0], o], [leases[1], x]]) {
      await checkClaim(queue, lease);
      assert.ok(lease.readyAt >= before && lease.readyAt > lost.claimedAt, `${lease.id}: readyAt ${lease.readyAt - before} ms after the requeue began`);
      assert.ok(lease.claimedAt - lease.readyAt < 5000, `${lease.id}: waited ${lease.claimedAt - lease.readyAt} ms`);
    }
    await cleanup();
  });
});

import * as assert from 'uvu/assert';
import { describeBackends, openQueue, sameShard, sleep } from '../helpers/backends.mjs';

const opts = (owner = 'w1', leaseMs = 30_000, max = 10) => ({ max, leaseMs, owner });

/** Server clock in ms, read the way the scripts read it (the mock's clock is the host's). */
async function serverNow(queue, backend) {
  if (backend.name === 'ioredis-mock') return Date.now();
  const [s, us] = await queue.redis.time();
  return Number(s) * 1000 + Math.floor(Number(us) / 1000);
}

await describeBackends('TaskQueue claims, leases and fencing', (test, backend) => {
  test('a claim leases up to max tasks, increments the fence and records the owner', async () => {
    const { queue, cleanup } = openQueue(backend);
    const [idA, idB, idC] = sameShard(queue, 'a', 'b', 'c');
    await queue.enqueueMany([{ id: idA, payload: { x: 1 }, type: 'mail', timeoutMs: 500, maxAttempts: 3 }, { id: idB }, { id: idC }]);
    const before = await serverNow(queue, backend);
    const leases = await queue.claim('short', opts('w1', 10_000, 2));
    assert.equal(leases.map((l) => l.id), [idA, idB]);
    const [a] = leases;
    assert.equal([a.fence, a.attempt, a.owner, a.type, a.lane, a.timeoutMs, a.maxAttempts], [1, 1, 'w1', 'mail', 'short', 500, 3]);
    assert.equal(a.payload, { x: 1 });
    assert.ok(a.expiresAt >= before + 10_000 && a.expiresAt <= before + 10_000 + 5_000, 'expiry from the server clock plus leaseMs');
    const info = await queue.get(idA);
    assert.equal([info.state, info.owner, info.fence, info.attempts], ['active', 'w1', 1, 1]);
    assert.is((await queue.stats()).active, 2);
    await cleanup();
  });

  test('a task with a timeout gets a lease of at least timeout plus margin', async () => {
    const { queue, cleanup } = openQueue(backend, { leaseMarginMs: 2000 });
    await queue.enqueue({ id: 't', timeoutMs: 60_000 });
    const before = await serverNow(queue, backend);
    const [lease] = await queue.claim('short', opts('w1', 1000));
    assert.ok(lease.expiresAt >= before + 62_000, `expiresAt ${lease.expiresAt - before} ms ahead`);
    assert.is(lease.leaseMs, 62_000);
    await cleanup();
  });

  test('heartbeat extends a live lease and reports a lost one', async () => {
    const { queue, cleanup } = openQueue(backend);
    await queue.enqueue({ id: 'h' });
    const [lease] = await queue.claim('short', opts('w1', 200));
    const firstExpiry = lease.expiresAt;
    await sleep(20);
    assert.is(await queue.heartbeat(lease, 5000), true);
    assert.ok(lease.expiresAt > firstExpiry + 4000);
    await sleep(250);
    assert.is(await queue.requeueExpired(), 0, 'the renewed lease has not expired');
    assert.is(await queue.complete(lease, 1), true);
    // Its own settle came after it on the connection, so this is taken for a resent heartbeat.
    assert.is(await queue.heartbeat(lease), true, 'a heartbeat after its own complete answers as its replay would');
    assert.is((await queue.get('h')).state, 'completed');
    await cleanup();
  });

  test('complete stores the result once; a second complete (a replay) answers true and writes nothing', async () => {
    const { queue, cleanup } = openQueue(backend);
    await queue.enqueue({ id: 'c' });
    const [lease] = await queue.claim('short', opts());
    assert.is(await queue.complete(lease, { status: 200 }), true);
    assert.is(await queue.complete(lease, { status: 500 }), true);
    const info = await queue.get('c');
    assert.equal([info.state, info.result, info.owner], ['completed', { status: 200 }, 'w1'], 'the record says who completed it');
    assert.ok(info.finishedAt >= info.startedAt);
    const stats = await queue.stats();
    assert.equal([stats.active, stats.completed], [0, 1]);
    await cleanup();
  });

  test('a holder whose lease expired and was re-claimed cannot complete (stale fence)', async () => {
    const { queue, cleanup } = openQueue(backend);
    await queue.enqueue({ id: 'f' });
    const [first] = await queue.claim('short', opts('A', 50));
    await sleep(100);
    assert.is(await queue.requeueExpired(), 1);
    const [second] = await queue.claim('short', opts('B', 30_000));
    assert.is(second.fence, first.fence + 1);
    assert.is(await queue.complete(first, 'from A'), false, 'stale fence writes nothing');
    assert.is(await queue.heartbeat(first), false);
    assert.is(await queue.fail(first, new Error('A failed')), 'stale');
    assert.is(await queue.release(first), false);
    assert.is(await queue.complete(second, 'from B'), true);
    const info = await queue.get('f');
    assert.equal([info.state, info.result, info.error], ['completed', 'from B', undefined]);
    await cleanup();
  });

  test('an expired-but-not-yet-requeued holder cannot complete after the task went back to waiting', async () => {
    const { queue, cleanup } = openQueue(backend);
    await queue.enqueue({ id: 'w' });
    const [lease] = await queue.claim('short', opts('A', 30));
    await sleep(60);
    await queue.requeueExpired();
    assert.is(await queue.complete(lease, 'late'), false);
    assert.is((await queue.get('w')).state, 'waiting');
    await cleanup();
  });

  test('completeMany settles each lease on its own', async () => {
    const { queue, cleanup } = openQueue(backend);
    const [m1, m2, m3] = sameShard(queue, 'm1', 'm2', 'm3');
    await queue.enqueueMany([{ id: m1 }, { id: m2 }, { id: m3 }]);
    const leases = await queue.claim('short', opts());
    await queue.complete(leases[1], 'early');
    const flags = await queue.completeMany(leases.map((lease) => ({ lease, result: lease.id })));
    assert.equal(flags, [true, true, true], 'm2 was completed under the same fence: a replay');
    assert.is((await queue.get(m2)).result, 'early');
    await cleanup();
  });

  test('release gives a task back at its FIFO position without counting the attempt', async () => {
    const { queue, cleanup } = openQueue(backend);
    const [r1, r2] = sameShard(queue, 'r1', 'r2');
    await queue.enqueueMany([{ id: r1 }, { id: r2 }]);
    const [lease] = await queue.claim('short', opts('w1', 30_000, 1));
    assert.is(await queue.release(lease), true);
    assert.is(await queue.release(lease), true, 'already released by this fence: a replay');
    const info = await queue.get(r1);
    assert.equal([info.state, info.attempts, info.stalls, info.owner], ['waiting', 0, 0, undefined]);
    const again = await queue.claim('short', opts('w2', 30_000, 2));
    assert.equal(again.map((l) => [l.id, l.attempt]), [[r1, 1], [r2, 1]]);
    await cleanup();
  });
});

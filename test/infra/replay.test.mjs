// Replay safety: ioredis resends a script call whose reply was lost, so every hot script runs
// here twice with identical arguments (the same claim id, enqueue token and clock) and must
// answer the same both times, without doing anything twice.
import * as assert from 'uvu/assert';
import { describeBackends, enqueuedCountsOf, openQueue, sameShard } from '../helpers/backends.mjs';

const opts = (owner = 'w1', max = 10) => ({ max, leaseMs: 30_000, owner });

/**
 * Makes every call of `script` on `client` run twice back to back, as a resend does, and
 * return the second answer. `calls` keeps each call's arguments and both answers; `again(i)`
 * runs call i once more, later, with the same arguments.
 */
function replaying(client, script) {
  const name = `tasklane_${script}`;
  const original = client[name];
  const calls = [];
  client[name] = async (...args) => {
    const first = await original.apply(client, args);
    const second = await original.apply(client, args);
    calls.push({ args, first, second });
    return second;
  };
  const again = (i = calls.length - 1) => original.apply(client, calls[i].args);
  return { calls, again, restore: () => { client[name] = original; } };
}

/**
 * Makes the next call of `script` run and then reject as ioredis rejects a call it aborted
 * (the rest of an auto-pipeline cut by a closed connection): Redis ran it, the reply is lost.
 */
function abortingOnce(client, script) {
  const name = `tasklane_${script}`;
  const original = client[name];
  client[name] = async (...args) => {
    client[name] = original;
    await original.apply(client, args);
    throw Object.assign(new Error('Command aborted due to connection close'), { name: 'AbortError' });
  };
}

function sameAnswers(calls) {
  assert.ok(calls.length > 0, 'the script ran');
  for (const { first, second } of calls) assert.equal(second, first);
}

await describeBackends('hot scripts are safe to replay', (test, backend) => {
  test('a replayed claim answers the same leases and takes no more', async () => {
    const { queue, client, cleanup } = openQueue(backend);
    const [a, b, c] = sameShard(queue, 'a', 'b', 'c');
    await queue.enqueueMany([{ id: a }, { id: b }, { id: c }]);
    const claims = replaying(client, 'claim');
    const leases = await queue.claim('short', opts('w1', 2));
    sameAnswers(claims.calls);
    assert.equal(leases.map((l) => [l.id, l.fence, l.attempt]), [[a, 1, 1], [b, 1, 1]]);
    const stats = await queue.stats();
    assert.equal([stats.active, stats.waiting.short], [2, 1]);
    assert.is((await queue.get(a)).attempts, 1, 'the replay counted no second attempt');
    await cleanup();
  });

  test('a replayed claim leaves out a lease no longer held under its fence', async () => {
    const { queue, client, cleanup } = openQueue(backend);
    const [idA, idB, idC] = sameShard(queue, 'a', 'b', 'c');
    await queue.enqueueMany([{ id: idA }, { id: idB }, { id: idC }]);
    const claims = replaying(client, 'claim');
    const [a, b] = await queue.claim('short', opts('w1', 2));
    claims.restore();
    assert.is(await queue.complete(a, 'done'), true);
    // The call that leased, on the tasks' shard (a sharded queue's first claim probes every
    // shard with max 0 first). Its arguments: 10 keys, then prefix, channel, max.
    const leased = claims.calls.findIndex((call) => call.args[0] === queue.keysFor(idA).waiting('short') && Number(call.args[12]) > 0);
    const late = await claims.again(leased);
    assert.equal(late.slice(4), claims.calls[leased].first.slice(4 + 12), 'only b again, field for field');
    assert.is(late[4], b.id);
    assert.equal([(await queue.stats()).waiting.short, (await queue.get(idA)).state], [1, 'completed']);
    await cleanup();
  });

  test('a claim that leased nothing keeps no memo, so its replay may lease what has come since', async () => {
    const { queue, client, cleanup } = openQueue(backend);
    // A sharded queue's first claim only probes (max 0) the shards it knows nothing of; this
    // one, not listening for wake-ups, then asks each shard seen empty once, with its max.
    assert.equal(await queue.claim('short', opts()), []);
    const claims = replaying(client, 'claim');
    assert.equal(await queue.claim('short', opts()), []);
    claims.restore();
    assert.equal(claims.calls.map((call) => Number(call.args[12])), queue.shardKeys.map(() => 10), 'every shard asked once, for up to 10');
    await queue.enqueue({ id: 'late' });
    const reply = await claims.again(claims.calls.findIndex((call) => call.args[0] === queue.keysFor('late').waiting('short')));
    assert.is(reply[4], 'late');
    await cleanup();
  });

  test('a claim or enqueue that ioredis aborted after Redis ran it is sent again and answers as it would have', async () => {
    const { queue, client, cleanup } = openQueue(backend);
    const [a, b] = sameShard(queue, 'a', 'b');
    abortingOnce(client, 'enqueue');
    assert.equal((await queue.enqueueMany([{ id: a }, { id: b }])).map((r) => r.duplicate), [false, false]);
    abortingOnce(client, 'claim');
    assert.equal((await queue.claim('short', opts())).map((l) => [l.id, l.fence]), [[a, 1], [b, 1]]);
    assert.equal((await queue.claim('short', opts())), [], 'nothing else was leased');
    await cleanup();
  });

  test('a replayed complete answers true again and writes nothing twice', async () => {
    const { queue, client, cleanup } = openQueue(backend);
    await queue.enqueueMany([{ id: 'a' }, { id: 'b' }]);
    // In id order: on a sharded queue 'a' and 'b' may come from their shards in either order.
    const [a, b] = (await queue.claim('short', opts())).sort((x, y) => (x.id < y.id ? -1 : 1));
    const completes = replaying(client, 'complete');
    assert.equal(await queue.completeMany([{ lease: a, result: 1 }, { lease: b, result: 2 }]), [true, true]);
    sameAnswers(completes.calls);
    assert.is((await queue.stats()).completed, 2);
    assert.is((await queue.get('b')).result, 2);
    await cleanup();
  });

  test('a replayed fail answers retrying again; once the retry is claimed anew it is stale', async () => {
    const { queue, client, cleanup } = openQueue(backend);
    await queue.enqueue({ id: 'f', maxAttempts: 3 });
    const [first] = await queue.claim('short', opts('w1'));
    const fails = replaying(client, 'fail');
    assert.is(await queue.fail(first, new Error('boom'), { retryInMs: 0 }), 'retrying');
    sameAnswers(fails.calls);
    fails.restore();
    const [second] = await queue.claim('short', opts('w2'));
    assert.equal([second.fence, second.attempt], [2, 2]);
    assert.is(Number(await fails.again()), 0, 'the newer holder is not disturbed');
    const info = await queue.get('f');
    assert.equal([info.state, info.owner, info.fence, info.attempts], ['active', 'w2', 2, 2]);
    assert.is(await queue.fail(second, new Error('boom'), { retryable: false }), 'dead');
    await cleanup();
  });

  test('a replayed fail answers dead again and dead-letters once', async () => {
    const { queue, client, cleanup } = openQueue(backend);
    await queue.enqueue({ id: 'd' });
    const [lease] = await queue.claim('short', opts());
    const fails = replaying(client, 'fail');
    assert.is(await queue.fail(lease, new Error('no'), { retryable: false }), 'dead');
    sameAnswers(fails.calls);
    assert.is((await queue.stats()).dead, 1);
    await cleanup();
  });

  test('after retryDead, a late replay of the dead run\'s fail or heartbeat is stale', async () => {
    const { queue, client, cleanup } = openQueue(backend);
    await queue.enqueue({ id: 'z' });
    const [lease] = await queue.claim('short', opts());
    const fails = replaying(client, 'fail');
    assert.is(await queue.fail(lease, new Error('no'), { retryable: false }), 'dead');
    fails.restore();
    assert.ok(await queue.retryDead('z'));
    assert.is(Number(await fails.again()), 0, 'the dead run\'s fail now finds a fresh task: stale');
    assert.is(await queue.heartbeat(lease), false, 'a heartbeat of the dead run is lost too');
    assert.is((await queue.get('z')).state, 'waiting');
    await cleanup();
  });

  test('a claim\'s memo lasts as long as the longest lease it gave (a task timeout stretches one)', async () => {
    const { queue, cleanup } = openQueue(backend, { leaseMarginMs: 5000 });
    await queue.enqueue({ id: 't', timeoutMs: 120_000 });
    const memos = [];
    const original = queue.redis.tasklane_claim;
    // The memo of the call that leased, on the task's shard (args: 10 keys, the memo 9th; then
    // prefix, channel, max: a sharded queue's first claim probes each shard with max 0 first).
    queue.redis.tasklane_claim = (...args) => {
      if (args[0] === queue.keysFor('t').waiting('short') && Number(args[12]) > 0) memos.push(args[8]);
      return original.apply(queue.redis, args);
    };
    const [lease] = await queue.claim('short', opts());
    queue.redis.tasklane_claim = original;
    assert.is(lease.leaseMs, 125_000);
    assert.is(memos.length, 1);
    const ttl = await queue.redis.pttl(memos[0]);
    assert.ok(ttl > 30_000 && ttl <= 125_000, `memo TTL ${ttl} ms covers the 125 s lease`);
    await cleanup();
  });

  test('a replayed release answers true again; it does not give back a newer lease', async () => {
    const { queue, client, cleanup } = openQueue(backend);
    await queue.enqueue({ id: 'r' });
    const [first] = await queue.claim('short', opts('w1'));
    const releases = replaying(client, 'release');
    assert.is(await queue.release(first), true);
    sameAnswers(releases.calls);
    releases.restore();
    const [second] = await queue.claim('short', opts('w2'));
    assert.is(second.attempt, 1, 'the attempt was uncounted once, not twice');
    assert.is(Number(await releases.again()), 0);
    const info = await queue.get('r');
    assert.equal([info.state, info.owner, info.fence], ['active', 'w2', 2]);
    await cleanup();
  });

  test('a replayed throttle answers delayed again and counts its 429s once', async () => {
    const { queue, client, cleanup } = openQueue(backend);
    await queue.enqueue({ id: 't' });
    const [lease] = await queue.claim('short', opts());
    const releases = replaying(client, 'release');
    assert.is(await queue.throttle(lease, { delayMs: 60_000, throttles: 2, maxThrottles: 3 }), 'delayed');
    sameAnswers(releases.calls);
    assert.is(Number(await client.hget(queue.keysFor('t').task('t'), 'thr')), 2);
    assert.is((await queue.stats()).delayed, 1);
    await cleanup();
  });

  test('a heartbeat replayed after its lease was settled by the same fence succeeds; another fence is still lost', async () => {
    const { queue, client, cleanup } = openQueue(backend);
    const [h1Id, h2Id] = sameShard(queue, 'h1', 'h2');
    await queue.enqueueMany([{ id: h1Id }, { id: h2Id }]);
    const [h1, h2] = await queue.claim('short', opts());
    const beats = replaying(client, 'heartbeat');
    assert.is(await queue.heartbeat(h1), true);
    assert.is(await queue.heartbeat(h2), true);
    // A live lease is simply extended again, from the replay's own now.
    for (const { first, second } of beats.calls) assert.ok(Number(second) >= Number(first) && Number(first) > 0, `${first} then ${second}`);
    beats.restore();
    assert.is(await queue.complete(h1, 1), true);
    assert.is(await queue.release(h2, { delayMs: 60_000 }), true);
    assert.ok(Number(await beats.again(0)) > 0, 'h1 completed under its fence');
    assert.ok(Number(await beats.again(1)) > 0, 'h2 released under its fence');
    assert.equal([(await queue.get(h1Id)).state, (await queue.get(h2Id)).state], ['completed', 'delayed']);
    await queue.enqueue({ id: 'h3' });
    const [h3] = await queue.claim('short', opts());
    assert.is(await queue.release(h3), true);
    assert.is(await queue.heartbeat({ ...h3, fence: h3.fence + 1 }), false, 'a fence that never held it is lost');
    assert.is(await queue.heartbeat({ ...h2, fence: h2.fence + 1 }), false, 'so is one that did not settle it');
    await cleanup();
  });

  test('a replayed enqueueMany answers its original duplicate flags, and counts once', async () => {
    const { queue, client, cleanup } = openQueue(backend);
    await queue.enqueue({ id: 'known', type: 'mail' });
    const enqueues = replaying(client, 'enqueue');
    const results = await queue.enqueueMany([{ id: 'x', type: 'mail' }, { id: 'known', type: 'mail' }, { id: 'x', type: 'mail' }, { id: 'y', type: 'mail', delayMs: 60_000 }]);
    sameAnswers(enqueues.calls);
    assert.equal(results.map((r) => r.duplicate), [false, true, true, false]);
    // Each shard counts its own enqueues: summed, each counted once.
    assert.equal(await enqueuedCountsOf(client, queue), { mail: 3 });
    const stats = await queue.stats();
    assert.equal([stats.waiting.short, stats.delayed], [2, 1]);
    enqueues.restore();
    assert.equal((await queue.enqueueMany([{ id: 'x' }])).map((r) => r.duplicate), [true], 'another call is still a duplicate');
    await cleanup();
  });
});

// Payloads and results over 64 bytes live in their own keys beside the record (keys.ts payload,
// result; includes/records.lua), so the record hash stays a listpack. Every path that reads,
// expires or deletes a record must do the same to those keys, and records written before
// (payload and result inline, no marker) must still run. Both backends.
import * as assert from 'uvu/assert';
import { describeBackends, keysEverywhere, openQueue, sameShard, sleep, sumShards } from '../helpers/backends.mjs';

const LONG = { data: 'x'.repeat(100) };
const SHORT = { n: 1 };
const LONG_RESULT = { body: 'y'.repeat(80) };
const lease = { max: 10, leaseMs: 30_000, owner: 'w1' };

/** The queue's per-task keys (record, payload, result) that exist now in any shard, sorted, prefix left off. */
async function taskKeys(client, queue) {
  const found = [];
  for (const { prefix } of queue.shardKeys) {
    const keys = await keysEverywhere(client, `${prefix}*`);
    found.push(...keys.map((k) => k.slice(prefix.length)).filter((k) => /^[tpr]:/.test(k)));
  }
  return [...new Set(found)].sort();
}

/** The ids of claimBoth's long and short tasks: one shard, so a per-shard retention count sees both. */
const bothIds = (queue) => sameShard(queue, 'long', 'short');

/** Enqueues a long and a short task and claims both; the leases by role (`long`, `short`). */
async function claimBoth(queue) {
  const [longId, shortId] = bothIds(queue);
  await queue.enqueueMany([{ id: longId, payload: LONG }, { id: shortId, payload: SHORT }]);
  const leases = await queue.claim('short', lease);
  return Object.fromEntries(leases.map((l) => [l.id === longId ? 'long' : 'short', l]));
}

/** Claims the next waiting task and fails it for good. */
async function kill(queue) {
  const [l] = await queue.claim('short', { ...lease, max: 1 });
  assert.is(await queue.fail(l, new Error('boom'), { retryable: false }), 'dead');
  return l;
}

await describeBackends('long payloads and results outside the record', (test, backend) => {
  test('long and short values round-trip through enqueue, claim, complete, get and list', async () => {
    const { queue, client, cleanup } = openQueue(backend);
    const [L, S] = bothIds(queue);
    const leases = await claimBoth(queue);
    assert.equal(leases.long.payload, LONG);
    assert.equal(leases.short.payload, SHORT);
    assert.equal(await taskKeys(client, queue), [`p:${L}`, `t:${L}`, `t:${S}`], 'only the long payload has its own key');
    assert.equal((await queue.get(L)).payload, LONG);
    assert.equal(await queue.completeMany([{ lease: leases.long, result: LONG_RESULT }, { lease: leases.short, result: 'ok' }]), [true, true]);
    const [long, short] = [await queue.get(L), await queue.get(S)];
    assert.equal([long.payload, long.result, long.state], [LONG, LONG_RESULT, 'completed']);
    assert.equal([short.payload, short.result], [SHORT, 'ok']);
    assert.equal(await taskKeys(client, queue), [`p:${L}`, `r:${L}`, `t:${L}`, `t:${S}`]);
    const page = await queue.list({ state: 'completed', limit: 10 });
    assert.equal(page.tasks.map((t) => t.id).sort(), [L, S]);
    assert.ok(page.tasks.every((t) => t.payload === undefined && t.result === undefined), 'rows leave out payload and result');
    await cleanup();
  });

  test('the outside keys expire with the record: completed, cancelled, dead', async () => {
    const { queue, client, cleanup } = openQueue(backend, { completedRetentionMs: 60_000, deadRetentionMs: 120_000 });
    const [L] = bothIds(queue);
    const leases = await claimBoth(queue);
    await queue.complete(leases.long, LONG_RESULT);
    await queue.enqueueMany([{ id: 'cancelled', payload: LONG }, { id: 'dead', payload: LONG, lane: 'long' }]);
    assert.is(await queue.cancel('cancelled'), true);
    const [dead] = await queue.claim('long', lease);
    await queue.fail(dead, new Error('boom'), { retryable: false });
    for (const [id, outside] of [[L, ['p:', 'r:']], ['cancelled', ['p:']], ['dead', ['p:']]]) {
      const p = queue.keysFor(id).prefix;
      const record = await client.pttl(`${p}t:${id}`);
      assert.ok(record > 0, `${id}: the record expires`);
      for (const k of outside) {
        const ttl = await client.pttl(`${p}${k}${id}`);
        assert.ok(Math.abs(ttl - record) < 1000, `${k}${id} expires with its record (${ttl} vs ${record})`);
      }
    }
    await cleanup();
  });

  test('expired records leave no outside keys behind', async () => {
    const { queue, client, cleanup } = openQueue(backend, { completedRetentionMs: 150 });
    const leases = await claimBoth(queue);
    await queue.completeMany([{ lease: leases.long, result: LONG_RESULT }, { lease: leases.short, result: 'ok' }]);
    await queue.enqueue({ id: 'cancelled', payload: LONG });
    await queue.cancel('cancelled');
    await sleep(400);
    assert.equal(await taskKeys(client, queue), []);
    await cleanup();
  });

  test('reaping past the retention count deletes the outside keys too', async () => {
    const { queue, client, cleanup } = openQueue(backend, { completedRetention: { max: 1 } });
    const leases = await claimBoth(queue);
    await queue.complete(leases.long, LONG_RESULT);
    await queue.complete(leases.short, 'ok');
    await queue.reap();
    const [L, S] = bothIds(queue);
    assert.equal(await taskKeys(client, queue), [`t:${S}`], 'the older completed record went with its payload and result');
    assert.is(await queue.get(L), null);
    await cleanup();
  });

  test('a zero completed retention with a long result completes the whole batch and keeps nothing', async () => {
    const { queue, client, cleanup } = openQueue(backend, { completedRetentionMs: 0 });
    const leases = await claimBoth(queue);
    const done = await queue.completeMany([{ lease: leases.short, result: SHORT }, { lease: leases.long, result: LONG_RESULT }]);
    assert.equal(done, [true, true]);
    assert.is(await sumShards(queue, (k) => client.zcard(k.active)), 0, 'no lease is left active');
    assert.equal(await taskKeys(client, queue), [], 'no record, payload or result key is left');
    await cleanup();
  });

  test('dead letters show a long payload, retry with it and purge it', async () => {
    const { queue, client, cleanup } = openQueue(backend);
    const p = queue.keysFor('long').prefix;
    await queue.enqueueMany([{ id: 'long', payload: LONG }]);
    await kill(queue);
    assert.equal((await queue.deadLetters()).map((t) => t.payload), [LONG]);
    assert.equal((await queue.deadLetterPage({ maxBytes: 1 << 20 })).tasks.map((t) => t.payload), [LONG]);
    assert.is(await queue.retryDead('long'), true);
    assert.equal([await client.pttl(`${p}t:long`), await client.pttl(`${p}p:long`)], [-1, -1], 'waiting again: no expiry');
    const again = await kill(queue);
    assert.equal(again.payload, LONG, 'the replayed task runs with its payload');
    assert.is(await queue.retryAllDead(), 1);
    await kill(queue);
    assert.is(await queue.purgeDead('long'), true);
    assert.equal(await taskKeys(client, queue), []);
    await cleanup();
  });

  test('purgeAllDead deletes the outside payloads of the dead letters it purges', async () => {
    const { queue, client, cleanup } = openQueue(backend);
    await queue.enqueueMany([{ id: 'a', payload: LONG }, { id: 'b', payload: SHORT }]);
    await kill(queue);
    await kill(queue);
    assert.is(await queue.purgeAllDead(), 2, 'counts tasks, not keys');
    assert.equal(await taskKeys(client, queue), []);
    await cleanup();
  });

  test('a missing outside payload makes a corrupt record: dead-lettered, never retried', async () => {
    const { queue, client, cleanup } = openQueue(backend);
    await queue.enqueueMany([{ id: 'lost', payload: LONG }, { id: 'fine', payload: LONG }]);
    await client.del(queue.keysFor('lost').payload('lost'));
    const leases = await queue.claim('short', lease);
    assert.equal(leases.map((l) => [l.id, l.payload]), [['fine', LONG]]);
    assert.is((await queue.get('lost')).state, 'dead');
    assert.is(await queue.retryDead('lost'), false, 'a dead letter without its payload cannot run');
    await cleanup();
  });

  test('a replayed claim answers the long payload again', async () => {
    const { queue, client, cleanup } = openQueue(backend);
    // One shard, so one claim script call leases both, in order.
    const [L, S] = bothIds(queue);
    await queue.enqueueMany([{ id: L, payload: LONG }, { id: S, payload: SHORT }]);
    const original = client.tasklane_claim;
    const answers = [];
    client.tasklane_claim = async (...args) => {
      const [first, replay] = [await original.apply(client, args), await original.apply(client, args)];
      answers.push([first, replay]);
      return replay;
    };
    const leases = await queue.claim('short', lease);
    client.tasklane_claim = original;
    for (const [first, replay] of answers) assert.equal(replay, first, 'the replay answers field for field');
    assert.equal(leases.map((l) => [l.id, l.payload]), [[L, LONG], [S, SHORT]]);
    await cleanup();
  });

  test('regression: a record of the previous layout (long payload and result inline) still runs and reaps', async () => {
    const { queue, client, cleanup } = openQueue(backend, { completedRetention: { max: 1 } });
    // One shard: the retention count of 1 is per shard.
    const [old, next] = sameShard(queue, 'old', 'next');
    const key = queue.keysFor(old).task(old);
    await queue.enqueue({ id: old, payload: SHORT });
    await client.hset(key, 'payload', JSON.stringify(LONG)); // as the previous code wrote it
    const [l] = await queue.claim('short', lease);
    assert.equal(l.payload, LONG);
    assert.is(await queue.complete(l, 'ok'), true);
    await client.hset(key, 'res', JSON.stringify(LONG_RESULT)); // its result inline too
    assert.equal([(await queue.get(old)).payload, (await queue.get(old)).result], [LONG, LONG_RESULT]);
    await queue.enqueue({ id: next });
    await queue.complete((await queue.claim('short', lease))[0], 'ok');
    await queue.reap();
    assert.equal(await taskKeys(client, queue), [`t:${next}`]);
    await cleanup();
  });

  test('regression: an old-layout dead letter (long payload inline) is retried with its payload', async () => {
    const { queue, client, cleanup } = openQueue(backend);
    await queue.enqueue({ id: 'old', payload: SHORT });
    await client.hset(queue.keysFor('old').task('old'), 'payload', JSON.stringify(LONG));
    await kill(queue);
    assert.equal((await queue.deadLetters())[0].payload, LONG);
    assert.is(await queue.retryDead('old'), true);
    assert.equal((await queue.claim('short', lease))[0].payload, LONG);
    await cleanup();
  });
});

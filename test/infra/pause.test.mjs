import * as assert from 'uvu/assert';
import { describeBackends, openQueue, sameShard, sleep } from '../helpers/backends.mjs';

const opts = (owner = 'w1', max = 10) => ({ max, leaseMs: 30_000, owner });

await describeBackends('TaskQueue pause and resume', (test, backend) => {
  test('a paused lane claims nothing and keeps its waiting tasks; the other lane still claims', async () => {
    const { queue, cleanup } = openQueue(backend);
    await queue.enqueueMany([{ id: 's1' }, { id: 's2' }, { id: 'l1', lane: 'long' }]);
    assert.equal(await queue.pause('short'), ['short']);
    const batch = await queue.claimBatch('short', opts());
    assert.equal([batch.leases.length, batch.paused], [0, true]);
    assert.equal((await queue.get('s1')).state, 'waiting');
    assert.is((await queue.stats()).waiting.short, 2);
    const long = await queue.claimBatch('long', opts());
    assert.equal([long.leases.map((l) => l.id), long.paused], [['l1'], false]);
    await cleanup();
  });

  test('pause and resume without a lane act on both lanes, and report only lanes that changed', async () => {
    const { queue, cleanup } = openQueue(backend);
    assert.equal(await queue.pause('long'), ['long']);
    assert.equal(await queue.pause(), ['short']);
    assert.equal(await queue.paused(), { short: true, long: true });
    assert.equal((await queue.stats()).paused, { short: true, long: true });
    assert.equal(await queue.resume('short'), ['short']);
    assert.equal((await queue.stats()).paused, { short: false, long: true });
    assert.equal(await queue.resume(), ['long']);
    assert.equal(await queue.resume(), []);
    assert.equal(await queue.paused(), { short: false, long: false });
    await cleanup();
  });

  test('a bad lane is refused with a coded error naming `lane`', async () => {
    const { queue, cleanup } = openQueue(backend);
    for (const call of [() => queue.pause('medium'), () => queue.resume('')]) {
      const err = await call().catch((e) => e);
      assert.is(err.code, 'TASKLANE_ERR_INVALID_INPUT');
      assert.is(err.field, 'lane');
    }
    assert.equal(await queue.paused(), { short: false, long: false });
    await cleanup();
  });

  test('enqueue still works while paused, and resume makes the tasks claimable again', async () => {
    const { queue, cleanup } = openQueue(backend);
    await queue.pause();
    const result = await queue.enqueue({ id: 'p' });
    assert.equal(result, { id: 'p', duplicate: false });
    assert.is((await queue.claim('short', opts())).length, 0);
    await queue.resume();
    assert.equal((await queue.claim('short', opts())).map((l) => l.id), ['p']);
    await cleanup();
  });

  test('leases already out complete, fail and heartbeat while their lane is paused', async () => {
    const { queue, cleanup } = openQueue(backend);
    const [idA, idB] = sameShard(queue, 'a', 'b');
    await queue.enqueueMany([{ id: idA }, { id: idB, maxAttempts: 1 }]);
    const [a, b] = await queue.claim('short', opts());
    await queue.pause('short');
    assert.ok(await queue.heartbeat(a));
    assert.ok(await queue.complete(a, { ok: 1 }));
    assert.is(await queue.fail(b, new Error('x')), 'dead');
    assert.is((await queue.get(idA)).state, 'completed');
    assert.is((await queue.get(idB)).state, 'dead');
    await cleanup();
  });

  test('a due delayed task joins the waiting set of its paused lane but is not claimed', async () => {
    const { queue, cleanup } = openQueue(backend);
    await queue.pause('short');
    await queue.enqueue({ id: 'd', delayMs: 30 });
    await sleep(60);
    // A claim on the running lane promotes due tasks of both lanes.
    await queue.claim('long', opts());
    assert.is((await queue.get('d')).state, 'waiting');
    const batch = await queue.claimBatch('short', opts());
    assert.equal([batch.leases.length, batch.paused], [0, true]);
    assert.equal((await queue.stats()).waiting.short, 1);
    await cleanup();
  });

  test('with both lanes paused, a claim still promotes due delayed tasks (claiming none); a sharded queue\'s first claim probes every shard', async () => {
    const { queue, client, cleanup } = openQueue(backend);
    await queue.pause();
    await queue.enqueueMany([{ id: 'ds', delayMs: 20 }, { id: 'dl', delayMs: 20, lane: 'long' }]);
    await sleep(50);
    const original = client.tasklane_claim;
    const visited = [];
    client.tasklane_claim = function (...args) {
      visited.push(args[0]);
      return original.apply(this, args);
    };
    const batch = await queue.claimBatch('short', opts());
    client.tasklane_claim = original;
    assert.equal([batch.leases.length, batch.paused, batch.nextDueInMs], [0, true, null]);
    // One shard: one call. Sharded: nothing is known of any shard yet, so the claim probes each
    // one once (max 0), and each promotes its due tasks.
    assert.equal(visited.sort(), queue.shardKeys.map((k) => k.waiting('short')).sort());
    assert.equal([(await queue.get('ds')).state, (await queue.get('dl')).state], ['waiting', 'waiting']);
    const stats = await queue.stats();
    assert.equal([stats.delayed, stats.waiting.short, stats.waiting.long], [0, 1, 1]);
    await cleanup();
  });

  test('pause state lives in Redis: a second TaskQueue on the same queue sees it', async () => {
    const { queue, client, cleanup } = openQueue(backend);
    const { TaskQueue } = await import('../../dist/index.js');
    const other = new TaskQueue({ name: queue.name, shards: queue.shards, redis: client });
    await queue.pause('long');
    assert.equal(await other.paused(), { short: false, long: true });
    await other.enqueue({ id: 'x', lane: 'long' });
    assert.is((await other.claim('long', opts())).length, 0);
    await other.resume('long');
    assert.is((await queue.claim('long', opts())).length, 1);
    await other.close();
    await cleanup();
  });

  test('a paused claim does not publish its lane, so paused consumers do not wake one another', async () => {
    const { queue, cleanup } = openQueue(backend);
    await queue.listenForWork();
    await queue.enqueue({ id: 'w' });
    await queue.pause('short');
    await sleep(20);
    const since = queue.wakeGeneration('short');
    await queue.claimBatch('short', opts());
    assert.is(await queue.waitForWork('short', { since, timeoutMs: 150 }), false, 'no wake-up from a paused claim');
    await cleanup();
  });

  test('resume wakes waitForResume at once; new tasks do not', async () => {
    const { queue, cleanup } = openQueue(backend);
    await queue.listenForWork();
    await queue.pause('short');
    const since = queue.resumeGeneration('short');
    const waiting = queue.waitForResume('short', { since, timeoutMs: 5000 });
    await queue.enqueue({ id: 'n' });
    const early = await Promise.race([waiting.then(() => 'woken'), sleep(150).then(() => 'still waiting')]);
    assert.is(early, 'still waiting');
    const started = Date.now();
    await queue.resume('short');
    assert.is(await waiting, true);
    assert.ok(Date.now() - started < 1000, `woken after ${Date.now() - started} ms`);
    await cleanup();
  });
});

import * as assert from 'uvu/assert';
import { OptionError, TaskQueue } from '../../dist/index.js';
import { describeBackends, openQueue, sleep } from '../helpers/backends.mjs';

const opts = (max = 10) => ({ max, leaseMs: 30_000, owner: 'w' });

/** Enqueues, claims and completes `ids` in one batch each. */
async function completeAll(queue, ids) {
  await queue.enqueueMany(ids.map((id) => ({ id })));
  const leases = await queue.claim('short', opts(ids.length));
  await queue.completeMany(leases.map((lease) => ({ lease })));
}

const range = (label, n) => Array.from({ length: n }, (_, i) => `${label}-${String(i).padStart(4, '0')}`);

await describeBackends('TaskQueue completed retention', (test, backend) => {
  test('a burst larger than the reap bound is reaped a bounded step per completion, and completes over calls', async () => {
    const { queue, cleanup } = openQueue(backend, { completedRetentionMs: 1000 });
    await completeAll(queue, range('burst', 700));
    await sleep(1050);
    // Each completion of one task reaps at most 200 entries (its bound: twice its batch, at least 200).
    await completeAll(queue, ['next-1']);
    assert.is(await queue.redis.zcard(queue.keys.completed), 700 - 200 + 1);
    await completeAll(queue, ['next-2']);
    assert.is(await queue.redis.zcard(queue.keys.completed), 700 - 400 + 2);
    // The periodic reap takes the rest, in chunks of 500, and leaves what is inside the window.
    assert.equal(await queue.reap(), { completed: 300, dead: 0 });
    assert.equal((await queue.redis.zrange(queue.keys.completed, 0, -1)).sort(), ['next-1', 'next-2']);
    assert.equal(await queue.reap(), { completed: 0, dead: 0 });
    await cleanup();
  });

  test('a completion of a large batch reaps up to twice its batch, so it never falls behind', async () => {
    const { queue, cleanup } = openQueue(backend, { completedRetentionMs: 100 });
    await completeAll(queue, range('old', 400));
    await sleep(150);
    await completeAll(queue, range('new', 220));
    assert.is(await queue.redis.zcard(queue.keys.completed), 220, 'all 400 reaped by one call of 220 (bound 440 > 200)');
    await cleanup();
  });

  test('count retention keeps exactly the newest max', async () => {
    const { queue, cleanup } = openQueue(backend, { completedRetention: { max: 5 } });
    const ids = range('c', 12);
    await queue.enqueueMany(ids.map((id) => ({ id })));
    for (const lease of await queue.claim('short', opts(12))) {
      await queue.complete(lease);
      await sleep(2); // distinct finish times: "newest" is by finish time
    }
    assert.equal(await queue.redis.zrange(queue.keys.completed, 0, -1), ids.slice(7));
    for (const id of ids.slice(0, 7)) assert.is(await queue.get(id), null, `${id} was reaped`);
    for (const id of ids.slice(7)) assert.is((await queue.get(id)).state, 'completed', `${id} is kept`);
    assert.is((await queue.stats()).completed, 5);
    assert.is((await queue.enqueue({ id: ids[0] })).duplicate, true, 'a reaped id stays refused for the dedup window');
    await cleanup();
  });

  test('count retention within one batch keeps max records', async () => {
    const { queue, cleanup } = openQueue(backend, { completedRetention: { max: 5 } });
    await completeAll(queue, range('b', 12));
    assert.is(await queue.redis.zcard(queue.keys.completed), 5);
    const exists = await Promise.all(range('b', 12).map((id) => queue.redis.exists(queue.keys.task(id))));
    assert.is(exists.reduce((a, b) => a + b, 0), 5, 'the records beyond max are deleted with their entries');
    await cleanup();
  });

  test('reap applies count retention when no completion comes', async () => {
    const a = openQueue(backend);
    const b = openQueue(backend, { name: a.queue.name, completedRetention: { ms: 3_600_000, max: 10 } });
    await completeAll(a.queue, range('r', 30));
    assert.equal(await b.queue.reap(), { completed: 20, dead: 0 });
    assert.is(await b.queue.redis.zcard(b.queue.keys.completed), 10);
    assert.is((await b.queue.stats()).completed, 10);
    await a.cleanup();
    await b.cleanup();
  });

  test('reap({ maxCalls }) takes a large backlog in slices of 500 entries per call', async () => {
    const a = openQueue(backend);
    const b = openQueue(backend, { name: a.queue.name, completedRetention: { ms: 3_600_000, max: 100 } });
    await completeAll(a.queue, range('s', 1300));
    assert.equal(await b.queue.reap({ maxCalls: 1 }), { completed: 500, dead: 0 });
    assert.equal(await b.queue.reap({ maxCalls: 1 }), { completed: 500, dead: 0 });
    assert.equal(await b.queue.reap(), { completed: 200, dead: 0 });
    assert.is(await b.queue.redis.zcard(b.queue.keys.completed), 100);
    await a.cleanup();
    await b.cleanup();
  });

  test('dead index entries past the retention are trimmed a bounded step per dead letter, and by reap', async () => {
    const { queue, cleanup } = openQueue(backend, { deadRetentionMs: 1000 });
    const fail = async (ids) => {
      await queue.enqueueMany(ids.map((id) => ({ id, maxAttempts: 1 })));
      for (const lease of await queue.claim('short', opts(ids.length))) await queue.fail(lease, new Error('x'));
    };
    await fail(range('d', 30));
    assert.is(await queue.redis.zcard(queue.keys.dead), 30);
    await sleep(1050);
    await fail(['d-next']);
    assert.is(await queue.redis.zcard(queue.keys.dead), 30 - 10 + 1, 'one dead letter trims at most 10 entries');
    assert.equal(await queue.reap(), { completed: 0, dead: 20 });
    assert.equal(await queue.redis.zrange(queue.keys.dead, 0, -1), ['d-next']);
    await cleanup();
  });

  test('completedRetention is checked in the constructor; completedRetentionMs still works', async () => {
    const client = backend.client();
    const bad = [
      [{ completedRetention: { max: -1 } }, 'completedRetention.max'],
      [{ completedRetention: { max: 1.5 } }, 'completedRetention.max'],
      [{ completedRetention: { ms: '1h' } }, 'completedRetention.ms'],
      [{ completedRetention: { count: 5 } }, 'completedRetention.count'],
      [{ completedRetention: 5 }, 'completedRetention'],
      [{ completedRetentionMs: 1000, completedRetention: { ms: 2000 } }, 'completedRetention.ms'],
    ];
    for (const [options, option] of bad) {
      const err = (() => { try { new TaskQueue({ redis: client, ...options }); } catch (e) { return e; } })();
      assert.instance(err, OptionError, option);
      assert.is(err.option, option);
      assert.is(err.code, 'TASKLANE_ERR_INVALID_OPTION');
      assert.match(err.message, option.split('.').pop());
    }
    const queue = new TaskQueue({ redis: client, completedRetentionMs: 1000, completedRetention: { ms: 1000, max: 3 } });
    await queue.close();
    client.disconnect();
  });
});

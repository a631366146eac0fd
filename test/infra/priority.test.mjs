import * as assert from 'uvu/assert';
import { describeBackends, openQueue, sameShard, sameShardIds, sleep } from '../helpers/backends.mjs';

// Order across ids is exact within a shard (across shards it is close, not exact): the ids of
// each test share a shard.

const claim = (queue, lane, max) => queue.claim(lane, { max, leaseMs: 30_000, owner: 'test' });

await describeBackends('TaskQueue priority, FIFO and lanes', (test, backend) => {
  test('lower priority first, FIFO within a priority', async () => {
    const { queue, cleanup } = openQueue(backend);
    const [p5a, p1a, p5b, p0, p1b, pmax, p5c] = sameShard(queue, 'p5-a', 'p1-a', 'p5-b', 'p0', 'p1-b', 'pmax', 'p5-c');
    await queue.enqueueMany([
      { id: p5a, priority: 5 }, { id: p1a, priority: 1 }, { id: p5b, priority: 5 },
      { id: p0, priority: 0 }, { id: p1b, priority: 1 }, { id: pmax, priority: 1_000_000 }, { id: p5c, priority: 5 },
    ]);
    const order = (await claim(queue, 'short', 100)).map((l) => l.id);
    assert.equal(order, [p0, p1a, p1b, p5a, p5b, p5c, pmax]);
    await cleanup();
  });

  test('FIFO holds across separate enqueue calls and claims of one', async () => {
    const { queue, cleanup } = openQueue(backend);
    const ids = sameShardIds(queue, 12, 't');
    for (const id of ids) await queue.enqueue({ id, priority: 3 });
    const seen = [];
    for (let i = 0; i < 12; i++) seen.push((await claim(queue, 'short', 1))[0].id);
    assert.equal(seen, ids);
    await cleanup();
  });

  test('lanes are separate queues', async () => {
    const { queue, cleanup } = openQueue(backend);
    const [s1, l1, s2] = sameShard(queue, 's1', 'l1', 's2');
    await queue.enqueueMany([{ id: s1, lane: 'short' }, { id: l1, lane: 'long', priority: 0 }, { id: s2 }]);
    assert.equal((await claim(queue, 'short', 10)).map((l) => l.id), [s1, s2]);
    const long = await claim(queue, 'long', 10);
    assert.equal(long.map((l) => [l.id, l.lane]), [[l1, 'long']]);
    await cleanup();
  });

  test('a due delayed task joins its lane at its own priority', async () => {
    const { queue, cleanup } = openQueue(backend);
    const [later, now, other] = sameShard(queue, 'later', 'now', 'other');
    await queue.enqueue({ id: later, priority: 0, delayMs: 200 });
    await queue.enqueue({ id: now, priority: 9 });
    const first = await queue.claimBatch('short', { max: 10, leaseMs: 30_000, owner: 'test' });
    assert.equal(first.leases.map((l) => l.id), [now]);
    assert.ok(first.nextDueInMs !== null && first.nextDueInMs <= 200, `nextDueInMs ${first.nextDueInMs}`);
    assert.is((await queue.get(later)).state, 'delayed');
    await queue.enqueue({ id: other, priority: 5 });
    await sleep(250);
    assert.equal((await claim(queue, 'short', 10)).map((l) => l.id), [later, other]);
    await cleanup();
  });

  test('a delayed long task is promoted into the long lane by a short-lane claim', async () => {
    const { queue, cleanup } = openQueue(backend);
    await queue.enqueue({ id: 'dl', lane: 'long', delayMs: 30 });
    await sleep(60);
    assert.equal(await claim(queue, 'short', 10), []);
    assert.is((await queue.get('dl')).state, 'waiting');
    assert.equal((await claim(queue, 'long', 10)).map((l) => l.id), ['dl']);
    await cleanup();
  });
});

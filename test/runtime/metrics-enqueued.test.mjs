// The enqueue script counts added tasks per type in the queue's counter hash, so any
// producer's enqueues reach the metrics. Runs against both storage backends.
import * as assert from 'uvu/assert';
import { ValidationError } from '../../dist/index.js';
import { describeBackends, enqueuedCountsOf, openQueue, sameShardIds } from '../helpers/backends.mjs';

await describeBackends('enqueued-by-type counter', (test, backend) => {
  test('counts added tasks per type; duplicates and refused batches are not counted', async () => {
    const { queue, client, cleanup } = openQueue(backend);
    try {
      await queue.enqueueMany([{ id: 'a', type: 'email' }, { id: 'b', type: 'email' }, { id: 'c' }, { id: 'a', type: 'email' }]);
      await queue.enqueue({ id: 'b', type: 'email' });
      await queue.enqueue({ id: 'd', type: 'email', delayMs: 60_000 });
      await queue.enqueue({ type: 'report', lane: 'long' });
      const refused = await queue.enqueueMany([{ type: 'email' }, { type: 'email', priority: -1 }]).then(() => null, (err) => err);
      assert.instance(refused, ValidationError);
      assert.is(refused.code, 'TASKLANE_ERR_INVALID_INPUT');
      assert.equal(await enqueuedCountsOf(client, queue), { email: 3, http: 1, report: 1 });
    } finally {
      await cleanup();
    }
  });

  test('a batch larger than one script call is counted once per task', async () => {
    const { queue, client, cleanup } = openQueue(backend);
    try {
      await queue.enqueueMany(Array.from({ length: 1200 }, (_, i) => ({ id: `t${i}`, type: i % 3 === 0 ? 'x' : 'y' })));
      assert.equal(await enqueuedCountsOf(client, queue), { x: 400, y: 800 });
    } finally {
      await cleanup();
    }
  });

  test('enqueued-by-type relabel: past 100 types a new type counts under `other`, and the first 100 keep counting', async () => {
    const { queue, client, cleanup } = openQueue(backend);
    try {
      // Each shard caps its own hash: every task here goes to one shard, whose hash is read.
      const ids = sameShardIds(queue, 107, 'r');
      const key = queue.keysFor(ids[0]).enqueuedCounts;
      const next = () => ids.shift();
      // 99 types first, then a batch that fills the hash mid-batch: its first new type takes
      // the 100th field, the next one (the 101st type) goes to `other`.
      await queue.enqueueMany(Array.from({ length: 99 }, (_, i) => ({ id: next(), type: `type-${i}` })));
      await queue.enqueueMany([{ id: next(), type: 'type-99' }, { id: next(), type: 'type-100' }, { id: next(), type: 'type-0' }]);
      let counts = await client.hgetall(key);
      assert.is(Object.keys(counts).length, 101);
      assert.is(counts['type-99'], '1');
      assert.is(counts['type-100'], undefined);
      assert.is(counts.other, '1');
      assert.is(counts['type-0'], '2');
      // Later batches: existing types keep their own field, new ones keep going to `other`.
      await queue.enqueueMany([{ id: next(), type: 'type-5' }, { id: next(), type: 'type-101' }, { id: next(), type: 'type-100' }, { id: next(), type: 'type-5' }]);
      await queue.enqueue({ id: next(), type: 'type-99' });
      assert.is(ids.length, 0);
      counts = await client.hgetall(key);
      assert.is(Object.keys(counts).length, 101);
      assert.is(counts['type-5'], '3');
      assert.is(counts['type-99'], '2');
      assert.is(counts.other, '3');
      assert.is(counts['type-101'], undefined);
    } finally {
      await cleanup();
    }
  });

  test('each shard\'s counter shares that shard\'s hash tag', () => {
    const { queue, cleanup } = openQueue(backend);
    queue.shardKeys.forEach((keys, i) => {
      assert.ok(keys.enqueuedCounts.startsWith(i === 0 ? `tl:{${queue.name}}:` : `tl:{${queue.name}~${i}}:`), keys.enqueuedCounts);
    });
    return cleanup();
  });
});

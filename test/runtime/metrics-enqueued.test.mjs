// The enqueue script counts added tasks per type in the queue's counter hash, so any
// producer's enqueues reach the metrics. Runs against both storage backends.
import * as assert from 'uvu/assert';
import { ValidationError } from '../../dist/index.js';
import { describeBackends, openQueue } from '../helpers/backends.mjs';

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
      assert.equal(await client.hgetall(queue.keys.enqueuedCounts), { email: '3', http: '1', report: '1' });
    } finally {
      await cleanup();
    }
  });

  test('a batch larger than one script call is counted once per task', async () => {
    const { queue, client, cleanup } = openQueue(backend);
    try {
      await queue.enqueueMany(Array.from({ length: 1200 }, (_, i) => ({ id: `t${i}`, type: i % 3 === 0 ? 'x' : 'y' })));
      assert.equal(await client.hgetall(queue.keys.enqueuedCounts), { x: '400', y: '800' });
    } finally {
      await cleanup();
    }
  });

  test('enqueued-by-type relabel: past 100 types a new type counts under `other`, and the first 100 keep counting', async () => {
    const { queue, client, cleanup } = openQueue(backend);
    try {
      // 99 types first, then a batch that fills the hash mid-batch: its first new type takes
      // the 100th field, the next one (the 101st type) goes to `other`.
      await queue.enqueueMany(Array.from({ length: 99 }, (_, i) => ({ type: `type-${i}` })));
      await queue.enqueueMany([{ type: 'type-99' }, { type: 'type-100' }, { type: 'type-0' }]);
      let counts = await client.hgetall(queue.keys.enqueuedCounts);
      assert.is(Object.keys(counts).length, 101);
      assert.is(counts['type-99'], '1');
      assert.is(counts['type-100'], undefined);
      assert.is(counts.other, '1');
      assert.is(counts['type-0'], '2');
      // Later batches: existing types keep their own field, new ones keep going to `other`.
      await queue.enqueueMany([{ type: 'type-5' }, { type: 'type-101' }, { type: 'type-100' }, { type: 'type-5' }]);
      await queue.enqueue({ type: 'type-99' });
      counts = await client.hgetall(queue.keys.enqueuedCounts);
      assert.is(Object.keys(counts).length, 101);
      assert.is(counts['type-5'], '3');
      assert.is(counts['type-99'], '2');
      assert.is(counts.other, '3');
      assert.is(counts['type-101'], undefined);
    } finally {
      await cleanup();
    }
  });

  test('the counter shares the queue\'s hash tag', () => {
    const { queue, cleanup } = openQueue(backend);
    assert.ok(queue.keys.enqueuedCounts.startsWith(`tl:{${queue.name}}:`));
    return cleanup();
  });
});

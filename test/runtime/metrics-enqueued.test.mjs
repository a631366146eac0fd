// The enqueue script counts added tasks per type in the queue's counter hash, so any
// producer's enqueues reach the metrics. Runs against both storage backends.
import * as assert from 'uvu/assert';
import { describeBackends, openQueue } from '../helpers/backends.mjs';

await describeBackends('enqueued-by-type counter', (test, backend) => {
  test('counts added tasks per type; duplicates and refused batches are not counted', async () => {
    const { queue, client, cleanup } = openQueue(backend);
    try {
      await queue.enqueueMany([{ id: 'a', type: 'email' }, { id: 'b', type: 'email' }, { id: 'c' }, { id: 'a', type: 'email' }]);
      await queue.enqueue({ id: 'b', type: 'email' });
      await queue.enqueue({ id: 'd', type: 'email', delayMs: 60_000 });
      await queue.enqueue({ type: 'report', lane: 'long' });
      await queue.enqueueMany([{ type: 'email' }, { type: 'email', priority: -1 }]).catch(() => {});
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

  test('the counter shares the queue\'s hash tag', () => {
    const { queue, cleanup } = openQueue(backend);
    assert.ok(queue.keys.enqueuedCounts.startsWith(`tl:{${queue.name}}:`));
    return cleanup();
  });
});

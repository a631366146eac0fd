// TaskQueue.throttle: give a task back after a 429, uncounted, counting its 429s up to a cap.
import * as assert from 'uvu/assert';
import { describeBackends, openQueue } from '../helpers/backends.mjs';

const opts = (owner = 'w1') => ({ max: 10, leaseMs: 30_000, owner });

await describeBackends('TaskQueue.throttle', (test, backend) => {
  test('a throttled task is delayed with its attempt uncounted, and past the cap nothing is written', async () => {
    const { queue, cleanup } = openQueue(backend);
    await queue.enqueue({ id: 't1', maxAttempts: 1 });
    for (let i = 0; i < 2; i += 1) {
      const [lease] = await queue.claim('short', opts());
      assert.is(lease.attempt, 1, 'a 429 burns no attempt');
      assert.is(await queue.throttle(lease, { delayMs: 1, maxThrottles: 2 }), 'delayed');
      assert.is((await queue.get('t1')).state, 'delayed');
      await new Promise((r) => setTimeout(r, 20));
    }
    const [lease] = await queue.claim('short', opts());
    assert.is(await queue.throttle(lease, { delayMs: 1, maxThrottles: 2 }), 'capped', 'the third 429 passes a cap of 2');
    assert.is((await queue.get('t1')).state, 'active', 'capped: the task stays leased for the caller to dead-letter');
    await cleanup();
  });

  test('a replayed throttle (lost reply) answers delayed again and counts once; a stale lease is stale', async () => {
    const { queue, cleanup } = openQueue(backend);
    await queue.enqueue({ id: 't2' });
    const [lease] = await queue.claim('short', opts());
    assert.is(await queue.throttle(lease, { delayMs: 50, maxThrottles: 1 }), 'delayed');
    assert.is(await queue.throttle(lease, { delayMs: 50, maxThrottles: 1 }), 'delayed', 'the replay finds it parked with its fence');
    await new Promise((r) => setTimeout(r, 120));
    const [again] = await queue.claim('short', opts('w2'));
    assert.is(await queue.throttle(lease, { delayMs: 50, maxThrottles: 1 }), 'stale', 'the old fence is stale');
    assert.is(await queue.throttle(again, { delayMs: 50, maxThrottles: 1 }), 'capped', 'the replay did not count twice: this is the second 429');
    await cleanup();
  });
});

// TaskQueue.release(lease, { delayMs }): parking a task without counting its attempt.
import * as assert from 'uvu/assert';
import { describeBackends, openQueue, sameShard, sleep } from '../helpers/backends.mjs';

const opts = (owner = 'w1', max = 10) => ({ max, leaseMs: 30_000, owner });

await describeBackends('TaskQueue.release with a delay (parking)', (test, backend) => {
  test('a parked task is delayed, its attempt uncounted, and claimable again after the delay', async () => {
    const { queue, cleanup } = openQueue(backend);
    await queue.enqueue({ id: 'p1', type: 'future', maxAttempts: 1 });
    const [lease] = await queue.claim('short', opts());
    assert.is(await queue.release(lease, { delayMs: 300 }), true);
    const info = await queue.get('p1');
    assert.equal([info.state, info.attempts, info.owner], ['delayed', 0, undefined]);
    assert.equal(await queue.claim('short', opts('w2')), [], 'not claimable during the delay');
    await sleep(450);
    const [again] = await queue.claim('short', opts('w2'));
    assert.equal([again.id, again.attempt, again.fence], ['p1', 1, 2], 'still its first attempt, though maxAttempts is 1');
    await cleanup();
  });

  test('parking many times never burns attempts, and the task keeps its priority', async () => {
    const { queue, cleanup } = openQueue(backend);
    const [low, hi] = sameShard(queue, 'low', 'hi');
    await queue.enqueueMany([{ id: low, priority: 9 }, { id: hi, type: 'future', priority: 1, maxAttempts: 2 }]);
    for (let i = 0; i < 3; i += 1) {
      const [lease] = await queue.claim('short', opts('w1', 1));
      assert.is(lease.id, hi, 'the more urgent priority (lower number) comes first each time it is due');
      assert.is(lease.attempt, 1);
      assert.is(await queue.release(lease, { delayMs: 1 }), true);
      await sleep(20);
    }
    await cleanup();
  });

  test('a replayed park (lost reply) answers true again; a stale lease answers false', async () => {
    const { queue, cleanup } = openQueue(backend);
    await queue.enqueue({ id: 'r' });
    const [lease] = await queue.claim('short', opts());
    assert.is(await queue.release(lease, { delayMs: 5 }), true);
    assert.is(await queue.release(lease, { delayMs: 5 }), true, 'the same fence, already parked: the replay succeeds');
    assert.is((await queue.get('r')).attempts, 0, 'the replay did not uncount a second time');
    await sleep(30);
    const [next] = await queue.claim('short', opts('w2'));
    assert.is(next.fence, 2);
    assert.is(await queue.release(lease, { delayMs: 5 }), false, 'an older fence is stale');
    assert.is((await queue.get('r')).state, 'active');
    await cleanup();
  });

  test('a bad delay is a ValidationError naming delayMs', async () => {
    const { queue, cleanup } = openQueue(backend);
    await queue.enqueue({ id: 'v' });
    const [lease] = await queue.claim('short', opts());
    const err = await queue.release(lease, { delayMs: -1 }).catch((e) => e);
    assert.is(err.code, 'TASKLANE_ERR_INVALID_INPUT');
    assert.match(err.message, /delayMs/);
    await cleanup();
  });

});

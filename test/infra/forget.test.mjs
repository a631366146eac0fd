// queue.refusal(id) and queue.forget(id): an id whose record was purged or expired is still
// refused by enqueue for the dedup window; refusal says until when, forget ends it on purpose.
import * as assert from 'uvu/assert';
import { describeBackends, openQueue, sleep } from '../helpers/backends.mjs';

async function deadLetter(queue, id) {
  await queue.enqueue({ id });
  const [lease] = await queue.claim('short', { max: 1, leaseMs: 10_000, owner: 'w' });
  assert.is(lease?.id, id);
  assert.is(await queue.fail(lease, new Error('boom'), { retryable: false }), 'dead');
}

await describeBackends('TaskQueue refusal and forget', (test, backend) => {
  test('a purged id: get is null, enqueue says duplicate, refusal says until when; forget frees it', async () => {
    const { queue, cleanup } = openQueue(backend, { dedupWindowMs: 60_000 });
    await deadLetter(queue, 'a');
    assert.is(await queue.refusal('a'), null, 'a stored record is shown by get, not refused');
    assert.ok(await queue.purgeDead('a'));
    const before = Date.now();
    assert.is(await queue.get('a'), null);
    assert.is((await queue.enqueue({ id: 'a' })).duplicate, true);
    const refusal = await queue.refusal('a');
    assert.equal([refusal.id, refusal.state], ['a', 'refused']);
    assert.ok(Math.abs(refusal.refusedUntil - (before + 60_000)) < 5000, `refusedUntil ${refusal.refusedUntil - before} ms ahead`);
    assert.is(await queue.forget('a'), true);
    assert.is(await queue.refusal('a'), null);
    assert.is(await queue.forget('a'), false, 'nothing left to forget');
    assert.is((await queue.enqueue({ id: 'a' })).duplicate, false);
    await cleanup();
  });

  test('an unknown id is neither refused nor forgettable', async () => {
    const { queue, cleanup } = openQueue(backend);
    assert.is(await queue.refusal('never'), null);
    assert.is(await queue.forget('never'), false);
    await cleanup();
  });

  test('forget refuses an id whose record exists (IdInUseError) and changes nothing', async () => {
    const { queue, cleanup } = openQueue(backend);
    await queue.enqueue({ id: 'w', payload: { k: 1 }, lane: 'long' });
    await deadLetter(queue, 'd');
    for (const id of ['w', 'd']) {
      const err = await queue.forget(id).catch((e) => e);
      assert.equal([err.name, err.code, err.id], ['IdInUseError', 'TASKLANE_ERR_ID_IN_USE', id]);
    }
    assert.equal([(await queue.get('w')).state, (await queue.get('w')).payload], ['waiting', { k: 1 }]);
    assert.is((await queue.get('d')).state, 'dead');
    assert.is((await queue.enqueue({ id: 'd' })).duplicate, true, 'the dead letter still holds its id');
    await cleanup();
  });

  test('an expired marker ends the refusal on its own', async () => {
    const { queue, cleanup } = openQueue(backend, { dedupWindowMs: 80 });
    await deadLetter(queue, 'x');
    await queue.purgeDead('x');
    assert.ok(await queue.refusal('x'));
    await sleep(150);
    assert.is(await queue.refusal('x'), null);
    await cleanup();
  });

  test('refusal and forget check the id like get does', async () => {
    const { queue, cleanup } = openQueue(backend);
    for (const call of [() => queue.refusal(''), () => queue.forget('\uD800')]) {
      const err = await call().catch((e) => e);
      assert.equal([err.code, err.field], ['TASKLANE_ERR_INVALID_INPUT', 'id']);
    }
    await cleanup();
  });
});

// A purged dead letter's id stays refused for the dedup window counted from the purge: the
// marker written when it died must not expire first. Both backends, one and in bulk.
import * as assert from 'uvu/assert';
import { describeBackends, openQueue, sleep } from '../helpers/backends.mjs';

const WINDOW_MS = 600;

/** Dead-letters each id: enqueue, claim, fail for good. */
async function kill(queue, ids) {
  await queue.enqueueMany(ids.map((id) => ({ id })));
  const leases = await queue.claim('short', { max: ids.length, leaseMs: 10_000, owner: 'test' });
  for (const lease of leases) assert.is(await queue.fail(lease, new Error('boom'), { retryable: false }), 'dead');
}

await describeBackends('TaskQueue purged ids', (test, backend) => {
  test('regression: purgeDead renews the marker, so the id stays refused for the window after the purge', async () => {
    const { queue, cleanup } = openQueue(backend, { dedupWindowMs: WINDOW_MS });
    await kill(queue, ['late-purge']);
    await sleep(WINDOW_MS / 2);
    assert.ok(await queue.purgeDead('late-purge'));
    // Past the window counted from the death, inside the one counted from the purge.
    await sleep(WINDOW_MS / 2 + 150);
    assert.is((await queue.enqueue({ id: 'late-purge' })).duplicate, true, 'still refused after the purge');
    const refusal = await queue.refusal('late-purge');
    assert.ok(refusal && refusal.refusedUntil !== null, 'get-side refusal says until when');
    await sleep(WINDOW_MS);
    assert.is((await queue.enqueue({ id: 'late-purge' })).duplicate, false, 'free once the window from the purge is over');
    await cleanup();
  });

  test('regression: purgeAllDead renews every purged id\'s marker too', async () => {
    const { queue, cleanup } = openQueue(backend, { dedupWindowMs: WINDOW_MS });
    await kill(queue, ['bulk-1', 'bulk-2']);
    await sleep(WINDOW_MS / 2);
    assert.is(await queue.purgeAllDead(), 2);
    await sleep(WINDOW_MS / 2 + 150);
    const again = await queue.enqueueMany([{ id: 'bulk-1' }, { id: 'bulk-2' }]);
    assert.equal(again.map((r) => r.duplicate), [true, true]);
    await cleanup();
  });
});

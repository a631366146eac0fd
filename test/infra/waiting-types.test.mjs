// sampleWaitingTypes: the types at the head of the waiting and delayed sets, bounded.
import * as assert from 'uvu/assert';
import { sampleWaitingTypes } from '../../dist/infra/waiting-types.js';
import { describeBackends, openQueue, sameShard } from '../helpers/backends.mjs';

await describeBackends('sampleWaitingTypes', (test, backend) => {
  test('finds the types of waiting (both lanes) and delayed tasks, not of active ones', async () => {
    const { queue, cleanup } = openQueue(backend);
    const [idA, idB] = sameShard(queue, 'a', 'b');
    assert.equal(await sampleWaitingTypes(queue), new Set(), 'an empty queue');
    await queue.enqueueMany([{ id: idA, type: 'taken' }, { id: idB, type: 'echo' }, { id: 'c', type: 'render', lane: 'long' }, { id: 'd', type: 'http', delayMs: 60_000 }]);
    await queue.claim('short', { max: 1, leaseMs: 30_000, owner: 'w1' });
    assert.equal(await sampleWaitingTypes(queue), new Set(['echo', 'render', 'http']));
    await cleanup();
  });

  test('looks only at the first perSet tasks of each set', async () => {
    const { queue, cleanup } = openQueue(backend);
    const [first, second] = sameShard(queue, 'first', 'second');
    await queue.enqueueMany([{ id: first, type: 'echo' }, { id: second, type: 'http' }]);
    assert.equal(await sampleWaitingTypes(queue, 1), new Set(['echo']));
    await cleanup();
  });
});

import * as assert from 'uvu/assert';
import { DEFAULT_PRIORITY, DEFAULT_MAX_ATTEMPTS } from '../../dist/index.js';
import { describeBackends, openQueue, sleep } from '../helpers/backends.mjs';

const claimAll = (queue, lane = 'short', max = 1000) => queue.claim(lane, { max, leaseMs: 30_000, owner: 'test' });

await describeBackends('TaskQueue enqueue and dedup', (test, backend) => {
  test('enqueue stores a waiting task with defaults', async () => {
    const { queue, cleanup } = openQueue(backend);
    const { id, duplicate } = await queue.enqueue({ id: 'a', payload: { n: 1 } });
    assert.is(id, 'a');
    assert.is(duplicate, false);
    const info = await queue.get('a');
    assert.is(info.state, 'waiting');
    assert.is(info.lane, 'short');
    assert.is(info.type, 'http');
    assert.is(info.priority, DEFAULT_PRIORITY);
    assert.is(info.maxAttempts, DEFAULT_MAX_ATTEMPTS);
    assert.is(info.attempts, 0);
    assert.equal(info.payload, { n: 1 });
    assert.ok(info.createdAt > 1.6e12, 'createdAt is server ms');
    await cleanup();
  });

  test('an enqueue without id gets a unique id', async () => {
    const { queue, cleanup } = openQueue(backend);
    const results = await queue.enqueueMany([{}, {}, {}]);
    const ids = new Set(results.map((r) => r.id));
    assert.is(ids.size, 3);
    assert.ok(results.every((r) => r.duplicate === false));
    await cleanup();
  });

  test('a repeated id is a duplicate and changes nothing', async () => {
    const { queue, cleanup } = openQueue(backend);
    await queue.enqueue({ id: 'dup', payload: 'first', priority: 5 });
    const again = await queue.enqueue({ id: 'dup', payload: 'second', priority: 1, lane: 'long' });
    assert.equal(again, { id: 'dup', duplicate: true });
    const info = await queue.get('dup');
    assert.is(info.payload, 'first');
    assert.is(info.priority, 5);
    assert.is(info.lane, 'short');
    assert.equal((await queue.stats()).waiting, { short: 1, long: 0 });
    await cleanup();
  });

  test('a repeated id within one batch is a duplicate of its first occurrence', async () => {
    const { queue, cleanup } = openQueue(backend);
    const results = await queue.enqueueMany([{ id: 'x', payload: 1 }, { id: 'y' }, { id: 'x', payload: 2 }]);
    assert.equal(results.map((r) => r.duplicate), [false, false, true]);
    assert.is((await queue.get('x')).payload, 1);
    await cleanup();
  });

  test('a completed id stays a duplicate after its record expired, until the dedup window ends', async () => {
    const { queue, cleanup } = openQueue(backend, { completedRetentionMs: 50, dedupWindowMs: 400 });
    await queue.enqueue({ id: 'done' });
    const [lease] = await claimAll(queue);
    assert.ok(await queue.complete(lease, 'ok'));
    assert.is((await queue.enqueue({ id: 'done' })).duplicate, true, 'duplicate while the record exists');
    await sleep(150);
    assert.is(await queue.get('done'), null, 'record expired after its retention');
    assert.is((await queue.enqueue({ id: 'done' })).duplicate, true, 'still a duplicate via the dedup marker');
    await sleep(400);
    assert.is((await queue.enqueue({ id: 'done' })).duplicate, false, 'accepted again after the dedup window');
    await cleanup();
  });

  test('enqueueMany keeps input order across chunks', async () => {
    const { queue, cleanup } = openQueue(backend);
    const inputs = Array.from({ length: 1203 }, (_, i) => ({ id: `m${i}`, priority: i % 7 }));
    inputs.push({ id: 'm5' });
    const results = await queue.enqueueMany(inputs);
    assert.is(results.length, 1204);
    assert.ok(results.slice(0, 1203).every((r, i) => r.id === `m${i}` && !r.duplicate));
    assert.equal(results[1203], { id: 'm5', duplicate: true });
    assert.is((await queue.stats()).waiting.short, 1203);
    await cleanup();
  });

  test('enqueueMany of nothing is nothing', async () => {
    const { queue, cleanup } = openQueue(backend);
    assert.equal(await queue.enqueueMany([]), []);
    await cleanup();
  });
});

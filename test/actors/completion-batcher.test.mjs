import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CompletionBatcher, COMPLETION_BATCH_MAX } from '../../dist/actors/completion-batcher.js';
import { MemoryStore, sleep } from '../helpers/memory-store.mjs';

const test = suite('CompletionBatcher');

async function leases(store, n) {
  store.add(...Array.from({ length: n }, () => ({})));
  return (await store.claimBatch('short', { max: n, leaseMs: 1000, owner: 'w1' })).leases;
}

test('completions added in the same tick share one store call; each gets its own verdict', async () => {
  const store = new MemoryStore();
  const [a, b, c] = await leases(store, 3);
  store.lose(b.id);
  const batcher = new CompletionBatcher(store, () => {});
  const verdicts = await Promise.all([batcher.add(a, 1), batcher.add(b, 2), batcher.add(c, 3)]);
  assert.equal(verdicts, [true, false, true]);
  assert.is(store.count('completeMany'), 1);
});

test('a batch is capped; a burst is split into full batches', async () => {
  const store = new MemoryStore();
  const all = await leases(store, COMPLETION_BATCH_MAX * 2 + 50);
  const batcher = new CompletionBatcher(store, () => {});
  const verdicts = await Promise.all(all.map((lease) => batcher.add(lease, null)));
  assert.ok(verdicts.every(Boolean));
  assert.equal(store.callsOf('completeMany').map(([entries]) => entries.length), [COMPLETION_BATCH_MAX, COMPLETION_BATCH_MAX, 50]);
});

test('completions far apart in time go in separate calls', async () => {
  const store = new MemoryStore();
  const [a, b] = await leases(store, 2);
  const batcher = new CompletionBatcher(store, () => {});
  await batcher.add(a, 1);
  await sleep(30);
  await batcher.add(b, 2);
  assert.is(store.count('completeMany'), 2);
});

test('a store call that fails for good rejects every entry of its batch', async () => {
  const store = new MemoryStore();
  const [a, b] = await leases(store, 2);
  const down = new Error('down');
  store.failNext('completeMany', down, 10);
  const seen = [];
  const batcher = new CompletionBatcher(store, (err) => seen.push(err));
  const results = await Promise.allSettled([batcher.add(a, 1), batcher.add(b, 2)]);
  assert.equal(results.map((r) => r.status), ['rejected', 'rejected']);
  assert.is(results[0].reason, down);
  assert.is(seen.length, 5, 'one try and four retries');
});

test.run();

// Reading dead letters: full records in chunks of 100 (most recent first, across chunk
// boundaries), and summaries without payload or result. Both backends.
import * as assert from 'uvu/assert';
import { describeBackends, openQueue } from '../helpers/backends.mjs';
import { trackInFlight } from '../helpers/in-flight.mjs';

/** `n` dead letters d000…, each with a payload, failed for good in id order. */
async function killMany(queue, n) {
  await queue.enqueueMany(Array.from({ length: n }, (_, i) => ({ id: `d${String(i).padStart(3, '0')}`, type: 'job', lane: 'long', priority: 7, payload: { secret: i } })));
  const leases = await queue.claim('long', { max: n, leaseMs: 60_000, owner: 'test' });
  for (const lease of leases) await queue.fail(lease, Object.assign(new Error(`${lease.id} failed`), { code: 'E_TEST' }), { retryable: false });
}

/**
 * Every dead letter's id in the documented ranking: most recent first, id descending on ties,
 * merged over the shards (each shard's dead set read on its own).
 */
async function deadRanking(client, queue) {
  const entries = [];
  for (const keys of queue.shardKeys) {
    const flat = await client.zrange(keys.dead, 0, -1, 'WITHSCORES');
    for (let i = 0; i < flat.length; i += 2) entries.push([flat[i], Number(flat[i + 1])]);
  }
  entries.sort(([a, x], [b, y]) => y - x || (a < b ? 1 : a > b ? -1 : 0));
  return entries.map(([id]) => id);
}

await describeBackends('TaskQueue dead-letter reads', (test, backend) => {
  test('deadLetters reads 100 records per round trip and keeps the ranking across chunks', async () => {
    const { queue, client, cleanup } = openQueue(backend);
    await killMany(queue, 230);
    const reads = trackInFlight(client, 'hgetall');
    const all = await queue.deadLetters({ limit: 1000 });
    assert.is(all.length, 230);
    assert.is(reads.calls, 230);
    assert.is(reads.most, 100, `${reads.most} HGETALLs in flight at once`);
    assert.equal(all.map((t) => t.id), await deadRanking(client, queue));
    assert.equal((await queue.deadLetters({ limit: 120, offset: 90 })).map((t) => t.id), all.slice(90, 210).map((t) => t.id));
    await cleanup();
  });

  test('deadLetterPage ends a page once its records pass maxBytes, and nextOffset goes on without a gap or a repeat', async () => {
    const { queue, client, cleanup } = openQueue(backend);
    await killMany(queue, 60);
    const recordBytes = Object.values(await client.hgetall(queue.keysFor('d000').task('d000'))).reduce((n, v) => n + v.length, 0);
    const budget = recordBytes * 25;
    const seen = [];
    let offset = 0;
    let pages = 0;
    while (offset !== null) {
      const page = await queue.deadLetterPage({ limit: 1000, offset, maxBytes: budget });
      assert.ok(page.tasks.length <= 30, `a page of ${page.tasks.length} records on a budget of about 25`);
      seen.push(...page.tasks.map((t) => t.id));
      offset = page.nextOffset;
      pages += 1;
    }
    assert.ok(pages >= 3, `${pages} pages`);
    assert.equal(seen, await deadRanking(client, queue), 'every dead letter once, in order');
    const whole = await queue.deadLetterPage({ limit: 1000, maxBytes: 2 ** 30 });
    assert.equal([whole.tasks.length, whole.nextOffset], [60, null]);
    await cleanup();
  });

  test('deadSummaries: the latest dead letters without payload or result; gone records are skipped', async () => {
    const { queue, client, cleanup } = openQueue(backend);
    await killMany(queue, 3);
    await queue.retryDead('d001'); // replayed: no longer ranked
    // A record that left the dead state behind the ranking's back is skipped, not shown.
    await client.hset(queue.keysFor('d000').task('d000'), 'state', 'waiting');
    const summaries = await queue.deadSummaries(50);
    assert.is(summaries.length, 1);
    const [s] = summaries;
    assert.equal(Object.keys(s).sort(), ['attempts', 'error', 'finishedAt', 'id', 'lane', 'maxAttempts', 'priority', 'type']);
    assert.equal([s.id, s.type, s.lane, s.priority, s.attempts, s.maxAttempts], ['d002', 'job', 'long', 7, 1, 5]);
    assert.equal(s.error, { name: 'Error', message: 'd002 failed', code: 'E_TEST' });
    assert.type(s.finishedAt, 'number');
    await queue.deadSummaries(1001).then(() => assert.unreachable('1001 was accepted'), (err) => assert.is(err.field, 'limit'));
    await cleanup();
  });
});

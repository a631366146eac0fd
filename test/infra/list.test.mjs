// TaskQueue.list: pages of one state in a stable order, an opaque cursor that survives
// concurrent changes, bounded filters, and refusals naming the option.
import * as assert from 'uvu/assert';
import { LIST_SCAN_LIMIT, ValidationError } from '../../dist/index.js';
import { describeBackends, openQueue, sameShard, sameShardIds } from '../helpers/backends.mjs';

const opts = (owner = 'w1', max = 10, leaseMs = 30_000) => ({ max, leaseMs, owner });

/** Every page of a listing, as arrays of ids, following nextCursor to the end. */
async function pages(queue, options) {
  const out = [];
  let cursor;
  for (let i = 0; i < 1000; i += 1) {
    const page = await queue.list({ ...options, ...(cursor ? { cursor } : {}) });
    out.push(page.tasks.map((t) => t.id));
    if (!page.nextCursor) return out;
    cursor = page.nextCursor;
  }
  throw new Error('listing never ended');
}

/** Expects a ValidationError naming `field`. */
async function refuses(promise, field) {
  try {
    await promise;
  } catch (err) {
    assert.instance(err, ValidationError);
    assert.is(err.field, field, err.message);
    return err;
  }
  assert.unreachable(`expected a ValidationError on ${field}`);
}

await describeBackends('TaskQueue.list', (test, backend) => {
  test('waiting: one lane in claim order (priority, then FIFO), paged without repeats', async () => {
    const { queue, cleanup } = openQueue(backend);
    try {
      // One shard: claim order (FIFO within a priority) is exact within a shard only.
      const inputs = sameShardIds(queue, 23, 's').map((id, i) => ({ id, priority: [5, 1, 9][i % 3] }));
      await queue.enqueueMany(inputs);
      await queue.enqueue({ id: 'other-lane', lane: 'long', priority: 0 });
      const paged = await pages(queue, { state: 'waiting', lane: 'short', limit: 4 });
      assert.equal(paged.map((p) => p.length), [4, 4, 4, 4, 4, 3]);
      // The order claim would take them in.
      const claimed = (await queue.claim('short', opts('w', 100))).map((l) => l.id);
      assert.equal(paged.flat(), claimed);
    } finally {
      await cleanup();
    }
  });

  test('waiting without a lane merges both lanes by priority, then enqueue order', async () => {
    const { queue, cleanup } = openQueue(backend);
    const [idA, idB, idC, idD, idE, idF] = sameShard(queue, 'a', 'b', 'c', 'd', 'e', 'f');
    try {
      await queue.enqueueMany([
        { id: idA, lane: 'short', priority: 3 }, { id: idB, lane: 'long', priority: 3 }, { id: idC, lane: 'long', priority: 1 },
        { id: idD, lane: 'short', priority: 3 }, { id: idE, lane: 'long', priority: 7 }, { id: idF, lane: 'short', priority: 0 },
      ]);
      assert.equal((await pages(queue, { state: 'waiting', limit: 2 })).flat(), [idF, idC, idA, idB, idD, idE]);
      assert.equal((await pages(queue, { state: 'waiting', limit: 1000 })), [[idF, idC, idA, idB, idD, idE]]);
      const page = await queue.list({ state: 'waiting', lane: 'long' });
      assert.equal(page.tasks.map((t) => [t.id, t.lane, t.priority, t.state]), [[idC, 'long', 1, 'waiting'], [idB, 'long', 3, 'waiting'], [idE, 'long', 7, 'waiting']]);
      assert.is(page.nextCursor, null);
    } finally {
      await cleanup();
    }
  });

  test('waiting on a sharded queue: the shards\' pages merged by priority, then by each shard\'s own sequence', async () => {
    const { queue, client, cleanup } = openQueue(backend, { shards: 4 });
    try {
      await queue.enqueueMany(Array.from({ length: 14 }, (_, i) => ({ id: `m${i}`, priority: i % 2 })));
      // Members are `<15-digit sequence><id>`, scored by priority; the merge orders by score, then member.
      const entries = [];
      for (const keys of queue.shardKeys) {
        const flat = await client.zrange(keys.waiting('short'), 0, -1, 'WITHSCORES');
        for (let i = 0; i < flat.length; i += 2) entries.push([Number(flat[i + 1]), flat[i]]);
      }
      entries.sort(([p, m], [q, n]) => p - q || (m < n ? -1 : m > n ? 1 : 0));
      const expected = entries.map(([, member]) => member.slice(15));
      assert.equal(new Set(expected.map((id) => queue.keysFor(id).shard)).size > 1, true, 'the ids span shards');
      const paged = (await pages(queue, { state: 'waiting', lane: 'short', limit: 3 })).flat();
      assert.equal(paged, expected);
      // Within each shard that is claim order.
      const claimed = (await queue.claim('short', opts('w', 100))).map((l) => l.id);
      for (let shard = 0; shard < 4; shard += 1) {
        const inShard = (ids) => ids.filter((id) => queue.keysFor(id).shard === shard);
        assert.equal(inShard(claimed), inShard(paged), `shard ${shard}`);
      }
    } finally {
      await cleanup();
    }
  });

  test('the cursor is stable: items that stay are neither repeated nor skipped while others come and go', async () => {
    const { queue, cleanup } = openQueue(backend);
    try {
      // One shard: FIFO ties across shards follow each shard's own sequence.
      const t = sameShard(queue, ...Array.from({ length: 12 }, (_, i) => `t${i}`), 'early', 'late');
      const [early, late] = t.slice(12);
      await queue.enqueueMany(t.slice(0, 12).map((id) => ({ id, priority: 10 })));
      const first = await queue.list({ state: 'waiting', limit: 4 });
      assert.equal(first.tasks.map((task) => task.id), t.slice(0, 4));
      // Between the pages: the page's last entry and an unseen one leave, a task lands before the
      // cursor (not shown: it is behind) and one after it (shown, in its place).
      assert.ok(await queue.cancel(t[3]));
      assert.ok(await queue.cancel(t[5]));
      await queue.enqueue({ id: early, priority: 1 });
      await queue.enqueue({ id: late, priority: 10 });
      const rest = await pages(queue, { state: 'waiting', limit: 4, cursor: first.nextCursor });
      assert.equal(rest.flat(), [t[4], ...t.slice(6, 12), late]);
    } finally {
      await cleanup();
    }
  });

  test('delayed by due time; active by lease expiry, with owner and expiry', async () => {
    const { queue, cleanup } = openQueue(backend);
    const [idX, idY, idZ] = sameShard(queue, 'x', 'y', 'z');
    try {
      await queue.enqueueMany([{ id: 'd3', delayMs: 30_000 }, { id: 'd1', delayMs: 10_000 }, { id: 'd2', delayMs: 20_000 }]);
      assert.equal((await pages(queue, { state: 'delayed', limit: 2 })).flat(), ['d1', 'd2', 'd3']);
      await queue.enqueueMany([{ id: idX }, { id: idY }, { id: idZ }]);
      const [x] = await queue.claim('short', opts('wx', 1, 30_000));
      const [y] = await queue.claim('short', opts('wy', 1, 10_000));
      const [z] = await queue.claim('short', opts('wz', 1, 20_000));
      assert.equal([x.id, y.id, z.id], [idX, idY, idZ]);
      const active = await queue.list({ state: 'active' });
      assert.equal(active.tasks.map((t) => [t.id, t.owner, t.expiresAt]), [[idY, 'wy', y.expiresAt], [idZ, 'wz', z.expiresAt], [idX, 'wx', x.expiresAt]]);
      assert.equal((await pages(queue, { state: 'active', limit: 1 })).flat(), [idY, idZ, idX]);
    } finally {
      await cleanup();
    }
  });

  test('completed and dead: most recent first, across entries finished in the same millisecond', async () => {
    const { queue, cleanup } = openQueue(backend);
    try {
      // One shard: a completeMany is one script call per shard, so only a shard's entries share a finish time.
      const [k1, k2, cLast, ...c] = sameShard(queue, 'k1', 'k2', 'c-last', ...Array.from({ length: 7 }, (_, i) => `c${i}`));
      await queue.enqueueMany(c.map((id) => ({ id, payload: { big: 'x'.repeat(100) } })));
      const leases = await queue.claim('short', opts('w', 7));
      // One completeMany: all seven share one finish time; ties go by id, descending.
      await queue.completeMany(leases.map((lease) => ({ lease, result: { r: lease.id } })));
      await queue.enqueue({ id: cLast });
      const [last] = await queue.claim('short', opts());
      await new Promise((r) => setTimeout(r, 5));
      await queue.complete(last, 'done');
      const paged = await pages(queue, { state: 'completed', limit: 3 });
      assert.equal(paged.flat(), [cLast, ...[...c].reverse()]);
      // Rows leave out payload and result; `get` has them.
      const [row] = (await queue.list({ state: 'completed', limit: 1 })).tasks;
      assert.is(row.payload, undefined);
      assert.is(row.result, undefined);
      assert.is(row.state, 'completed');
      assert.ok(row.finishedAt > 0);

      await queue.enqueueMany([{ id: k1 }, { id: k2 }]);
      for (const lease of await queue.claim('short', opts('w', 2))) {
        await queue.fail(lease, new Error(`boom ${lease.id}`), { retryable: false });
        await new Promise((r) => setTimeout(r, 3));
      }
      const dead = await queue.list({ state: 'dead' });
      assert.equal(dead.tasks.map((t) => [t.id, t.error?.message]), [[k2, `boom ${k2}`], [k1, `boom ${k1}`]]);
      // Most recent first, and stable too: the cursor's own entry is purged before the next page.
      const newest = await queue.list({ state: 'dead', limit: 1 });
      assert.equal(newest.tasks.map((t) => t.id), [k2]);
      assert.ok(await queue.purgeDead(k2));
      const older = await queue.list({ state: 'dead', limit: 1, cursor: newest.nextCursor });
      assert.equal([older.tasks.map((t) => t.id), older.nextCursor], [[k1], null]);
    } finally {
      await cleanup();
    }
  });

  test('a type filter looks at a bounded number of entries: a rare type far back needs a second page', async () => {
    const { queue, cleanup } = openQueue(backend);
    try {
      // One shard: the scan bound is per shard.
      const [rare1, rare2] = sameShard(queue, 'rare-1', 'rare-2');
      const common = sameShardIds(queue, LIST_SCAN_LIMIT + 5, 'n', queue.keysFor(rare1).shard).map((id) => ({ id, type: 'common', priority: 1 }));
      await queue.enqueueMany(common);
      await queue.enqueueMany([{ id: rare1, type: 'rare', priority: 1 }, { id: rare2, type: 'rare', priority: 2 }]);
      const first = await queue.list({ state: 'waiting', type: 'rare', limit: 10 });
      assert.equal(first.tasks, [], 'the first call stops at the scan bound');
      assert.type(first.nextCursor, 'string');
      const second = await queue.list({ state: 'waiting', type: 'rare', limit: 10, cursor: first.nextCursor });
      assert.equal(second.tasks.map((t) => [t.id, t.type]), [[rare1, 'rare'], [rare2, 'rare']]);
      assert.is(second.nextCursor, null);
      // A lane filter outside waiting is bounded the same way, and exact.
      await queue.enqueueMany([{ id: 'dl', lane: 'long', delayMs: 60_000 }, { id: 'ds', delayMs: 60_000 }]);
      assert.equal((await queue.list({ state: 'delayed', lane: 'long' })).tasks.map((t) => t.id), ['dl']);
    } finally {
      await cleanup();
    }
  });

  test('bad options are refused naming the option', async () => {
    const { queue, cleanup } = openQueue(backend);
    try {
      await queue.enqueueMany([{ id: 'a' }, { id: 'b' }]);
      const err = await refuses(queue.list({ state: 'waiting', limit: 1001 }), 'limit');
      assert.match(err.message, /1 to 1000/);
      await refuses(queue.list({ state: 'waiting', limit: 0 }), 'limit');
      const state = await refuses(queue.list({ state: 'cancelled' }), 'state');
      assert.match(state.message, /`waiting`, `delayed`, `active`, `completed`, `dead`/);
      await refuses(queue.list({ state: 'waiting', lane: 'medium' }), 'lane');
      await refuses(queue.list({ state: 'waiting', type: '' }), 'type');
      await refuses(queue.list({ state: 'waiting', cursor: 'not a cursor!' }), 'cursor');
      await refuses(queue.list({ state: 'waiting', cursor: Buffer.from('[2,"x"]').toString('base64url') }), 'cursor');
      const { nextCursor } = await queue.list({ state: 'waiting', limit: 1 });
      assert.type(nextCursor, 'string');
      const other = await refuses(queue.list({ state: 'delayed', cursor: nextCursor }), 'cursor');
      assert.match(other.message, /state `waiting`/);
      await refuses(queue.list({ state: 'waiting', lane: 'short', cursor: nextCursor }), 'cursor');
    } finally {
      await cleanup();
    }
  });
});

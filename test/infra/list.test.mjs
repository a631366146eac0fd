// TaskQueue.list: pages of one state in a stable order, an opaque cursor that survives
// concurrent changes, bounded filters, and refusals naming the option.
import * as assert from 'uvu/assert';
import { LIST_SCAN_LIMIT, ValidationError } from '../../dist/index.js';
import { describeBackends, openQueue } from '../helpers/backends.mjs';

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
      const inputs = Array.from({ length: 23 }, (_, i) => ({ id: `s${i}`, priority: [5, 1, 9][i % 3] }));
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
    try {
      await queue.enqueueMany([
        { id: 'a', lane: 'short', priority: 3 }, { id: 'b', lane: 'long', priority: 3 }, { id: 'c', lane: 'long', priority: 1 },
        { id: 'd', lane: 'short', priority: 3 }, { id: 'e', lane: 'long', priority: 7 }, { id: 'f', lane: 'short', priority: 0 },
      ]);
      assert.equal((await pages(queue, { state: 'waiting', limit: 2 })).flat(), ['f', 'c', 'a', 'b', 'd', 'e']);
      assert.equal((await pages(queue, { state: 'waiting', limit: 1000 })), [['f', 'c', 'a', 'b', 'd', 'e']]);
      const page = await queue.list({ state: 'waiting', lane: 'long' });
      assert.equal(page.tasks.map((t) => [t.id, t.lane, t.priority, t.state]), [['c', 'long', 1, 'waiting'], ['b', 'long', 3, 'waiting'], ['e', 'long', 7, 'waiting']]);
      assert.is(page.nextCursor, null);
    } finally {
      await cleanup();
    }
  });

  test('the cursor is stable: items that stay are neither repeated nor skipped while others come and go', async () => {
    const { queue, cleanup } = openQueue(backend);
    try {
      await queue.enqueueMany(Array.from({ length: 12 }, (_, i) => ({ id: `t${i}`, priority: 10 })));
      const first = await queue.list({ state: 'waiting', limit: 4 });
      assert.equal(first.tasks.map((t) => t.id), ['t0', 't1', 't2', 't3']);
      // Between the pages: the page's last entry and an unseen one leave, a task lands before the
      // cursor (not shown: it is behind) and one after it (shown, in its place).
      assert.ok(await queue.cancel('t3'));
      assert.ok(await queue.cancel('t5'));
      await queue.enqueue({ id: 'early', priority: 1 });
      await queue.enqueue({ id: 'late', priority: 10 });
      const rest = await pages(queue, { state: 'waiting', limit: 4, cursor: first.nextCursor });
      assert.equal(rest.flat(), ['t4', 't6', 't7', 't8', 't9', 't10', 't11', 'late']);
    } finally {
      await cleanup();
    }
  });

  test('delayed by due time; active by lease expiry, with owner and expiry', async () => {
    const { queue, cleanup } = openQueue(backend);
    try {
      await queue.enqueueMany([{ id: 'd3', delayMs: 30_000 }, { id: 'd1', delayMs: 10_000 }, { id: 'd2', delayMs: 20_000 }]);
      assert.equal((await pages(queue, { state: 'delayed', limit: 2 })).flat(), ['d1', 'd2', 'd3']);
      await queue.enqueueMany([{ id: 'x' }, { id: 'y' }, { id: 'z' }]);
      const [x] = await queue.claim('short', opts('wx', 1, 30_000));
      const [y] = await queue.claim('short', opts('wy', 1, 10_000));
      const [z] = await queue.claim('short', opts('wz', 1, 20_000));
      assert.equal([x.id, y.id, z.id], ['x', 'y', 'z']);
      const active = await queue.list({ state: 'active' });
      assert.equal(active.tasks.map((t) => [t.id, t.owner, t.expiresAt]), [['y', 'wy', y.expiresAt], ['z', 'wz', z.expiresAt], ['x', 'wx', x.expiresAt]]);
      assert.equal((await pages(queue, { state: 'active', limit: 1 })).flat(), ['y', 'z', 'x']);
    } finally {
      await cleanup();
    }
  });

  test('completed and dead: most recent first, across entries finished in the same millisecond', async () => {
    const { queue, cleanup } = openQueue(backend);
    try {
      await queue.enqueueMany(Array.from({ length: 7 }, (_, i) => ({ id: `c${i}`, payload: { big: 'x'.repeat(100) } })));
      const leases = await queue.claim('short', opts('w', 7));
      // One completeMany: all seven share one finish time; ties go by id, descending.
      await queue.completeMany(leases.map((lease) => ({ lease, result: { r: lease.id } })));
      await queue.enqueue({ id: 'c-last' });
      const [last] = await queue.claim('short', opts());
      await new Promise((r) => setTimeout(r, 5));
      await queue.complete(last, 'done');
      const paged = await pages(queue, { state: 'completed', limit: 3 });
      assert.equal(paged.flat(), ['c-last', 'c6', 'c5', 'c4', 'c3', 'c2', 'c1', 'c0']);
      // Rows leave out payload and result; `get` has them.
      const [row] = (await queue.list({ state: 'completed', limit: 1 })).tasks;
      assert.is(row.payload, undefined);
      assert.is(row.result, undefined);
      assert.is(row.state, 'completed');
      assert.ok(row.finishedAt > 0);

      await queue.enqueueMany([{ id: 'k1' }, { id: 'k2' }]);
      for (const lease of await queue.claim('short', opts('w', 2))) {
        await queue.fail(lease, new Error(`boom ${lease.id}`), { retryable: false });
        await new Promise((r) => setTimeout(r, 3));
      }
      const dead = await queue.list({ state: 'dead' });
      assert.equal(dead.tasks.map((t) => [t.id, t.error?.message]), [['k2', 'boom k2'], ['k1', 'boom k1']]);
      // Most recent first, and stable too: the cursor's own entry is purged before the next page.
      const newest = await queue.list({ state: 'dead', limit: 1 });
      assert.equal(newest.tasks.map((t) => t.id), ['k2']);
      assert.ok(await queue.purgeDead('k2'));
      const older = await queue.list({ state: 'dead', limit: 1, cursor: newest.nextCursor });
      assert.equal([older.tasks.map((t) => t.id), older.nextCursor], [['k1'], null]);
    } finally {
      await cleanup();
    }
  });

  test('a type filter looks at a bounded number of entries: a rare type far back needs a second page', async () => {
    const { queue, cleanup } = openQueue(backend);
    try {
      const common = Array.from({ length: LIST_SCAN_LIMIT + 5 }, (_, i) => ({ id: `n${i}`, type: 'common', priority: 1 }));
      await queue.enqueueMany(common);
      await queue.enqueueMany([{ id: 'rare-1', type: 'rare', priority: 1 }, { id: 'rare-2', type: 'rare', priority: 2 }]);
      const first = await queue.list({ state: 'waiting', type: 'rare', limit: 10 });
      assert.equal(first.tasks, [], 'the first call stops at the scan bound');
      assert.type(first.nextCursor, 'string');
      const second = await queue.list({ state: 'waiting', type: 'rare', limit: 10, cursor: first.nextCursor });
      assert.equal(second.tasks.map((t) => [t.id, t.type]), [['rare-1', 'rare'], ['rare-2', 'rare']]);
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

import * as assert from 'uvu/assert';
import { describeBackends, openQueue } from '../helpers/backends.mjs';

// The mock runs every script in a fresh fengari VM, which is far slower than Redis;
// it gets a smaller batch of the same test so the suite stays quick. The cluster's claims go
// shard by shard over three masters: a fifth of the server's batch keeps the suite's time.
const SIZE = { 'redis-server': 100_000, 'ioredis-mock': 5_000, 'redis-cluster': 20_000 };

await describeBackends('TaskQueue at scale', (test, backend) => {
  // The order is exact within a shard (the whole queue on one shard); across shards a claim
  // takes the best head it knows of, close to but not exactly the global priority order.
  test(`enqueue ${SIZE[backend.name]} tasks and claim them all: priority order, FIFO (within each shard), none lost or claimed twice`, async () => {
    const { queue, cleanup } = openQueue(backend);
    const n = SIZE[backend.name];
    const priorityOf = (i) => (i * 7919) % 10;
    const inputs = Array.from({ length: n }, (_, i) => ({ id: `t${i}`, priority: priorityOf(i), payload: i }));
    for (let i = 0; i < n; i += 10_000) await queue.enqueueMany(inputs.slice(i, i + 10_000));
    assert.is((await queue.stats()).waiting.short, n);

    const seen = new Set();
    const last = queue.shardKeys.map(() => ({ priority: -1, index: -1 }));
    for (;;) {
      const leases = await queue.claim('short', { max: 1000, leaseMs: 60_000, owner: 'scale' });
      if (leases.length === 0) break;
      for (const lease of leases) {
        assert.not.ok(seen.has(lease.id), `claimed twice: ${lease.id}`);
        seen.add(lease.id);
        const index = lease.payload;
        const { shard } = queue.keysFor(lease.id);
        const prev = last[shard];
        assert.ok(lease.priority > prev.priority || (lease.priority === prev.priority && index > prev.index),
          `order broken at ${lease.id} (shard ${shard}): priority ${lease.priority} index ${index} after ${JSON.stringify(prev)}`);
        last[shard] = { priority: lease.priority, index };
      }
      await queue.completeMany(leases.map((lease) => ({ lease })));
    }
    assert.is(seen.size, n, 'every task claimed');
    const stats = await queue.stats();
    assert.equal([stats.waiting.short, stats.active, stats.completed], [0, 0, n]);
    await cleanup();
  });
});

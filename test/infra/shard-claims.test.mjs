// Claims of a sharded queue: how close they come to global priority order (the target: with
// 600 urgent tasks among 6,600 waiting on 12 shards, at least 80% of the first 600 claimed are
// urgent), FIFO within a priority inside each shard, and no task left behind by what a claim
// saw before its queue listened for wake-ups.
// On redis-server (12 shards on one node) and on the Redis Cluster (12 shards on 3 masters).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { backends, openQueue } from '../helpers/backends.mjs';
import { shardOf } from '../../dist/infra/shards.js';

const SHARDS = 12;

/** 6,600 tasks, every 11th urgent (priority 0, else 5), enqueued in shuffled order. */
function workload() {
  const tasks = Array.from({ length: 6600 }, (_, i) => ({ id: `t${i}`, priority: i % 11 === 0 ? 0 : 5 }));
  let seed = 42;
  const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  for (let i = tasks.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [tasks[i], tasks[j]] = [tasks[j], tasks[i]];
  }
  return tasks;
}

async function firstClaims(queue, { consumers, max }) {
  const leases = [];
  await Promise.all(Array.from({ length: consumers }, async (_, c) => {
    while (leases.length < 600) leases.push(...(await queue.claim('short', { max, leaseMs: 60_000, owner: `c${c}` })));
  }));
  return leases;
}

for (const backend of backends.filter((b) => b.name !== 'ioredis-mock')) {
  const test = suite(`sharded claims in priority order [${backend.name}]`);

  for (const shape of [{ consumers: 1, max: 10 }, { consumers: 4, max: 10 }, { consumers: 1, max: 50 }, { consumers: 4, max: 50 }]) {
    test(`${shape.consumers} consumer(s) claiming up to ${shape.max}: at least 80% of the first 600 claimed are urgent`, async () => {
      const { queue, cleanup } = openQueue(backend, { shards: SHARDS });
      try {
        await queue.enqueueMany(workload());
        await queue.listenForWork();
        const leases = await firstClaims(queue, shape);
        const urgent = leases.slice(0, 600).filter((l) => l.priority === 0).length;
        console.log(`  ${backend.name}, ${shape.consumers} × max ${shape.max}: ${urgent} of the first 600 claims urgent (${((urgent / 600) * 100).toFixed(1)}%)`);
        assert.ok(urgent >= 480, `${urgent} of 600 urgent`);
        assert.is(new Set(leases.map((l) => l.id)).size, leases.length, 'no task leased twice');
      } finally {
        await cleanup();
      }
    });
  }

  test('FIFO within a priority holds inside each shard', async () => {
    const { queue, cleanup } = openQueue(backend, { shards: SHARDS });
    try {
      for (let i = 0; i < 240; i += 40) await queue.enqueueMany(Array.from({ length: 40 }, (_, k) => ({ id: `f${i + k}`, priority: (i + k) % 3 })));
      const seen = [];
      for (;;) {
        const leases = await queue.claim('short', { max: 7, leaseMs: 60_000, owner: 'fifo' });
        if (leases.length === 0) break;
        seen.push(...leases);
      }
      assert.is(seen.length, 240);
      for (let shard = 0; shard < SHARDS; shard++) {
        for (let priority = 0; priority < 3; priority++) {
          const order = seen.filter((l) => shardOf(l.id, SHARDS) === shard && l.priority === priority).map((l) => Number(l.id.slice(1)));
          assert.equal(order, [...order].sort((a, b) => a - b), `shard ${shard}, priority ${priority} in enqueue order`);
        }
        // Within a shard, no task is claimed before a more urgent one of the same shard.
        const priorities = seen.filter((l) => shardOf(l.id, SHARDS) === shard).map((l) => l.priority);
        assert.equal(priorities, [...priorities].sort((a, b) => a - b), `shard ${shard} in priority order`);
      }
    } finally {
      await cleanup();
    }
  });

  test('a consumer that claimed before it listened finds tasks enqueued in between at once', async () => {
    const { queue, cleanup } = openQueue(backend, { shards: 6 });
    const producer = openQueue(backend, { name: queue.name, shards: 6 });
    try {
      assert.equal((await queue.claimBatch('short', { max: 10, leaseMs: 60_000, owner: 'early' })).leases, []);
      await producer.queue.enqueueMany(Array.from({ length: 12 }, (_, i) => ({ id: `late${i}` })));
      await queue.listenForWork();
      const started = Date.now();
      const leases = [];
      while (leases.length < 12 && Date.now() - started < 5000) leases.push(...(await queue.claim('short', { max: 12, leaseMs: 60_000, owner: 'early' })));
      assert.is(leases.length, 12, `${leases.length} of 12 claimed within 5 s (a shard seen empty before listening would wait 10 s)`);
    } finally {
      await producer.cleanup();
      await cleanup();
    }
  });

  test.run();
}

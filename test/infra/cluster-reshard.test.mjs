// A sharded queue keeps working while `redis-cli --cluster reshard` moves slots holding its
// shards from one master to another: the client follows MOVED, ASK and TRYAGAIN, every task
// is completed exactly once, wake-ups still arrive from the moved shards, and the shards end
// up on the target master.
import calculateSlot from 'cluster-key-slot';
import { Redis } from 'ioredis';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { TaskQueue } from '../../dist/index.js';
import { shardKeys } from '../../dist/infra/shards.js';
import { startRedisCluster } from '../helpers/redis-cluster.mjs';
import { sleep, uniqueName } from '../helpers/backends.mjs';

const test = suite('cluster reshard');
const SHARDS = 12;
const TASKS = 3000;
const MORE_TASKS = 1000;
const CONSUMERS = 3;
/** At most this many slots are moved: the queue's name is picked so two shards are among them. */
const MAX_SLOTS = 400;
const DRAIN_MS = 20_000;

/** Every slot a master owns, lowest first (the order redis-cli reshard takes them in). */
const slotsOf = (master) => master.slots.flatMap(([lo, hi]) => Array.from({ length: hi - lo + 1 }, (_, i) => lo + i));

/**
 * A queue name and a source master such that moving the source's `slots` lowest slots moves
 * at least two of the queue's shards (`moved`).
 */
function pickLayout(masters) {
  const ranked = masters.map((m) => ({ master: m, rank: new Map(slotsOf(m).map((slot, i) => [slot, i])) }));
  for (let attempt = 0; attempt < 5000; attempt += 1) {
    const name = uniqueName('reshard');
    const slots = shardKeys(name, 'tl', SHARDS).map((k) => calculateSlot(k.prefix));
    for (const { master, rank } of ranked) {
      const ranks = slots.map((slot) => rank.get(slot)).filter((r) => r !== undefined).sort((a, b) => a - b);
      if (ranks.length >= 2 && ranks[1] < MAX_SLOTS) {
        const count = ranks[1] + 1;
        const moved = slots.flatMap((slot, shard) => (rank.get(slot) !== undefined && rank.get(slot) < count ? [shard] : []));
        return { name, from: master, count, moved };
      }
    }
  }
  throw new Error(`no queue name puts two shards among a master's ${MAX_SLOTS} lowest slots`);
}

/** MOVED, ASK and TRYAGAIN replies the masters sent since their stats were reset (INFO errorstats). */
async function redirections(masters, reset = false) {
  const counts = { MOVED: 0, ASK: 0, TRYAGAIN: 0 };
  for (const { port } of masters) {
    const node = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1 });
    try {
      if (reset) await node.config('RESETSTAT');
      const info = await node.info('errorstats');
      for (const kind of Object.keys(counts)) counts[kind] += Number(new RegExp(`errorstat_${kind}:count=(\\d+)`).exec(info)?.[1] ?? 0);
    } finally {
      node.disconnect();
    }
  }
  return counts;
}

/** The first id `<prefix>-<n>` that the queue keeps in one of `shards`. */
function idIn(queue, shards, prefix) {
  for (let i = 0; ; i += 1) if (shards.includes(queue.keysFor(`${prefix}-${i}`).shard)) return `${prefix}-${i}`;
}

function tally(errors, err) {
  const label = err?.code ?? `${err?.name}: ${String(err?.message).split(/\s/)[0]}`;
  errors.set(label, (errors.get(label) ?? 0) + 1);
}

test('slots holding shards move to another master while tasks are claimed and completed: nothing is lost or done twice', async () => {
  const cluster = await startRedisCluster({ masters: 3 });
  let queue;
  const books = { stop: false, completed: new Map(), effects: new Map(), stale: 0, errors: new Map(), claims: 0 };
  try {
    const masters = await cluster.masters();
    const { name, from, count, moved } = pickLayout(masters);
    const to = masters.find((m) => m.id !== from.id);
    queue = new TaskQueue({ name, shards: SHARDS, leaseMarginMs: 0, redis: { cluster: cluster.spec.split(',') } });
    queue.on('queue:warning', () => {});
    await queue.listenForWork();
    for (const shard of moved) assert.is((await cluster.slotOwner(calculateSlot(queue.shardKeys[shard].prefix))).port, from.port);

    const ids = Array.from({ length: TASKS + MORE_TASKS }, (_, i) => `r-${i}`);
    await queue.enqueueMany(ids.slice(0, TASKS).map((id) => ({ id })));

    const consumer = async (owner) => {
      while (!books.stop) {
        let leases;
        const since = queue.wakeGeneration('short');
        try {
          leases = await queue.claim('short', { max: 10, leaseMs: 10_000, owner });
          books.claims += 1;
        } catch (err) {
          tally(books.errors, err);
          await sleep(50);
          continue;
        }
        if (leases.length === 0) {
          await queue.waitForWork('short', { since, timeoutMs: 200 });
          continue;
        }
        for (const lease of leases) {
          books.effects.set(lease.id, (books.effects.get(lease.id) ?? 0) + 1);
          try {
            if (await queue.complete(lease, { owner })) books.completed.set(lease.id, (books.completed.get(lease.id) ?? 0) + 1);
            else books.stale += 1;
          } catch (err) {
            tally(books.errors, err);
          }
        }
        await sleep(2); // some work per batch, so processing spans the reshard
      }
    };
    const consumers = Array.from({ length: CONSUMERS }, (_, i) => consumer(`c${i}`));
    // More tasks arrive while the slots move.
    const producer = (async () => {
      for (let start = TASKS; start < ids.length; start += 50) {
        for (;;) {
          try {
            await queue.enqueueMany(ids.slice(start, start + 50).map((id) => ({ id })));
            break;
          } catch (err) {
            tally(books.errors, err);
            await sleep(50);
          }
        }
        await sleep(20);
      }
    })();

    // Reads too (not scripts: plain commands the client may batch) across every shard.
    const reader = (async () => {
      while (!books.stop && books.completed.size < ids.length) {
        const batch = Array.from({ length: 200 }, () => ids[Math.floor(Math.random() * TASKS)]);
        const read = await Promise.allSettled(batch.map((id) => queue.get(id)));
        for (const r of read) if (r.status === 'rejected') tally(books.errors, r.reason);
        books.reads = (books.reads ?? 0) + batch.length;
        await sleep(20);
      }
    })();

    while (books.completed.size < 300) await sleep(10);
    await redirections(masters, true);
    const reshardStart = Date.now();
    const doneBefore = books.completed.size;
    await cluster.reshard({ from: from.id, to: to.id, slots: count });
    const reshardMs = Date.now() - reshardStart;
    const doneDuring = books.completed.size - doneBefore;
    const redirected = await redirections(masters);
    await producer;
    const until = Date.now() + DRAIN_MS;
    while (books.completed.size < ids.length && Date.now() < until) await sleep(50);
    await reader;

    books.stop = true;
    await Promise.all(consumers);

    console.log(`[reshard] moved ${count} slots (shards ${moved.join(',')}) from :${from.port} to :${to.port} in ${reshardMs} ms; `
      + `${doneDuring} tasks completed meanwhile, ${books.claims} claims and ${books.reads} reads in all, ${books.stale} stale completes`);
    console.log(`[reshard] redirections answered by the masters meanwhile: ${JSON.stringify(redirected)}; errors reaching the caller: ${JSON.stringify(Object.fromEntries(books.errors))}`);

    assert.ok(moved.length >= 2, `${moved.length} shards moved`);
    assert.ok(doneDuring > 0, 'tasks were completed while the slots moved');
    assert.ok(redirected.MOVED + redirected.ASK + redirected.TRYAGAIN > 0, 'the client was redirected while the slots moved');
    assert.equal(Object.fromEntries(books.errors), {}, 'MOVED, ASK and TRYAGAIN never reach the caller');
    assert.is(books.completed.size, ids.length, 'every task was completed');
    for (const [id, n] of books.completed) assert.is(n, 1, `${id} completed once`);
    for (const [id, n] of books.effects) assert.is(n, 1, `${id} handled once`);
    const infos = await Promise.all(ids.map((id) => queue.get(id)));
    assert.equal(ids.filter((_, i) => infos[i]?.state !== 'completed'), [], 'every task is stored completed');
    const stats = await queue.stats();
    assert.equal([stats.waiting.short, stats.active, stats.completed], [0, 0, ids.length]);
    for (const shard of moved) {
      assert.is((await cluster.slotOwner(calculateSlot(queue.shardKeys[shard].prefix))).port, to.port, `shard ${shard} lives on the target master`);
    }
  } finally {
    books.stop = true;
    await queue?.close().catch(() => {});
    await cluster.stop();
  }
});

test('after a reshard, a task enqueued into a moved shard wakes an idle consumer at once', async () => {
  const cluster = await startRedisCluster({ masters: 3 });
  let queue;
  let stop = false;
  try {
    const masters = await cluster.masters();
    const { name, from, count, moved } = pickLayout(masters);
    const to = masters.find((m) => m.id !== from.id);
    queue = new TaskQueue({ name, shards: SHARDS, redis: { cluster: cluster.spec.split(',') } });
    queue.on('queue:warning', () => {});
    await queue.listenForWork();
    const claimed = new Map();
    // Idle: every shard is seen empty, so claims skip them until a wake-up says otherwise.
    const consumer = (async () => {
      while (!stop) {
        const since = queue.wakeGeneration('short');
        for (const lease of await queue.claim('short', { max: 10, leaseMs: 10_000, owner: 'idle' })) {
          claimed.set(lease.id, Date.now());
          await queue.complete(lease);
        }
        await queue.waitForWork('short', { since, timeoutMs: 1000 });
      }
    })();
    const probe = async (prefix) => {
      const id = idIn(queue, moved, prefix);
      const enqueuedAt = Date.now();
      await queue.enqueue({ id });
      while (!claimed.has(id) && Date.now() - enqueuedAt < 12_000) await sleep(10);
      return (claimed.get(id) ?? Number.POSITIVE_INFINITY) - enqueuedAt;
    };
    await sleep(300);
    const before = await probe('before');
    await cluster.reshard({ from: from.id, to: to.id, slots: count });
    await sleep(300);
    const after = await probe('after');
    console.log(`[reshard] a task enqueued into a moved shard was claimed after ${before} ms before the reshard, ${after} ms after it`);
    assert.ok(before < 1000, `claimed ${before} ms after its enqueue before the reshard`);
    assert.ok(after < 1000, `claimed ${after} ms after its enqueue after the reshard: the wake-up from the shard's new master arrived`);
    stop = true;
    await consumer;
  } finally {
    stop = true;
    await queue?.close().catch(() => {});
    await cluster.stop();
  }
});

test("durability 'replicated': a write to a slot that moved follows MOVED instead of rejecting with it", async () => {
  const cluster = await startRedisCluster({ masters: 3, replicas: 1 });
  let queue;
  try {
    const masters = await cluster.masters();
    const { name, from, count, moved } = pickLayout(masters);
    const to = masters.find((m) => m.id !== from.id);
    // No periodic refresh: the client learns of the move from MOVED alone.
    queue = new TaskQueue({ name, shards: SHARDS, durability: 'replicated', redis: { cluster: cluster.spec.split(','), options: { slotsRefreshInterval: 600_000 } } });
    queue.on('queue:warning', () => {});
    await queue.enqueue({ id: idIn(queue, moved, 'before') });
    await cluster.reshard({ from: from.id, to: to.id, slots: count });
    await redirections(masters, true);
    const id = idIn(queue, moved, 'after');
    assert.equal(await queue.enqueue({ id }), { id, duplicate: false });
    const [lease] = await queue.claim('short', { max: 1, leaseMs: 10_000, owner: 'w' });
    assert.ok(lease, 'a task was claimed');
    assert.ok(await queue.complete(lease), 'its completion is acknowledged');
    const redirected = await redirections(masters);
    console.log(`[reshard] replicated writes after the move: ${JSON.stringify(redirected)} redirections, none reached the caller`);
    assert.ok(redirected.MOVED > 0, 'the enqueue was redirected');
    assert.is((await queue.get(id)).state, lease.id === id ? 'completed' : 'waiting');
  } finally {
    await queue?.close().catch(() => {});
    await cluster.stop();
  }
});

test.run();

import * as assert from 'uvu/assert';
import { describeBackends, openQueue, sameShard, sameShardIds, sleep } from '../helpers/backends.mjs';

const opts = (owner, leaseMs = 30_000, max = 10) => ({ max, leaseMs, owner });

await describeBackends('TaskQueue lost leases', (test, backend) => {
  test('releaseOwner puts a dead worker\'s active tasks back at once, and only its own', async () => {
    const { queue, cleanup } = openQueue(backend);
    const [a1, a2, b1] = sameShard(queue, 'a1', 'a2', 'b1');
    await queue.enqueueMany([{ id: a1 }, { id: a2 }, { id: b1 }, { id: 'l1', lane: 'long' }]);
    const mine = await queue.claim('short', opts('dead-worker', 60_000, 2));
    await queue.claim('long', opts('dead-worker', 60_000));
    const [theirs] = await queue.claim('short', opts('live-worker', 60_000));
    assert.equal(mine.map((l) => l.id), [a1, a2]);
    assert.is(await queue.releaseOwner('dead-worker'), 3);
    for (const id of [a1, a2, 'l1']) {
      const info = await queue.get(id);
      assert.equal([info.state, info.attempts, info.stalls, info.owner], ['waiting', 0, 1, undefined], id);
    }
    assert.is((await queue.get(b1)).state, 'active', 'another owner keeps its lease');
    assert.is(await queue.complete(theirs, 'ok'), true);
    assert.is(await queue.complete(mine[0], 'late'), false, 'the dead worker\'s fence is void once re-claimed or requeued');
    const again = await queue.claim('short', opts('new-worker'));
    assert.equal(again.map((l) => [l.id, l.attempt]), [[a1, 1], [a2, 1]], 'back at their FIFO position');
    await cleanup();
  });

  test('requeueExpired moves only expired leases', async () => {
    const { queue, cleanup } = openQueue(backend);
    const [longLease, shortLease] = sameShard(queue, 'long-lease', 'short-lease');
    // The long lease first: a claim after the short one expired would recover it (claims do).
    await queue.enqueueMany([{ id: longLease }, { id: shortLease }]);
    await queue.claim('short', opts('w', 60_000, 1));
    await queue.claim('short', opts('w', 50, 1));
    await sleep(100);
    assert.is(await queue.requeueExpired(), 1);
    assert.is((await queue.get(shortLease)).state, 'waiting');
    assert.is((await queue.get(longLease)).state, 'active');
    assert.is(await queue.requeueExpired(), 0);
    await cleanup();
  });

  test('a sharded queue: requeueExpired(limit) moves up to limit expired leases in every shard', async () => {
    const { queue, cleanup } = openQueue(backend, { shards: 4 });
    // Three short leases in shard 1 and in shard 2.
    const ids = [...sameShardIds(queue, 3, 'x1-', 1), ...sameShardIds(queue, 3, 'x2-', 2)];
    await queue.enqueueMany(ids.map((id) => ({ id })));
    const leases = await queue.claim('short', opts('w', 50));
    assert.is(leases.length, 6);
    await sleep(100);
    assert.is(await queue.requeueExpired(2), 2 * 2);
    const states = async (shard) => Promise.all(ids.filter((id) => queue.keysFor(id).shard === shard).map(async (id) => (await queue.get(id)).state));
    for (const shard of [1, 2]) assert.equal((await states(shard)).sort(), ['active', 'waiting', 'waiting'], `shard ${shard}: two of its three leases (same expiry)`);
    assert.is(await queue.requeueExpired(2), 2);
    assert.is((await queue.stats()).waiting.short, 6);
    await cleanup();
  });

  test('a task whose lease is lost too many times is dead-lettered with a clear error', async () => {
    const { queue, cleanup } = openQueue(backend, { maxStalls: 2 });
    await queue.enqueue({ id: 'crasher', maxAttempts: 100 });
    for (let i = 0; i < 2; i++) {
      await queue.claim('short', opts(`w${i}`));
      assert.is(await queue.releaseOwner(`w${i}`), 1);
      assert.is((await queue.get('crasher')).state, 'waiting');
    }
    await queue.claim('short', opts('w-last', 30));
    await sleep(60);
    assert.is(await queue.requeueExpired(), 1);
    const info = await queue.get('crasher');
    assert.is(info.state, 'dead');
    assert.is(info.error.code, 'TASKLANE_ERR_STALLED');
    assert.match(info.error.message, /lease lost 3 times/);
    assert.equal((await queue.deadLetters()).map((t) => t.id), ['crasher']);
    await cleanup();
  });
});

await describeBackends('TaskQueue lost leases without a reaper', (test, backend) => {
  test('a claim gets back a task whose lease expired, with no requeueExpired ever called', async () => {
    const { queue, cleanup } = openQueue(backend);
    await queue.enqueue({ id: 'stranded' });
    const [first] = await queue.claim('short', opts('crashed', 50, 1));
    await sleep(100);
    const [again] = await queue.claim('short', opts('alive', 30_000, 1));
    assert.equal([again.id, again.fence, again.attempt], ['stranded', first.fence + 1, 1], 'the lost attempt is not counted');
    assert.is((await queue.get('stranded')).stalls, 1, 'the lost lease counts as a stall');
    assert.is(await queue.complete(first, 'late'), false, 'the expired holder is fenced off');
    assert.is(await queue.complete(again, 'ok'), true);
    await cleanup();
  });

  test('a claim recovers at most its max expired leases, of either lane', async () => {
    const { queue, cleanup } = openQueue(backend);
    const [s1, s2, s3, l1] = sameShard(queue, 's1', 's2', 's3', 'l1');
    await queue.enqueueMany([{ id: s1 }, { id: s2 }, { id: s3 }, { id: l1, lane: 'long' }]);
    await queue.claim('long', opts('crashed', 500, 1));
    await queue.claim('short', opts('crashed', 500, 3));
    await sleep(600);
    // Recovery takes the leases that expired first: l1, then s1.
    const first = await queue.claim('long', opts('alive', 30_000, 2));
    assert.equal(first.map((l) => l.id), [l1], 'its own lane\'s recovered task is claimed at once');
    assert.is((await queue.stats()).active, 1 + 2, 'two expired leases recovered, two left for later');
    assert.equal((await queue.claim('short', opts('alive', 30_000, 3))).map((l) => l.id), [s1, s2, s3]);
    await cleanup();
  });

  test('releaseOwner with more leases than one chunk (500) releases them all, and only the owner\'s', async () => {
    const { queue, cleanup } = openQueue(backend);
    // One shard: the chunk of 500 is per shard.
    await queue.enqueueMany(sameShardIds(queue, 1300, 'o').map((id) => ({ id })));
    // Interleaved owners and expiries, so every chunk mixes the dead owner's leases with others'.
    for (let i = 0; i < 13; i++) await queue.claim('short', opts(i % 3 === 2 ? 'other' : 'dead', 60_000 + i, 100));
    assert.is(await queue.releaseOwner('dead'), 900);
    const stats = await queue.stats();
    assert.equal([stats.active, stats.waiting.short], [400, 900]);
    const left = await queue.list({ state: 'active', limit: 1000 });
    assert.ok(left.tasks.every((t) => t.owner === 'other'));
    assert.is(await queue.releaseOwner('dead'), 0);
    await cleanup();
  });
});

await describeBackends('TaskQueue races', (test, backend) => {
  test('two consumers claiming at once get disjoint tasks', async () => {
    const a = openQueue(backend);
    const b = openQueue(backend, { name: a.queue.name });
    const ids = Array.from({ length: 300 }, (_, i) => `t${i}`);
    await a.queue.enqueueMany(ids.map((id) => ({ id })));
    const claimed = [];
    await Promise.all(['A', 'B'].map(async (owner) => {
      const queue = owner === 'A' ? a.queue : b.queue;
      for (;;) {
        const leases = await queue.claim('short', opts(owner, 30_000, 7));
        if (leases.length === 0) return;
        claimed.push(...leases.map((l) => l.id));
      }
    }));
    assert.is(claimed.length, 300);
    assert.is(new Set(claimed).size, 300, 'no task claimed twice');
    await a.cleanup();
    await b.cleanup();
  });

  test('requeueExpired racing heartbeat: exactly one of them wins', async () => {
    const { queue, cleanup } = openQueue(backend);
    const n = 40;
    await queue.enqueueMany(Array.from({ length: n }, (_, i) => ({ id: `h${i}` })));
    const leases = await queue.claim('short', opts('w', 25, n));
    await sleep(30);
    const beats = leases.map((lease) => queue.heartbeat(lease, 60_000));
    const requeued = queue.requeueExpired();
    const won = await Promise.all(beats);
    const moved = await requeued;
    const infos = await Promise.all(leases.map((l) => queue.get(l.id)));
    for (let i = 0; i < n; i++) {
      assert.is(infos[i].state, won[i] ? 'active' : 'waiting', `task ${i}: heartbeat ${won[i]}`);
    }
    assert.is(moved, won.filter((w) => !w).length);
    await cleanup();
  });

  test('releaseOwner while tasks are active and completing', async () => {
    const { queue, cleanup } = openQueue(backend);
    await queue.enqueueMany(Array.from({ length: 20 }, (_, i) => ({ id: `r${i}` })));
    const leases = await queue.claim('short', opts('w', 60_000, 20));
    const completions = queue.completeMany(leases.slice(0, 10).map((lease) => ({ lease, result: 'done' })));
    const released = queue.releaseOwner('w');
    const flags = await completions;
    const moved = await released;
    const states = await Promise.all(leases.map((l) => queue.get(l.id).then((t) => t.state)));
    const completed = states.filter((s) => s === 'completed').length;
    assert.is(completed, flags.filter(Boolean).length);
    assert.is(completed + moved, 20, 'every task is either completed or back to waiting');
    assert.ok(states.every((s) => s === 'completed' || s === 'waiting'));
    await cleanup();
  });
});

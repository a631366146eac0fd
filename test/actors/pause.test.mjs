// An actor on a real TaskQueue (both backends) while its lane is paused: it must neither
// claim nor spin, and it must claim at once on resume, well before its idle timeout.
import * as assert from 'uvu/assert';
import { createActor } from '../../dist/index.js';
import { describeBackends, openQueue, sleep } from '../helpers/backends.mjs';

async function until(check, what, timeoutMs = 5000) {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

await describeBackends('Actor on a paused lane', (test, backend) => {
  test('a paused lane is not claimed, enqueues do not make it spin, and resume claims at once', async () => {
    const { queue, cleanup } = openQueue(backend);
    await queue.listenForWork();
    let claims = 0;
    const claimBatch = queue.claimBatch.bind(queue);
    queue.claimBatch = (...args) => { claims += 1; return claimBatch(...args); };
    const done = [];
    // idleWaitMs far beyond the test: a claim that waited for the idle timeout would never show up.
    const actor = createActor({ lane: 'short', store: queue, owner: 'w1', concurrency: 4, idleWaitMs: 60_000, handlers: { http: async (t) => { done.push(t.id); } } });
    await queue.pause('short');
    actor.start();
    await until(() => claims >= 1, 'the first claim');
    await sleep(50);
    const before = claims;
    for (let i = 0; i < 20; i += 1) {
      await queue.enqueue({ id: `p${i}` });
      await sleep(5);
    }
    await sleep(100);
    assert.is(claims, before, `no claims while paused, got ${claims - before}`);
    assert.is(done.length, 0);
    assert.is((await queue.stats()).waiting.short, 20);
    const resumedAt = Date.now();
    await queue.resume('short');
    await until(() => done.length === 20, 'every task done after the resume');
    const tookMs = Date.now() - resumedAt;
    assert.ok(tookMs < 3000, `all 20 done ${tookMs} ms after the resume (idle timeout is 60 s)`);
    await actor.stop();
    await cleanup();
  });
});

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Redis } from 'ioredis';
import { createActor, FINAL_REPORT_GRACE_MS, TaskQueue } from '../../dist/index.js';
import { uniqueName } from '../helpers/backends.mjs';
import { MemoryStore, sleep, until } from '../helpers/memory-store.mjs';
import { startRedisServer } from '../helpers/redis-server.mjs';

const test = suite('Actor stop deadline');

/** Fails the test instead of hanging it when stop() has no deadline. */
function bounded(promise, ms = 6000) {
  let timer;
  const fail = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`stop did not resolve within ${ms} ms`)), ms)));
  return Promise.race([promise, fail]).finally(() => clearTimeout(timer));
}

test('a final report the store never answers is given up after the grace, and named', async () => {
  const store = new MemoryStore();
  const actor = createActor({ lane: 'short', store, owner: 'w1', idleWaitMs: 20, handlers: { ok: async () => { await sleep(50); return 'done'; } } });
  store.hook('completeMany', () => new Promise(() => {})); // a store that stops answering
  const [id] = store.add({});
  actor.start();
  await until(() => store.count('completeMany') === 1 || actor.inFlight === 1);
  const started = Date.now();
  const summary = await bounded(actor.stop({ drainTimeoutMs: 200 }));
  const tookMs = Date.now() - started;
  assert.equal(summary, { unreported: [id] });
  assert.ok(tookMs >= 200 && tookMs < 200 + FINAL_REPORT_GRACE_MS + 500, `stop took ${tookMs} ms`);
  assert.is(actor.state, 'stopped');
});

test('stop ends within drain timeout + grace while Redis is paused (SIGSTOP), and the task comes back', async () => {
  const redis = await startRedisServer();
  const client = new Redis(redis.url, { maxRetriesPerRequest: null });
  const name = uniqueName('paused');
  const queue = new TaskQueue({ redis: client, name });
  queue.on('queue:warning', () => {});
  let paused = false;
  try {
    let finish;
    const actor = createActor({
      lane: 'short', store: queue, owner: 'w-paused', idleWaitMs: 50, leaseMs: 1500, defaultTimeoutMs: 1000,
      handlers: { work: () => new Promise((resolve) => (finish = resolve)) },
    });
    const { id } = await queue.enqueue({ type: 'work', lane: 'short', payload: null });
    actor.start();
    await until(() => finish !== undefined, { what: 'the handler to start' });
    // Redis stops answering but keeps the connection open: no error ever reaches ioredis.
    redis.process.kill('SIGSTOP');
    paused = true;
    finish('done');
    const drainTimeoutMs = 300;
    const started = Date.now();
    const summary = await bounded(actor.stop({ drainTimeoutMs }));
    const tookMs = Date.now() - started;
    assert.equal(summary.unreported, [id]);
    assert.ok(tookMs < drainTimeoutMs + FINAL_REPORT_GRACE_MS + 500, `stop took ${tookMs} ms`);
    redis.process.kill('SIGCONT');
    paused = false;
    // Nothing is lost: the unreported completion was either applied once Redis woke, or
    // the lease lapses and the task is requeued.
    const deadline = Date.now() + 5000;
    let task;
    while (Date.now() < deadline) {
      await queue.requeueExpired().catch(() => {});
      task = await queue.get(id);
      if (task && (task.state === 'completed' || task.state === 'waiting')) break;
      await sleep(100);
    }
    assert.ok(task && (task.state === 'completed' || task.state === 'waiting'), `task state: ${task?.state}`);
  } finally {
    if (paused) redis.process.kill('SIGCONT');
    await queue.close().catch(() => {});
    client.disconnect();
    await redis.stop();
  }
});

test.run();

// The runtime's stop() has a deadline even when Redis stops answering without closing the
// connection (a paused redis-server): the final reports are given up, nothing waits forever.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createRuntime, FINAL_REPORT_GRACE_MS, TaskQueue } from '../../dist/index.js';
import { uniqueName } from '../helpers/backends.mjs';
import { startRedisServer } from '../helpers/redis-server.mjs';
import { eventually } from '../helpers/supervisor.mjs';

const test = suite('runtime stop deadline');

/** What closing the queues may add on top: each waits up to 2 s for QUIT before dropping the connection. */
const CLOSE_MS = 2 * 2000;

test('in-process stop ends within drain timeout + grace + close while Redis is paused (SIGSTOP)', async () => {
  const redis = await startRedisServer();
  const name = uniqueName('paused-rt');
  const producer = new TaskQueue({ redis: redis.url, name });
  producer.on('queue:warning', () => {});
  let paused = false;
  let finish;
  const runtime = createRuntime({
    processes: 0, short: 1, long: 0, redis: redis.url, queue: name, logLevel: 'silent', drainTimeoutMs: 300,
    handlers: { work: () => new Promise((resolve) => (finish = resolve)) },
  });
  try {
    await runtime.start();
    await producer.enqueue({ id: 'paused-1', type: 'work' });
    await eventually(() => finish !== undefined, { what: 'the handler to start' });
    redis.process.kill('SIGSTOP');
    paused = true;
    finish('done'); // its completion now waits on a Redis that never answers
    const started = Date.now();
    let timer;
    const hung = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('runtime.stop() did not resolve within 15 s')), 15_000)));
    await Promise.race([runtime.stop(), hung]).finally(() => clearTimeout(timer));
    const tookMs = Date.now() - started;
    assert.is(runtime.state, 'stopped');
    assert.ok(tookMs < 300 + FINAL_REPORT_GRACE_MS + CLOSE_MS + 1000, `stop took ${tookMs} ms`);
  } finally {
    if (paused) redis.process.kill('SIGCONT');
    await producer.close().catch(() => {});
    await redis.stop();
  }
});

test.run();

// The runtime with `processes: 0` against a real redis-server and the local flaky API:
// deadlines, heartbeats, lost leases, Retry-After, 4xx/5xx, and dedup.
import { setTimeout as sleep } from 'node:timers/promises';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startFlakyApi } from '../../scripts/lib/flaky-api.mjs';
import { createRuntime, TaskQueue } from '../../dist/index.js';
import { realRedisUrl, uniqueName } from '../helpers/backends.mjs';
import { eventually } from '../helpers/supervisor.mjs';

const test = suite('runtime in-process (processes: 0)');

/** A runtime, a producer queue on the same queue name, a flaky API, and the events seen. */
async function setup({ handlers, ...options } = {}) {
  const api = await startFlakyApi();
  const name = uniqueName('rt');
  const runtime = createRuntime({
    processes: 0, redis: realRedisUrl(), queue: name, short: 1, long: 1, apiUrl: `${api.url}/tasks`,
    logLevel: process.env.TASKLANE_TEST_LOG ?? 'silent', drainTimeoutMs: 2000, handlers, ...options,
  });
  const producer = new TaskQueue({ redis: realRedisUrl(), name });
  producer.on('queue:warning', () => {});
  const seen = [];
  const listeners = new Set();
  for (const event of ['task:completed', 'task:retrying', 'task:dead', 'lease:lost', 'task:parked']) {
    runtime.on(event, (e) => {
      seen.push({ event, at: Date.now(), ...e });
      for (const listener of [...listeners]) listener();
    });
  }
  /** Resolves with the first event of `event` for task `id`, past or future. */
  const next = (event, id, timeoutMs = 20_000) => new Promise((resolve, reject) => {
    const check = () => {
      const hit = seen.find((e) => e.event === event && e.task.id === id);
      if (!hit) return false;
      listeners.delete(check);
      clearTimeout(timer);
      resolve(hit);
      return true;
    };
    const timer = setTimeout(() => {
      listeners.delete(check);
      reject(new Error(`no ${event} for ${id} within ${timeoutMs} ms; seen: ${JSON.stringify(seen.map((e) => [e.event, e.task.id]))}`));
    }, timeoutMs);
    if (!check()) listeners.add(check);
  });
  await runtime.start();
  const cleanup = async () => {
    await runtime.stop();
    await producer.close();
    await api.close();
  };
  return { api, runtime, producer, seen, next, cleanup };
}

test('a short task without timeoutMs gets the runtime\'s taskTimeoutMs deadline', async () => {
  const ctx = await setup({ taskTimeoutMs: 300 });
  try {
    ctx.api.script('default-deadline', ['hang', 200]);
    await ctx.producer.enqueue({ id: 'default-deadline', type: 'http', lane: 'short', maxAttempts: 3 });
    const retry = await ctx.next('task:retrying', 'default-deadline');
    assert.match(retry.error.message, /timed out after 300 ms/);
    await ctx.next('task:completed', 'default-deadline');
    assert.is(ctx.api.sideEffectsFor('default-deadline'), 1);
  } finally {
    await ctx.cleanup();
  }
});

test('a short task past its deadline aborts its HTTP request and is retried', async () => {
  const ctx = await setup();
  try {
    ctx.api.script('deadline-1', ['hang', 200]);
    await ctx.producer.enqueue({ id: 'deadline-1', type: 'http', lane: 'short', timeoutMs: 500, maxAttempts: 3 });
    const retry = await ctx.next('task:retrying', 'deadline-1');
    assert.is(retry.error.code, 'TASKLANE_ERR_TIMEOUT');
    // The API handles one call per key at a time, so the retry can only be answered
    // once the hanging call's connection has been closed: the deadline aborted it.
    await ctx.next('task:completed', 'deadline-1');
    assert.is(ctx.api.requests('deadline-1').length, 2);
    assert.is(ctx.api.sideEffectsFor('deadline-1'), 1);
    const info = await ctx.producer.get('deadline-1');
    assert.is(info.state, 'completed');
    assert.is(info.attempts, 2);
  } finally {
    await ctx.cleanup();
  }
});

test('a long task keeps its lease over several lease periods through heartbeats', async () => {
  // It sleeps 3.6 s and must be seen running at least 3.5 s: a timer may fire a fraction of a
  // millisecond before the clock the duration is measured on says it is due.
  const handlers = { crunch: async (task, { signal }) => { await sleep(3600, undefined, { signal }); return 'done'; } };
  // A 1 s lease and a sweep every second: without heartbeats the lease would lapse three times.
  const ctx = await setup({ handlers, leaseMs: 1000 });
  try {
    await ctx.producer.enqueue({ id: 'long-1', type: 'crunch', lane: 'long' });
    const done = await ctx.next('task:completed', 'long-1');
    assert.ok(done.durationMs >= 3500, `ran ${done.durationMs} ms`);
    assert.is(ctx.seen.filter((e) => e.event === 'lease:lost').length, 0);
    const info = await ctx.producer.get('long-1');
    assert.is(info.state, 'completed');
    assert.is(info.attempts, 1);
    assert.is(info.stalls, 0);
    assert.is(info.result, 'done');
  } finally {
    await ctx.cleanup();
  }
});

test('a lost lease aborts the handler with LeaseLostError', async () => {
  const aborted = [];
  let calls = 0;
  const handlers = {
    async block(task, ctx) {
      // Only the first run blocks: the task is claimed again as soon as it is released,
      // possibly before the first run has noticed that its lease is gone.
      calls += 1;
      if (calls > 1) return 'second run';
      try {
        await sleep(30_000, undefined, { signal: ctx.signal });
      } catch (err) {
        aborted.push({ fence: ctx.fence, reason: ctx.signal.reason });
        throw err;
      }
      return 'never';
    },
  };
  const ctx = await setup({ handlers, leaseMs: 2000 });
  try {
    await ctx.producer.enqueue({ id: 'lost-1', type: 'block', lane: 'long' });
    const info = await eventually(async () => {
      const task = await ctx.producer.get('lost-1');
      return task.state === 'active' && task;
    }, { what: 'lost-1 running' });
    // Take the lease away, as a supervisor does when it believes the holder is dead.
    const owner = ctx.runtime.stats().workers[0].owner;
    assert.is(info.owner, owner);
    assert.is(await ctx.producer.releaseOwner(owner), 1);
    const lost = await ctx.next('lease:lost', 'lost-1');
    assert.is(lost.task.fence, info.fence);
    assert.is(aborted.length, 1);
    assert.is(aborted[0].reason?.code, 'TASKLANE_ERR_LEASE_LOST');
    await ctx.next('task:completed', 'lost-1');
  } finally {
    await ctx.cleanup();
  }
});

test('a 429 parks the task for its Retry-After, its attempt uncounted, and pauses the queue\'s calls (the API guard, on by default)', async () => {
  const ctx = await setup();
  try {
    ctx.api.script('throttled-0', [{ status: 429, retryAfter: 2 }, 200]);
    await ctx.producer.enqueue({ id: 'throttled-0', type: 'http', lane: 'short', maxAttempts: 1 });
    const parked = await ctx.next('task:parked', 'throttled-0');
    assert.is(parked.retryInMs, 2000);
    assert.is(parked.error.code, 'TASKLANE_ERR_GUARD_WAIT');
    const done = await ctx.next('task:completed', 'throttled-0');
    assert.ok(done.at - parked.at >= 1800, `called again after ${done.at - parked.at} ms, before the 2 s Retry-After`);
    assert.is(ctx.api.requests('throttled-0').length, 2);
    assert.is((await ctx.producer.get('throttled-0')).attempts, 1, 'the 429 burnt no attempt');
  } finally {
    await ctx.cleanup();
  }
});

test('without the API guard, a Retry-After longer than the in-process limit becomes the durable retry delay', async () => {
  const ctx = await setup({ apiBreaker: 'off' });
  try {
    ctx.api.script('throttled-1', [{ status: 429, retryAfter: 2 }, 200]);
    await ctx.producer.enqueue({ id: 'throttled-1', type: 'http', lane: 'short' });
    const retry = await ctx.next('task:retrying', 'throttled-1');
    assert.is(retry.retryInMs, 2000);
    assert.is(retry.error.name, 'HttpStatusError');
    const done = await ctx.next('task:completed', 'throttled-1');
    assert.ok(done.at - retry.at >= 1800, `retried after ${done.at - retry.at} ms, before the 2 s Retry-After`);
    assert.is(ctx.api.requests('throttled-1').length, 2);
  } finally {
    await ctx.cleanup();
  }
});

test('a 4xx dead-letters at once, without retries', async () => {
  const ctx = await setup();
  try {
    ctx.api.script('bad-1', ['422']);
    await ctx.producer.enqueue({ id: 'bad-1', type: 'http', lane: 'short', maxAttempts: 5 });
    const dead = await ctx.next('task:dead', 'bad-1');
    assert.is(dead.error.code, 'TASKLANE_ERR_HTTP_STATUS');
    assert.is(ctx.seen.filter((e) => e.event === 'task:retrying').length, 0);
    assert.is(ctx.api.requests('bad-1').length, 1);
    const info = await ctx.producer.get('bad-1');
    assert.is(info.state, 'dead');
    assert.is(info.attempts, 1);
    assert.is(info.error.status ?? 422, 422);
  } finally {
    await ctx.cleanup();
  }
});

test('a 5xx is retried, then dead-lettered after maxAttempts', async () => {
  const ctx = await setup();
  try {
    ctx.api.script('flaky-1', Array.from({ length: 20 }, () => '503'));
    await ctx.producer.enqueue({ id: 'flaky-1', type: 'http', lane: 'short', maxAttempts: 2 });
    const retry = await ctx.next('task:retrying', 'flaky-1');
    assert.is(retry.task.attempt, 1);
    const dead = await ctx.next('task:dead', 'flaky-1');
    assert.is(dead.task.attempt, 2);
    const info = await ctx.producer.get('flaky-1');
    assert.is(info.state, 'dead');
    assert.is(info.attempts, 2);
    // Each durable attempt also made its quick in-process retries (2 by default).
    assert.is(ctx.api.requests('flaky-1').length, 6);
    assert.is(ctx.api.sideEffectsFor('flaky-1'), 0);
  } finally {
    await ctx.cleanup();
  }
});

test('a duplicate id produces one side effect', async () => {
  const ctx = await setup();
  try {
    const first = await ctx.producer.enqueue({ id: 'dup-1', type: 'http', payload: { n: 1 } });
    const again = await ctx.producer.enqueue({ id: 'dup-1', type: 'http', payload: { n: 2 } });
    assert.is(first.duplicate, false);
    assert.is(again.duplicate, true);
    await ctx.next('task:completed', 'dup-1');
    const late = await ctx.producer.enqueue({ id: 'dup-1', type: 'http', payload: { n: 3 } });
    assert.is(late.duplicate, true);
    await sleep(500);
    assert.is(ctx.seen.filter((e) => e.event === 'task:completed' && e.task.id === 'dup-1').length, 1);
    assert.is(ctx.api.sideEffectsFor('dup-1'), 1);
    assert.is(ctx.api.requests('dup-1').length, 1);
  } finally {
    await ctx.cleanup();
  }
});

test('stop() drains: unfinished tasks go back to waiting without counting an attempt', async () => {
  const running = new Set();
  const handlers = { nap: async (task, { signal }) => { running.add(task.id); await sleep(task.payload.ms, undefined, { signal }); return 'ok'; } };
  const ctx = await setup({ handlers, drainTimeoutMs: 3000 });
  await ctx.producer.enqueue({ id: 'quick', type: 'nap', payload: { ms: 1500 } });
  await ctx.producer.enqueue({ id: 'slow', type: 'nap', lane: 'long', payload: { ms: 60_000 } });
  // Both handlers running, not merely both leased: a lease whose claim reply is still on its
  // way when stop() comes is released unstarted, as it should be.
  await eventually(() => running.has('quick') && running.has('slow'), { everyMs: 20, what: 'both tasks running' });
  await ctx.runtime.stop();
  assert.is(ctx.runtime.state, 'stopped');
  const quick = await ctx.producer.get('quick');
  const slow = await ctx.producer.get('slow');
  assert.is(quick.state, 'completed');
  assert.is(slow.state, 'waiting');
  assert.is(slow.attempts, 0);
  await ctx.producer.close();
  await ctx.api.close();
});

test.run();

// The API guard in the runtime (processes: 0): a 429 gives the task back uncounted and
// pauses calls, past --api-max-throttles it is dead-lettered with TASKLANE_ERR_THROTTLED;
// a handlers module's `guards` export limits its own types; the guard's metrics.
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startFlakyApi } from '../../scripts/lib/flaky-api.mjs';
import { createRuntime, OperatorMetrics, TaskQueue } from '../../dist/index.js';
import { realRedisUrl, uniqueName } from '../helpers/backends.mjs';
import { parseExposition, sampleValue } from '../helpers/prometheus.mjs';
import { eventually } from '../helpers/supervisor.mjs';

const GUARDED = fileURLToPath(new URL('../fixtures/handlers-guarded.mjs', import.meta.url));
const test = suite('API guard in the runtime');

async function setup(options) {
  const name = uniqueName('guard-rt');
  const runtime = createRuntime({ processes: 0, redis: realRedisUrl(), queue: name, short: 1, long: 0, logLevel: 'silent', drainTimeoutMs: 2000, ...options });
  const producer = new TaskQueue({ redis: realRedisUrl(), name });
  producer.on('queue:warning', () => {});
  const events = [];
  for (const event of ['task:completed', 'task:retrying', 'task:dead', 'task:parked']) runtime.on(event, (e) => events.push({ event, id: e.task.id, code: e.error?.code }));
  await runtime.start();
  return { runtime, producer, events, cleanup: async () => { await runtime.stop(); await producer.close(); } };
}

test('a 429 is no attempt: the task waits out the pause in Redis and completes; past the cap it is dead-lettered TASKLANE_ERR_THROTTLED', async () => {
  const api = await startFlakyApi();
  const { runtime, producer, events, cleanup } = await setup({ apiUrl: `${api.url}/tasks`, apiMaxThrottles: 2 });
  const metrics = new OperatorMetrics({ queue: producer, runtime, processMetrics: false });
  try {
    api.script('once', [{ status: 429, retryAfter: 1 }]);
    api.script('thrice', [{ status: 429, retryAfter: 1 }, { status: 429, retryAfter: 1 }, { status: 429, retryAfter: 1 }]);
    await producer.enqueue({ id: 'once', maxAttempts: 1 });
    await eventually(async () => (await producer.get('once')).state === 'completed', { timeoutMs: 15_000, what: 'the throttled task to complete' });
    assert.is((await producer.get('once')).attempts, 1, 'the 429 burnt no attempt (maxAttempts is 1)');
    assert.ok(events.some((e) => e.event === 'task:parked' && e.id === 'once' && e.code === 'TASKLANE_ERR_GUARD_WAIT'));
    await producer.enqueue({ id: 'thrice', maxAttempts: 5 });
    await eventually(async () => (await producer.get('thrice')).state === 'dead', { timeoutMs: 20_000, what: 'the task past the throttle cap to be dead-lettered' });
    const dead = await producer.get('thrice');
    assert.is(dead.error.code, 'TASKLANE_ERR_THROTTLED');
    assert.match(dead.error.message, /--api-max-throttles/);
    assert.is(api.requests('thrice').length, 3, 'every 429 was one call; the third one passed the cap of 2');
    const parsed = parseExposition(await metrics.registry.metrics());
    assert.is(sampleValue(parsed, 'tasklane_api_throttled_total'), 4);
    assert.is(sampleValue(parsed, 'tasklane_api_breaker_state', { scope: 'http' }), 0);
    assert.ok(sampleValue(parsed, 'tasklane_api_limiter_wait_seconds_count') >= 5, 'every call waited for a permit, however briefly');
    assert.is(sampleValue(parsed, 'tasklane_unknown_type_total', { type: 'http' }), undefined, 'a guard wait is not an unknown type');
  } finally {
    metrics.close();
    await cleanup();
    await api.close();
  }
});

test('a handlers module\'s guards limit its own types: 3/s for `limited`, none for `free`; its 429 parks the task uncounted', async () => {
  globalThis.__guardedCalls = [];
  const { producer, events, cleanup } = await setup({ handlers: GUARDED });
  try {
    await producer.enqueueMany([
      ...Array.from({ length: 7 }, (_, i) => ({ id: `l${i}`, type: 'limited' })),
      { id: 'thr', type: 'limited', payload: { throttle: true }, maxAttempts: 1 },
      ...Array.from({ length: 5 }, (_, i) => ({ id: `f${i}`, type: 'free' })),
    ]);
    await eventually(async () => (await producer.stats()).completed === 13, { timeoutMs: 20_000, what: 'every task to complete' });
    const times = globalThis.__guardedCalls.map((c) => c.at).sort((a, b) => a - b);
    assert.is(times.length, 9, '8 tasks, one of them called twice');
    for (let i = 0; i + 3 < times.length; i += 1) assert.ok(times[i + 3] - times[i] >= 950, `calls ${i} and ${i + 3} are ${times[i + 3] - times[i]} ms apart`);
    assert.is((await producer.get('thr')).attempts, 1, 'the 429 burnt no attempt');
    assert.ok(events.some((e) => e.event === 'task:parked' && e.id === 'thr'));
    assert.ok(!events.some((e) => e.event === 'task:dead'));
  } finally {
    await cleanup();
  }
});

test.run();

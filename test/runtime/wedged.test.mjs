// Handlers that ignore their deadline: the stuck-handler gauge, and what the runtime does
// once they hold every slot of an actor (a worker process is replaced; in-process, an event).
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createRuntime, OperatorMetrics, TaskQueue } from '../../dist/index.js';
import { realRedisUrl, uniqueName } from '../helpers/backends.mjs';
import { parseExposition, sampleValue } from '../helpers/prometheus.mjs';
import { eventually, isAlive } from '../helpers/supervisor.mjs';

const HANDLERS = fileURLToPath(new URL('../fixtures/handlers-stuck.mjs', import.meta.url));
const test = suite('wedged workers');

/** Resolves with the first `event` whose payload passes `filter`. */
function once(emitter, event, filter = () => true, timeoutMs = 20_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${timeoutMs} ms`)), timeoutMs);
    const listener = (e) => {
      if (!filter(e)) return;
      clearTimeout(timer);
      emitter.off(event, listener);
      resolve(e);
    };
    emitter.on(event, listener);
  });
}

test('a worker whose stuck handlers fill an actor is replaced: new process first, old one drained and released', async () => {
  const name = uniqueName('wedged');
  const producer = new TaskQueue({ redis: realRedisUrl(), name });
  producer.on('queue:warning', () => {});
  const runtime = createRuntime({
    processes: 1, short: 1, long: 0, concurrency: 2, taskTimeoutMs: 200, drainTimeoutMs: 500,
    handlers: HANDLERS, redis: realRedisUrl(), queue: name, logLevel: 'silent',
  });
  const ready = [];
  const exits = [];
  runtime.on('worker:ready', (info) => ready.push(info));
  runtime.on('worker:exit', (info) => exits.push(info));
  try {
    await runtime.start();
    const first = ready[0];
    const wedged = once(runtime, 'worker:wedged');
    const dead = [];
    runtime.on('task:dead', (e) => dead.push(e.task.id));
    // One attempt each, so the replacement is not wedged by their retries.
    await producer.enqueue({ id: 'stuck-1', type: 'stuck', maxAttempts: 1 });
    await producer.enqueue({ id: 'stuck-2', type: 'stuck', maxAttempts: 1 });
    const event = await wedged;
    assert.equal({ ...event }, { ...first, lane: 'short', stuck: 2, concurrency: 2, replaced: true });
    // The outcomes were not held up by the stuck handlers: both timed out at their deadline.
    await eventually(() => dead.length === 2, { what: 'both tasks dead-lettered' });
    assert.is((await producer.get('stuck-1')).state, 'dead');
    const exit = await eventually(() => exits.find((e) => e.owner === first.owner), { what: 'the wedged process to exit' });
    assert.is(exit.code, 0, 'the wedged process drained and exited by itself');
    assert.is(exit.restartInMs, null);
    assert.type(exit.released, 'number', 'its owner was released like any dead worker\'s');
    assert.not.ok(isAlive(first.pid), 'the wedged process is gone');
    await eventually(() => ready.length === 2, { what: 'the replacement to be ready' });
    assert.is.not(ready[1].pid, first.pid);
    assert.is.not(ready[1].owner, first.owner);
    const done = once(runtime, 'task:completed', (e) => e.task.id === 'after');
    await producer.enqueue({ id: 'after', type: 'echo' });
    assert.is((await done).owner, ready[1].owner, 'the replacement runs tasks');
    assert.is(runtime.stats().workers[0].restarts, 1);
  } finally {
    await runtime.stop();
    await producer.close();
  }
});

test('in-process (processes: 0) a wedged actor is reported, counted, and runs again once its handlers settle', async () => {
  const name = uniqueName('wedged-inline');
  const producer = new TaskQueue({ redis: realRedisUrl(), name });
  producer.on('queue:warning', () => {});
  const gates = [];
  const handlers = {
    stuck: () => new Promise((resolve) => gates.push(resolve)),
    echo: async () => 'ok',
  };
  const runtime = createRuntime({ processes: 0, short: 1, long: 0, concurrency: 2, taskTimeoutMs: 200, drainTimeoutMs: 500, handlers, redis: realRedisUrl(), queue: name, logLevel: 'silent' });
  const metrics = new OperatorMetrics({ queue: producer, runtime, processMetrics: false });
  try {
    await runtime.start();
    const wedged = once(runtime, 'worker:wedged');
    await producer.enqueue({ id: 'in-stuck-1', type: 'stuck', maxAttempts: 1 });
    await producer.enqueue({ id: 'in-stuck-2', type: 'stuck', maxAttempts: 1 });
    const event = await wedged;
    assert.is(event.worker, 'inline');
    assert.is(event.replaced, false);
    assert.is(event.stuck, 2);
    assert.equal(runtime.stats().stuck, { short: 2, long: 0 });
    const parsed = parseExposition(await metrics.registry.metrics());
    assert.is(sampleValue(parsed, 'tasklane_stuck_handlers', { lane: 'short' }), 2);
    assert.is(sampleValue(parsed, 'tasklane_stuck_handlers', { lane: 'long' }), 0);

    await producer.enqueue({ id: 'in-after', type: 'echo' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.is((await producer.get('in-after')).state, 'waiting', 'nothing runs while every slot is held');
    for (const resolve of gates.splice(0)) resolve('late');
    await eventually(async () => (await producer.get('in-after')).state === 'completed', { what: 'the task to run once the slots are free' });
    assert.equal(runtime.stats().stuck, { short: 0, long: 0 });
  } finally {
    metrics.close();
    await runtime.stop();
    await producer.close();
  }
});

test.run();

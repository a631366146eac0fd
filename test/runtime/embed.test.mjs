// createRuntime with worker processes, embedded in this (test) process: events and stats.
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createRuntime, TaskQueue } from '../../dist/index.js';
import { realRedisUrl, uniqueName } from '../helpers/backends.mjs';
import { eventually } from '../helpers/supervisor.mjs';

const HANDLERS = fileURLToPath(new URL('../fixtures/handlers-basic.mjs', import.meta.url));
const test = suite('createRuntime with processes');

test('forks workers, forwards their task events with errors rebuilt, and stops cleanly', async () => {
  const name = uniqueName('embed');
  const producer = new TaskQueue({ redis: realRedisUrl(), name });
  producer.on('queue:warning', () => {});
  const runtime = createRuntime({ processes: 1, short: 1, long: 0, handlers: HANDLERS, redis: realRedisUrl(), queue: name, logLevel: 'silent', drainTimeoutMs: 2000, unknownTypeGraceMs: 0 });
  const ready = [];
  const exits = [];
  runtime.on('worker:ready', (info) => ready.push(info));
  runtime.on('worker:exit', (info) => exits.push(info));
  try {
    await runtime.start();
    assert.is(runtime.state, 'running');
    assert.is(ready.length, 1);
    assert.equal(ready[0].lanes, { short: 1, long: 0 });

    const completed = new Promise((resolve) => runtime.on('task:completed', (e) => e.task.id === 'embedded-1' && resolve(e)));
    const dead = new Promise((resolve) => runtime.on('task:dead', (e) => e.task.id === 'no-handler' && resolve(e)));
    await producer.enqueue({ id: 'embedded-1', type: 'echo', payload: { hello: 'world' } });
    await producer.enqueue({ id: 'no-handler', type: 'nope' });
    const done = await completed;
    assert.is(done.owner, ready[0].owner);
    assert.type(done.durationMs, 'number');
    assert.is((await producer.get('embedded-1')).result.pid, ready[0].pid);
    const failure = await dead;
    assert.instance(failure.error, Error);
    assert.is(failure.error.name, 'UnknownTaskTypeError');
    assert.match(failure.error.message, /no handler for task type `nope`/);
    assert.match(failure.error.code, /^TASKLANE_ERR_/);

    await eventually(() => runtime.stats().totals.completed >= 1 && runtime.stats().totals.dead >= 1, { what: 'stats reported' });
    assert.is(runtime.stats().workers[0].ready, true);
  } finally {
    await runtime.stop();
    await producer.close();
  }
  assert.is(runtime.state, 'stopped');
  assert.is(exits.length, 1);
  assert.is(exits[0].code, 0);
  assert.is(exits[0].restartInMs, null);
});

test.run();

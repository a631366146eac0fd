// The runtime (processes: 0) with one lane paused: the paused lane processes nothing while
// the other runs, a task already running on the paused lane finishes, and resume restarts it.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createRuntime, TaskQueue } from '../../dist/index.js';
import { realRedisUrl, sleep, uniqueName } from '../helpers/backends.mjs';
import { eventually } from '../helpers/supervisor.mjs';

const test = suite('runtime with a paused lane');

test('a paused lane runs nothing new, its in-flight task finishes, the other lane runs, resume restarts it', async () => {
  const name = uniqueName('pause');
  let release;
  const gate = new Promise((resolve) => { release = resolve; });
  const started = [];
  const handlers = {
    gated: async (task) => { started.push(task.id); await gate; return 'gated'; },
    quick: async (task) => { started.push(task.id); return 'quick'; },
  };
  const runtime = createRuntime({ processes: 0, redis: realRedisUrl(), queue: name, short: 2, long: 2, logLevel: 'silent', drainTimeoutMs: 2000, handlers });
  const producer = new TaskQueue({ redis: realRedisUrl(), name });
  producer.on('queue:warning', () => {});
  const completed = new Map();
  runtime.on('task:completed', (e) => completed.set(e.task.id, Date.now()));
  await runtime.start();
  try {
    await producer.enqueue({ id: 'inflight', type: 'gated', lane: 'long' });
    await eventually(() => started.includes('inflight'), { what: 'the gated long task to start' });
    assert.equal(await producer.pause('long'), ['long']);
    await producer.enqueueMany([{ id: 'l1', type: 'quick', lane: 'long' }, { id: 'l2', type: 'quick', lane: 'long' }, { id: 's1', type: 'quick', lane: 'short' }]);
    await eventually(() => completed.has('s1'), { what: 'the short task to complete while long is paused' });
    release();
    await eventually(() => completed.has('inflight'), { what: 'the in-flight long task to finish while paused' });
    await sleep(300);
    assert.not.ok(started.includes('l1') || started.includes('l2'), `paused lane started ${started}`);
    assert.is((await producer.get('l1')).state, 'waiting');
    const stats = await producer.stats();
    assert.equal([stats.waiting.long, stats.paused.long, stats.paused.short], [2, true, false]);
    const resumedAt = Date.now();
    assert.equal(await producer.resume('long'), ['long']);
    await eventually(() => completed.has('l1') && completed.has('l2'), { what: 'the long tasks to complete after the resume', everyMs: 10 });
    const tookMs = Math.max(completed.get('l1'), completed.get('l2')) - resumedAt;
    assert.ok(tookMs < 900, `done ${tookMs} ms after the resume; the idle wait alone is 1000 ms`);
  } finally {
    release();
    await runtime.stop();
    await producer.close();
  }
});

test.run();

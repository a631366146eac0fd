// A real supervisor at --log-level debug: every task outcome shows in its stdout as one line.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { TaskQueue } from '../../dist/index.js';
import { realRedisUrl, uniqueName } from '../helpers/backends.mjs';
import { repeatedKeys } from '../helpers/json-keys.mjs';
import { eventually, killAll, startSupervisor } from '../helpers/supervisor.mjs';

const test = suite('supervisor outcome log lines');
test.after.each(killAll);

test('completion, retry, timeout, dead letter and unknown type each log their line', async () => {
  const name = uniqueName('outlog');
  const producer = new TaskQueue({ redis: realRedisUrl(), name });
  producer.on('queue:warning', () => {});
  const sup = startSupervisor(['--short', '1', '--long', '0', '--redis', realRedisUrl(), '--queue', name,
    // Grace 0: an unknown type is dead-lettered at once (parking has its own tests, runtime/startup).
    '--handlers', 'test/fixtures/handlers-outcomes.mjs', '--log-level', 'debug', '--unknown-type-grace', '0']);
  try {
    await sup.waitForLog((l) => l.msg === 'supervisor running');
    await producer.enqueueMany([
      { id: 'ok-1', type: 'ok' },
      { id: 'flaky-1', type: 'flaky' },
      { id: 'broken-1', type: 'broken' },
      { id: 'stuck-1', type: 'stuck', timeoutMs: 100, maxAttempts: 2 },
      { id: 'nope-1', type: 'nope' },
    ]);
    await eventually(async () => {
      const s = await producer.stats();
      return s.completed === 2 && s.dead === 3;
    }, { timeoutMs: 30_000, what: 'two completions and three dead letters' });
    const line = (msg, taskId) => sup.waitForLog((l) => l.msg === msg && l.taskId === taskId, 5000, `${msg} for ${taskId}`);

    const completed = await line('task completed', 'ok-1');
    assert.is(completed.level, 20);
    assert.equal([completed.role, completed.type, completed.lane, completed.attempt], ['worker', 'ok', 'short', 1]);
    assert.type(completed.durationMs, 'number');
    assert.type(completed.owner, 'string');

    const handlerLine = await line('handler line', 'ok-1');
    assert.equal([handlerLine.step, handlerLine.lane, handlerLine.attempt, handlerLine.owner], ['working', 'short', 1, completed.owner]);

    const retry = await line('task failed; will be retried', 'flaky-1');
    assert.is(retry.level, 30);
    assert.equal([retry.attempt, retry.delayMs, retry.code, retry.reason], [1, 50, 'E_UPSTREAM', 'upstream 503']);
    assert.is((await line('task completed', 'flaky-1')).attempt, 2);

    const timeout = await line('task timed out; will be retried', 'stuck-1');
    assert.is(timeout.level, 30);
    assert.equal([timeout.attempt, timeout.code, timeout.reason], [1, 'TASKLANE_ERR_TIMEOUT', 'timed out after 100 ms']);
    assert.ok(timeout.delayMs >= 500 && timeout.delayMs <= 1000, `backoff of the first retry: ${timeout.delayMs} ms`);
    const timedOutDead = await line('task dead-lettered', 'stuck-1');
    assert.equal([timedOutDead.level, timedOutDead.attempt, timedOutDead.maxAttempts, timedOutDead.code], [40, 2, 2, 'TASKLANE_ERR_TIMEOUT']);

    const dead = await line('task dead-lettered', 'broken-1');
    assert.equal([dead.level, dead.type, dead.lane, dead.attempt, dead.code, dead.reason], [40, 'broken', 'short', 1, 'TASKLANE_ERR_NON_RETRYABLE', 'payload rejected']);

    const unknown = await line('unknown task type; dead-lettered', 'nope-1');
    assert.equal([unknown.level, unknown.type, unknown.code], [40, 'nope', 'TASKLANE_ERR_UNKNOWN_TYPE']);

    for (const raw of sup.stdout.split('\n').filter(Boolean)) assert.equal(repeatedKeys(raw), [], `keys repeated in ${raw}`);
    assert.is((await sup.stop('SIGTERM')).code, 0);
  } finally {
    await producer.close();
  }
});

test.run();

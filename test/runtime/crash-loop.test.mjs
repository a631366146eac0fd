// Real processes: workers that die right after start are not restarted forever.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { TaskQueue } from '../../dist/index.js';
import { realRedisUrl, uniqueName } from '../helpers/backends.mjs';
import { eventually, killAll, startSupervisor } from '../helpers/supervisor.mjs';

const test = suite('supervisor crash-loop guard');
test.after.each(killAll);

test('workers that crash on start: restarts stop, a clear error, exit 1', async () => {
  const sup = startSupervisor(['--short', '1', '--long', '1', '--redis', realRedisUrl(), '--queue', uniqueName('loop'),
    '--handlers', 'test/fixtures/handlers-throws-in-worker.mjs']);
  const { code } = await sup.exited;
  assert.is(code, 1);
  const abandoned = sup.logs.filter((l) => l.role === 'supervisor' && /crashed 5 times in a row right after starting; not restarting it/.test(l.msg ?? ''));
  assert.is(abandoned.length, 2, 'both worker slots given up');
  assert.ok(abandoned.every((l) => /boom: handlers module failed on import/.test(l.msg)), 'the worker\'s own error is quoted');
  const fatal = sup.logs.find((l) => /^no worker can run/.test(l.msg ?? ''));
  assert.ok(fatal, 'a final error says no worker can run');
  assert.is(fatal.level, 50);
  // Backoff between the attempts: each slot was started 5 times, no more.
  assert.is(sup.logs.filter((l) => l.msg === 'worker reported a fatal error').length, 10);
  // The summary is what an operator reads first: the last log line, and the only line on stderr.
  const last = sup.logs.at(-1);
  assert.match(last.msg, /^no worker can run: every worker \(w0, w1\) crashed 5 times/);
  assert.is(last.code, 'TASKLANE_ERR_CRASH_LOOP');
  const stderr = sup.stderr.trimEnd().split('\n');
  assert.is(stderr.length, 1, `one line on stderr, got:\n${sup.stderr}`);
  assert.match(stderr[0], /^tasklane: no worker can run: every worker \(w0, w1\) crashed 5 times in a row right after starting\. Last error: .*boom: handlers module failed on import/);
});

test('one slot crash-looping does not stop the others', async () => {
  const name = uniqueName('loop');
  const producer = new TaskQueue({ redis: realRedisUrl(), name });
  producer.on('queue:warning', () => {});
  const sup = startSupervisor(['--short', '1', '--long', '1', '--redis', realRedisUrl(), '--queue', name,
    '--handlers', 'test/fixtures/handlers-throws-long.mjs']);
  try {
    await sup.waitForLog((l) => l.worker === 'w1' && /not restarting it/.test(l.msg ?? ''), 60_000, 'w1 given up');
    await sup.waitForLog((l) => l.msg === 'supervisor running');
    await producer.enqueue({ id: 'still-served', type: 'echo', payload: 1 });
    await eventually(async () => (await producer.get('still-served')).state === 'completed', { what: 'the short task completed' });
    assert.is(sup.child.exitCode, null);
    assert.is((await sup.stop('SIGTERM')).code, 0);
  } finally {
    await producer.close();
  }
});

test.run();

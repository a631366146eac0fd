// The storage flags reach every process of the runtime: a worker's completions, the
// supervisor's reaper and its HTTP server all delete completed records by --completed-retention. The test's own
// queue keeps the default retention (1 h), so its reads never reap what it checks.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { TaskQueue } from '../../dist/index.js';
import { realRedisUrl, uniqueName } from '../helpers/backends.mjs';
import { eventually, killAll, sleep, startSupervisor } from '../helpers/supervisor.mjs';

const test = suite('runtime storage flags');
test.after.each(killAll);

/** A supervisor with one short-lane actor on a fresh queue, and a library queue on it. */
async function start(extra) {
  const name = uniqueName('storage');
  const sup = startSupervisor(['--redis', realRedisUrl(), '--queue', name, '--short', '1', '--long', '0',
    '--handlers', 'test/fixtures/handlers-basic.mjs', '--completed-retention', '200ms', '--drain-timeout', '2s', ...extra]);
  await sup.waitForLog((l) => l.msg === 'supervisor running');
  const queue = new TaskQueue({ redis: realRedisUrl(), name });
  queue.on('queue:warning', () => {});
  return { sup, queue };
}

/** Waits until nothing waits or runs, and nothing died. */
async function settled(queue) {
  return eventually(async () => {
    const s = await queue.stats();
    return s.waiting.short === 0 && s.active === 0 && s.dead === 0 && s;
  }, { what: 'the tasks to complete' });
}

test('a worker\'s completion reaps the completed records past --completed-retention', async () => {
  // A lease of 60 s puts the supervisor's reaper 30 s away: only the worker can reap here.
  const { sup, queue } = await start(['--lease-ms', '60000']);
  try {
    await queue.enqueue({ id: 'first', type: 'echo' });
    assert.is((await settled(queue)).completed, 1);
    await sleep(300);
    await queue.enqueue({ id: 'second', type: 'echo' });
    // The completion of `second` reaps `first` in the same script: with the 1 h default both would stay.
    assert.is((await settled(queue)).completed, 1);
    assert.is(await queue.get('first'), null);
    assert.ok(await queue.refusal('first'), 'first completed (its dedup marker stays), and was reaped');
  } finally {
    await queue.close();
    assert.is((await sup.stop()).code, 0, sup.stderr);
  }
});

test('the supervisor\'s reaper deletes completed records past --completed-retention once completions stop', async () => {
  // A lease of 2 s sweeps every second; nothing completes after `only`, so only the reaper can reap it.
  const { sup, queue } = await start(['--lease-ms', '2000']);
  try {
    await queue.enqueue({ id: 'only', type: 'echo' });
    await settled(queue);
    await eventually(async () => (await queue.stats()).completed === 0, { timeoutMs: 10_000, what: 'the reaper to delete the completed record' });
    assert.is(await queue.get('only'), null);
    assert.ok(await queue.refusal('only'));
  } finally {
    await queue.close();
    assert.is((await sup.stop()).code, 0, sup.stderr);
  }
});

test('the supervisor\'s HTTP server reaps by the same retention: GET /stats deletes what is past it', async () => {
  // No actors, and a reaper 30 s away: only the HTTP server's own queue can reap here.
  const name = uniqueName('storage-http');
  const sup = startSupervisor(['--redis', realRedisUrl(), '--queue', name, '--short', '0', '--long', '0', '--lease-ms', '60000',
    '--completed-retention', '100ms', '--http', '0']);
  const queue = new TaskQueue({ redis: realRedisUrl(), name });
  queue.on('queue:warning', () => {});
  try {
    const { url } = await sup.waitForLog((l) => l.msg === 'http listening', 20_000, 'http listening');
    await queue.enqueue({ id: 'done' });
    const [lease] = await queue.claim('short', { max: 1, leaseMs: 30_000, owner: 'test' });
    assert.is(await queue.complete(lease, 1), true);
    await sleep(150);
    assert.is((await queue.stats()).completed, 1, 'the 1 h default keeps it');
    const response = await fetch(`${url}/stats`);
    assert.is(response.status, 200);
    assert.is((await response.json()).completed, 0);
    assert.is((await queue.stats()).completed, 0);
    assert.is(await queue.get('done'), null);
  } finally {
    await queue.close();
    assert.is((await sup.stop()).code, 0, sup.stderr);
  }
});

test.run();

// Real processes: the supervisor CLI, its forked workers, a redis-server and the flaky API.
// A killed worker's tasks come back at once (releaseOwner), and random kills never stop the system.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startFlakyApi } from '../../scripts/lib/flaky-api.mjs';
import { TaskQueue } from '../../dist/index.js';
import { realRedisUrl, uniqueName } from '../helpers/backends.mjs';
import { eventually, killAll, sleep, startSupervisor } from '../helpers/supervisor.mjs';

const test = suite('supervisor crash recovery');
test.after.each(killAll);

function openProducer(name) {
  const queue = new TaskQueue({ redis: realRedisUrl(), name });
  queue.on('queue:warning', () => {});
  return queue;
}

test('kill -9 of a worker holding tasks: they complete once each, long before their 60 s leases lapse', async () => {
  const api = await startFlakyApi({ latencyMs: [1500, 1500] });
  const name = uniqueName('kill9');
  const producer = openProducer(name);
  const sup = startSupervisor(['--short', '1', '--long', '0', '--redis', realRedisUrl(), '--queue', name, '--api-url', `${api.url}/tasks`, '--lease-ms', '60000']);
  try {
    await sup.waitForLog((l) => l.msg === 'supervisor running');
    const ids = Array.from({ length: 10 }, (_, i) => `k9-${i}`);
    await producer.enqueueMany(ids.map((id) => ({ id, type: 'http', payload: { id } })));
    // Every task is claimed and its call is in flight at the API (each takes 1.5 s).
    await eventually(() => api.stats().calls >= ids.length, { what: 'all calls in flight' });
    const [pid] = sup.liveWorkerPids();
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');

    const death = await sup.waitForLog((l) => l.workerPid === pid && l.msg === 'worker died', 10_000, 'the death report');
    assert.is(death.signal, 'SIGKILL');
    const release = await sup.waitForLog((l) => l.workerPid === pid && l.msg === 'released the leases of a worker that ended', 10_000, 'the release report');
    assert.is(release.released, ids.length);
    await eventually(async () => (await Promise.all(ids.map((id) => producer.get(id)))).every((t) => t.state === 'completed'),
      { timeoutMs: 40_000, what: 'every task completed' });
    // The leases were 60 s long: only releaseOwner can have freed the tasks this soon.
    assert.ok(Date.now() - killedAt < 60_000);
    for (const id of ids) {
      const info = await producer.get(id);
      assert.is(info.stalls, 1, `${id} stalls`);
      assert.is(api.sideEffectsFor(id), 1, `${id} side effects`);
    }
    assert.is(api.stats().duplicateKeys, 0);
    const replacements = sup.logs.filter((l) => l.role === 'supervisor' && l.msg === 'worker ready' && l.worker === 'w0');
    assert.is(replacements.length, 2);
    assert.is.not(replacements[0].owner, replacements[1].owner);
    assert.is((await sup.stop('SIGTERM')).code, 0);
  } finally {
    await producer.close();
    await api.close();
  }
});

test('chaos: a random worker killed every 500 ms; work goes on and the crash-loop guard stays quiet', async () => {
  const api = await startFlakyApi({ latencyMs: [10, 60] });
  const name = uniqueName('chaos');
  const producer = openProducer(name);
  const sup = startSupervisor(['--short', '2', '--long', '0', '--processes', '2', '--concurrency', '3', '--redis', realRedisUrl(), '--queue', name, '--api-url', `${api.url}/tasks`]);
  let kills = 0;
  let chaos = true;
  let total = 0;
  const enqueue = async (n) => {
    const from = total;
    total += n;
    await producer.enqueueMany(Array.from({ length: n }, (_, k) => ({ id: `chaos-${from + k}`, type: 'http', payload: { i: from + k } })));
  };
  try {
    await enqueue(800);
    const monkey = (async () => {
      while (chaos) {
        await sleep(500);
        const pids = sup.liveWorkerPids();
        const pid = pids[Math.floor(Math.random() * pids.length)];
        if (pid === undefined) continue;
        try {
          process.kill(pid, 'SIGKILL');
          kills += 1;
        } catch {
          // Already gone.
        }
      }
    })();
    // A fast machine can finish the first batch before the monkey has killed much: work keeps
    // arriving until it has killed 4 workers, so the kills land among running tasks.
    const feedUntil = Date.now() + 60_000;
    while (kills < 4 && Date.now() < feedUntil) {
      await enqueue(100);
      await sleep(250);
    }
    await eventually(async () => (await producer.stats()).completed === total, { timeoutMs: 120_000, everyMs: 250, what: `all ${total} tasks completed` });
    chaos = false;
    await monkey;
    assert.ok(kills >= 4, `only ${kills} kills`);
    if (process.env.TASKLANE_TEST_VERBOSE) console.log({ kills, stats: await producer.stats(), api: api.stats() });
    const stats = await producer.stats();
    assert.is(stats.dead, 0);
    assert.is(api.stats().duplicateKeys, 0);
    assert.is(api.stats().keysWithEffect, total);
    assert.is(sup.child.exitCode, null, 'the supervisor must still run');
    assert.not.ok(sup.logs.some((l) => /not restarting/.test(l.msg ?? '')), 'the crash-loop guard tripped');
    assert.is((await sup.stop('SIGTERM')).code, 0);
  } finally {
    chaos = false;
    await producer.close();
    await api.close();
  }
});

test('malformed IPC messages from a worker are logged and ignored', async () => {
  const name = uniqueName('ipc');
  const producer = openProducer(name);
  const sup = startSupervisor(['--short', '1', '--long', '0', '--redis', realRedisUrl(), '--queue', name, '--handlers', 'test/fixtures/handlers-basic.mjs']);
  try {
    await sup.waitForLog((l) => l.msg === 'supervisor running');
    await producer.enqueue({ id: 'chatty-1', type: 'chatty' });
    await eventually(async () => (await producer.get('chatty-1')).state === 'completed', { what: 'chatty-1 completed' });
    await sup.waitForLog((l) => l.msg === 'ignored a malformed message from a worker' && /unknown message type `bogus`/.test(l.problem));
    await sup.waitForLog((l) => l.msg === 'ignored a malformed message from a worker' && /field `pid`/.test(l.problem));
    assert.is(sup.child.exitCode, null);
    assert.is(sup.liveWorkerPids().length, 1);
    assert.is((await sup.stop('SIGTERM')).code, 0);
  } finally {
    await producer.close();
  }
});

test.run();

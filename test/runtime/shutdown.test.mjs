// Real processes: SIGTERM drains and exits 0; a second signal forces the exit.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { TaskQueue } from '../../dist/index.js';
import { realRedisUrl, uniqueName } from '../helpers/backends.mjs';
import { eventually, isAlive, killAll, startSupervisor } from '../helpers/supervisor.mjs';

const test = suite('supervisor shutdown');
test.after.each(killAll);

/** Starts a supervisor with one short and one long actor, and three tasks running in it. */
async function busySupervisor(drainTimeout) {
  const name = uniqueName('stop');
  const producer = new TaskQueue({ redis: realRedisUrl(), name });
  producer.on('queue:warning', () => {});
  const sup = startSupervisor(['--short', '1', '--long', '1', '--redis', realRedisUrl(), '--queue', name,
    '--handlers', 'test/fixtures/handlers-basic.mjs', '--drain-timeout', drainTimeout]);
  await sup.waitForLog((l) => l.msg === 'supervisor running');
  await producer.enqueueMany([
    { id: 'quick', type: 'sleep', payload: { ms: 2000 } },
    { id: 'slow-short', type: 'sleep', payload: { ms: 120_000 }, timeoutMs: 180_000 },
    { id: 'slow-long', type: 'sleep', lane: 'long', payload: { ms: 120_000 } },
  ]);
  await eventually(async () => (await producer.stats()).active === 3, { what: 'three tasks running' });
  return { sup, producer };
}

test('SIGTERM drains: finishing tasks complete, the rest go back to waiting uncounted, exit 0', async () => {
  const { sup, producer } = await busySupervisor('5s');
  try {
    const workers = sup.liveWorkerPids();
    assert.is(workers.length, 2);
    const { code, signal } = await sup.stop('SIGTERM', 60_000);
    assert.is(signal, null);
    assert.is(code, 0);
    assert.is((await producer.get('quick')).state, 'completed');
    for (const id of ['slow-short', 'slow-long']) {
      const info = await producer.get(id);
      assert.is(info.state, 'waiting', id);
      assert.is(info.attempts, 0, `${id}: the interrupted attempt must not count`);
      assert.is(info.stalls, 0, `${id}: a release is not a stall`);
    }
    assert.is(sup.logs.filter((l) => l.role === 'worker' && l.msg === 'drained').length, 2);
    await eventually(() => workers.every((pid) => !isAlive(pid)), { what: 'workers gone' });
  } finally {
    await producer.close();
  }
});

test('a second signal forces the exit; the supervisor releases the killed workers\' leases', async () => {
  const { sup, producer } = await busySupervisor('2m');
  try {
    const workers = sup.liveWorkerPids();
    sup.child.kill('SIGTERM');
    await sup.waitForLog((l) => l.role === 'worker' && l.msg === 'draining');
    sup.child.kill('SIGTERM');
    const { code } = await sup.exited;
    assert.is(code, 143);
    assert.ok(sup.logs.some((l) => l.msg === 'forced stop: killing workers'));
    for (const id of ['slow-short', 'slow-long']) assert.is((await producer.get(id)).state, 'waiting', id);
    await eventually(() => workers.every((pid) => !isAlive(pid)), { what: 'workers gone' });
  } finally {
    await producer.close();
  }
});

test('if the supervisor itself is killed, its workers drain and exit instead of lingering', async () => {
  const { sup, producer } = await busySupervisor('1s');
  try {
    const workers = sup.liveWorkerPids();
    sup.child.kill('SIGKILL');
    await eventually(() => workers.every((pid) => !isAlive(pid)), { timeoutMs: 30_000, what: 'orphaned workers gone' });
    // They released what they still held (nobody else would have until the leases lapsed).
    for (const id of ['slow-short', 'slow-long']) {
      const info = await producer.get(id);
      assert.is(info.state, 'waiting', id);
      assert.is(info.attempts, 0, id);
    }
  } finally {
    await producer.close();
  }
});

test.run();

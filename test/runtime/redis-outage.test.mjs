// Real processes: Redis unreachable at start-up, and Redis restarting under a running supervisor.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { TaskQueue } from '../../dist/index.js';
import { uniqueName } from '../helpers/backends.mjs';
import { freePort, startRedisServer } from '../helpers/redis-server.mjs';
import { eventually, killAll, sleep, startSupervisor } from '../helpers/supervisor.mjs';

const test = suite('supervisor and Redis outages');
test.after.each(killAll);

test('unreachable at start-up: a clear error naming the URL, then work starts; a Redis restart loses nothing', async () => {
  // A private server on a port of our own, started late and restarted with its data (AOF).
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), 'tasklane-outage-'));
  const name = uniqueName('outage');
  const sup = startSupervisor(['--short', '1', '--long', '0', '--redis', url, '--queue', name, '--handlers', 'test/fixtures/handlers-basic.mjs']);
  let redis;
  let producer;
  try {
    const error = await sup.waitForLog((l) => l.role === 'supervisor' && l.level === 50 && (l.msg ?? '').includes(url), 10_000, 'an error naming the Redis URL');
    assert.match(error.msg, /cannot reach Redis/);
    assert.is(sup.child.exitCode, null, 'it keeps retrying');

    redis = await startRedisServer({ port, dir, appendonly: true });
    producer = new TaskQueue({ redis: url, name });
    producer.on('queue:warning', () => {});
    producer.redis.on('error', () => {}); // it reconnects on its own while Redis restarts
    await producer.enqueue({ id: 'after-start', type: 'echo' });
    await eventually(async () => (await producer.get('after-start'))?.state === 'completed', { timeoutMs: 30_000, what: 'after-start completed' });

    // A task in flight while Redis restarts: its completion waits in the client's queue.
    await producer.enqueue({ id: 'across', type: 'sleep', payload: { ms: 3000 } });
    await eventually(async () => (await producer.get('across')).state === 'active', { what: 'across running' });
    await redis.stop();
    await sleep(1000);
    redis = await startRedisServer({ port, dir, appendonly: true });
    await eventually(async () => (await producer.get('across')).state === 'completed', { timeoutMs: 40_000, what: 'across completed' });
    const info = await producer.get('across');
    assert.is(info.attempts, 1);
    await sup.waitForLog((l) => l.role === 'supervisor' && /Redis at .* is back/.test(l.msg ?? ''), 10_000, 'the recovery note');
    assert.is((await sup.stop('SIGTERM')).code, 0);
  } finally {
    await producer?.close();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
